"""A decision's form, generated from its handler's input model (domain/decision_inputs.py): one question per
field, in the model's order, with GOV.UK's components and error wording. The model itself validates what is
sent: there is no second copy of any rule here. Fields this generator cannot ask (lists, nested objects) make
the form unavailable, rather than send a partial decision. A list of short texts is asked one per line."""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from api.console.text import words

LONG_TEXT = 200  # longer than this: a textarea


@dataclass(frozen=True)
class Question:
    name: str
    label: str
    widget: Literal["radios", "textarea", "input", "number", "date", "yes_no", "lines"]
    required: bool
    hint: str | None = None
    options: tuple[str, ...] = ()
    path: tuple[str | int, ...] = ()
    """Where the answer goes in the model: a field of a nested model, or of one item of a list, is asked as its
    own question."""
    group: str | None = None
    """The item of a list this question belongs to, e.g. "Reviewer 2"."""

    @property
    def where(self) -> tuple[str | int, ...]:
        return self.path or (self.name,)

    @property
    def anchor(self) -> str:
        """Where the error summary's link for this question points (a date input's first box)."""
        return f"{self.name}-day" if self.widget == "date" else self.name


@dataclass
class Answers:
    """What was sent, as typed (to show it again), and each question's error."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The type without ``| None`` and ``Annotated``, and the Annotated metadata."""
    metadata: list[Any] = []
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            metadata += extra
        elif origin in (Union, types.UnionType):
            inner = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(inner) != 1:
                return annotation, metadata
            annotation = inner[0]
        else:
            return annotation, metadata


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _name(path: tuple[str | int, ...]) -> str:
    """A form field's name: ``incident__outcome`` in a nested model, ``reviewers-0-name`` in a list's item."""
    if any(isinstance(part, int) for part in path):
        return "-".join(str(part) for part in path)
    return "__".join(str(part) for part in path)


def _item_model(kind: Any) -> type[BaseModel] | None:
    """The item model of ``list[SomeModel]``."""
    if get_origin(kind) is not list:
        return None
    (item,) = get_args(kind)
    return item if isinstance(item, type) and issubclass(item, BaseModel) else None


def _value_model(kind: Any) -> type[BaseModel] | None:
    """The value model of ``dict[str, SomeModel]``."""
    if get_origin(kind) is not dict:
        return None
    _, value = get_args(kind)
    return value if isinstance(value, type) and issubclass(value, BaseModel) else None


def question(name: str, info: FieldInfo, path: tuple[str | int, ...] = (), group: str | None = None) -> Question | None:
    kind, metadata = _unwrap(info.annotation)
    metadata += info.metadata
    common: dict[str, Any] = {
        "name": _name(path) if path else name,
        "group": group,
        "label": _label(name),
        "required": info.is_required(),
        "hint": info.description,
        "path": path,
    }
    if get_origin(kind) is Literal:
        return Question(widget="radios", options=tuple(str(v) for v in get_args(kind)), **common)
    if kind is bool:
        return Question(widget="yes_no", **common)
    if kind is date:
        return Question(widget="date", **common)
    if kind is int:
        return Question(widget="number", **common)
    if get_origin(kind) in (list, tuple) and _unwrap(get_args(kind)[0])[0] is str:
        return Question(widget="lines", **common)  # a list of short texts: one per line
    if kind is str:
        longest = min((m.max_length for m in metadata if getattr(m, "max_length", None)), default=0)
        return Question(widget="textarea" if longest > LONG_TEXT else "input", **common)
    return None


def questions(
    model: type[BaseModel],
    *,
    skip: tuple[str, ...] = ("kind",),
    rows: Mapping[str, int] | None = None,
    keys: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Question] | None:
    """The model's questions, or None if one cannot be asked. A nested model's fields are asked one by one; a list
    of models is asked as ``rows[field]`` items (1 unless said), each item's fields one by one; a dict of models
    is asked for each of ``keys[field]`` (key: its description), which the domain names."""
    found: list[Question | None] = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        kind, _ = _unwrap(info.annotation)
        item = _item_model(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found += [question(sub, sub_info, (name, sub)) for sub, sub_info in kind.model_fields.items()]
        elif item is not None:
            for row in range(max(1, (rows or {}).get(name, 1))):
                group = f"{_label(name).removesuffix('s')} {row + 1}"
                found += [
                    question(sub, sub_info, (name, row, sub), group) for sub, sub_info in item.model_fields.items()
                ]
        elif _value_model(kind) is not None and keys and name in keys:
            value = _value_model(kind)
            assert value is not None
            for key, described in keys[name].items():
                found += [
                    question(sub, sub_info, (name, key, sub), described) for sub, sub_info in value.model_fields.items()
                ]
        else:
            found.append(question(name, info))
    return None if any(q is None for q in found) else [q for q in found if q is not None]


def lists_of(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if _item_model(_unwrap(info.annotation)[0])]


def compact(model: type[BaseModel], form: Mapping[str, str]) -> tuple[dict[str, str], dict[str, int]]:
    """The form with each list's blank items left out and the rest numbered from 0, and how many items each list
    now has (at least 1): so the model's errors and the items shown line up."""
    kept = {k: v for k, v in form.items() if not any(k.startswith(f"{name}-") for name in lists_of(model))}
    counts: dict[str, int] = {}
    for name in lists_of(model):
        rows: dict[int, dict[str, str]] = {}
        for key, value in form.items():
            row, _, rest = key.removeprefix(f"{name}-").partition("-")
            if key.startswith(f"{name}-") and row.isdigit() and value.strip():
                rows.setdefault(int(row), {})[rest] = value
        for new, (_, fields) in enumerate(sorted(rows.items())):
            kept.update({f"{name}-{new}-{rest}": value for rest, value in fields.items()})
        counts[name] = max(1, len(rows))
    return kept, counts


def _message(q: Question, error: ErrorDetails) -> str:
    """GOV.UK's wording for what pydantic found wrong."""
    kind = error["type"]
    if q.widget == "number" and kind != "missing":
        return f"{q.label} must be a whole number"
    if kind == "missing" or (kind == "string_too_short" and q.widget in ("textarea", "input")):
        return f"Select {q.label.lower()}" if q.widget in ("radios", "yes_no") else f"Enter {q.label.lower()}"
    if q.widget == "date":
        return f"{q.label} must be a real date"
    if kind == "string_too_long":
        return f"{q.label} must be {error.get('ctx', {}).get('max_length')} characters or fewer"
    if kind == "literal_error":
        return f"Select {q.label.lower()}"
    if kind == "string_pattern_mismatch":
        return (
            f"{q.label} must start with a letter or number and use only letters, numbers, dots, dashes and underscores"
        )
    return f"{q.label}: {error['msg']}"


def _date(values: dict[str, str], name: str) -> str | None:
    parts = [values.get(f"{name}-{part}", "").strip() for part in ("day", "month", "year")]
    if not any(parts):
        return None
    day, month, year = parts
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return "not a date"


def read(
    model: type[BaseModel], asked: list[Question], form: dict[str, str], fixed: dict[str, Any] | None = None
) -> tuple[BaseModel | None, Answers]:
    """The model the form describes (with ``fixed`` values the form does not ask), or None and the answers with
    their errors."""
    answers = Answers(values=dict(form))
    data: dict[str, Any] = dict(fixed or {})
    for q in asked:
        if q.widget == "date":
            value: Any = _date(form, q.name)
        elif q.widget == "yes_no":
            value = {"yes": True, "no": False}.get(form.get(q.name, ""))
        elif q.widget == "lines":
            value = [line.strip() for line in form.get(q.name, "").splitlines() if line.strip()] or None
        else:
            value = form.get(q.name, "").strip() or None
        *parents, last = q.where
        target: Any = data
        for parent, child in zip(parents, [*parents[1:], last], strict=False):
            # A nested model or list item is always sent, so it names its own missing answers.
            if isinstance(parent, int):
                while len(target) <= parent:
                    target.append({})
                target = target[parent]
            else:
                target = target.setdefault(parent, [] if isinstance(child, int) else {})
        if value is not None:
            target[last] = value
    for name, info in model.model_fields.items():
        if not info.is_required() and data.get(name) == {}:
            del data[name]  # an optional nested part left blank is not given (e.g. the local authority's own notice)
    try:
        return model.model_validate(data), answers
    except ValidationError as invalid:
        by_place = {q.where: q for q in asked}
        for error in invalid.errors():
            place = tuple(error["loc"])
            # The question itself, else (a rule on a whole list or item) the first question of that list or item.
            found = by_place.get(place) or next((q for q in asked if place and q.where[: len(place)] == place), None)
            if found is not None:
                answers.errors.setdefault(found.name, _message(found, error))
            else:  # a rule across fields (a model validator): shown against the first question
                answers.errors.setdefault(asked[0].name, str(error["msg"]).removeprefix("Value error, "))
        return None, answers


def shown(q: Question, decision: BaseModel) -> str:
    """An answer as the check-answers page shows it."""
    value: Any = decision
    for part in q.where:
        if value is None:  # inside an optional part left blank
            break
        # A list's item by its number, a dict's entry by its key (quality assurance's checks), else a field.
        value = value[part] if isinstance(part, int) or isinstance(value, dict) else getattr(value, part)
    if value is None:
        return "Not given"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "None"
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    if q.widget == "radios":
        return words(str(value))
    return str(value)
