"""Notifiable-incident and SCR criteria, and the chair-decision rules (domain/criteria.py)."""

from __future__ import annotations

import itertools
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from domain.criteria import (
    AbuseOrNeglect,
    Assessment,
    ChairDecision,
    Custody,
    IncidentFacts,
    InterAgencyConcern,
    Outcome,
    ScrBasis,
    assess,
    chair_decision_problem,
)

I = ScrBasis.REGULATION_5_2_B_I  # noqa: E741
II = ScrBasis.REGULATION_5_2_B_II
CUSTODY = ScrBasis.CUSTODY
MHA = ScrBasis.MENTAL_HEALTH_ACT
DOL = ScrBasis.DEPRIVATION_OF_LIBERTY


def facts(**kwargs: Any) -> IncidentFacts:
    return IncidentFacts(**kwargs)


def _all_facts() -> list[IncidentFacts]:
    """Every combination of the facts that the validator accepts (a few thousand)."""
    combos = itertools.product(
        get_args(Outcome),
        get_args(AbuseOrNeglect),
        (False, True),
        (False, True),
        (False, True),
        (None, *get_args(Custody)),
        (False, True),
        (False, True),
        get_args(InterAgencyConcern),
    )
    out = []
    for outcome, abuse, suicide, la, reg, custody, mha, dol, concern in combos:
        if suicide and outcome != "died":
            continue
        out.append(
            IncidentFacts(
                outcome=outcome,
                abuse_or_neglect=abuse,
                suspected_suicide=suicide,
                looked_after=la,
                regulated_setting=reg,
                custody=custody,
                mental_health_act_detention=mha,
                deprivation_of_liberty_order=dol,
                inter_agency_concern=concern,
                learning_review_reason="stuck_case" if outcome == "no_death_or_serious_harm" else None,
            )
        )
    return out


ALL = _all_facts()


# --- the assessment table -------------------------------------------------------------------------


D, H = "died", "seriously_harmed"
K, S, N = "known", "suspected", "not_suspected"
REQ, NOT, UNLESS = "required", "not_required", "required_unless_definitive_evidence"


def F(outcome: str, abuse: str, **kwargs: Any) -> IncidentFacts:
    return IncidentFacts(outcome=outcome, abuse_or_neglect=abuse, **kwargs)


# (notifiable, scr, bases, do_not_initiate_allowed, definitive_evidence_required)
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # 5(2)(b)(i): died, abuse or neglect known or suspected (incl. suspected suicide).
        (F(D, K), (True, REQ, [I], False, False)),
        (F(D, S, suspected_suicide=True), (True, REQ, [I], False, False)),
        (F(D, S, inter_agency_concern="no"), (True, REQ, [I], False, False)),
        # 5(2)(b)(ii): seriously harmed, abuse or neglect, inter-agency concern recorded or presumed.
        (F(H, K, inter_agency_concern="yes"), (True, REQ, [II], False, False)),
        # ... concern presumed: required unless the definitive evidence that there is none is recorded (001 §3).
        (F(H, S), (True, UNLESS, [II], True, True)),
        (F(H, K, inter_agency_concern="unknown"), (True, UNLESS, [II], True, True)),
        # ... no concern recorded: still required unless definitive evidence, never plain "not required".
        (F(H, K, inter_agency_concern="no"), (True, UNLESS, [], True, True)),
        # No abuse or neglect: 5(2)(a) fails.
        (F(D, N), (False, NOT, [], True, False)),
        (F(D, N, suspected_suicide=True), (False, NOT, [], True, False)),
        (F(H, N, inter_agency_concern="yes"), (False, NOT, [], True, False)),
        # Notifiable without abuse or neglect: looked-after child or regulated setting, on death only.
        (F(D, N, looked_after=True), (True, NOT, [], True, False)),
        (F(D, N, regulated_setting=True), (True, NOT, [], True, False)),
        (F(H, N, looked_after=True), (False, NOT, [], True, False)),
        (F(H, N, regulated_setting=True), (False, NOT, [], True, False)),
        # Always-review cases: only when the child died, and then even without abuse or neglect.
        (F(D, N, mental_health_act_detention=True), (True, REQ, [MHA], False, False)),
        (F(D, N, deprivation_of_liberty_order=True), (True, REQ, [DOL], False, False)),
        (F(H, N, custody="remand"), (False, NOT, [], True, False)),
        (F(H, N, mental_health_act_detention=True), (False, NOT, [], True, False)),
        (F(H, S, custody="remand"), (True, UNLESS, [II], True, True)),
        # Several bases at once, in a fixed order.
        (
            F(D, K, custody="remand", mental_health_act_detention=True, deprivation_of_liberty_order=True),
            (True, REQ, [I, CUSTODY, MHA, DOL], False, False),
        ),
    ],
)
def test_assessment_table(case: IncidentFacts, expected: tuple[bool, str, list[ScrBasis], bool, bool]) -> None:
    a = assess(case)
    notifiable, scr = expected[0], expected[1]
    assert (a.notifiable, a.scr, a.bases, a.do_not_initiate_allowed, a.definitive_evidence_required) == expected
    assert bool(a.notifiable_grounds) is notifiable
    assert (a.discretionary_options == []) is (scr != NOT)


@pytest.mark.parametrize("custody", get_args(Custody))
def test_every_custody_setting_makes_a_death_reviewable(custody: str) -> None:
    a = assess(facts(outcome="died", abuse_or_neglect="not_suspected", custody=custody))
    assert (a.notifiable, a.scr, a.bases) == (True, "required", [CUSTODY])
    assert not a.do_not_initiate_allowed
    place = {
        "police_custody": "in police custody",
        "remand": "on remand",
        "following_sentence": "following sentencing",
        "young_offender_institution": "Young Offender Institution",
        "secure_training_centre": "secure training centre",
        "secure_childrens_home": "secure children's home",
        "other_custody": "died in custody",
    }[custody]
    assert any(place in g and "always" in g for g in a.grounds)
    assert any(place in g for g in a.notifiable_grounds)


# --- grounds in plain English, each with its source -----------------------------------------------


@pytest.mark.parametrize(
    ("case", "criterion"),
    [
        (facts(outcome="died", abuse_or_neglect="suspected"), "criterion 1"),
        (facts(outcome="seriously_harmed", abuse_or_neglect="known"), "criterion 2"),
        (facts(outcome="died", abuse_or_neglect="not_suspected", looked_after=True), "criterion 3"),
        (facts(outcome="died", abuse_or_neglect="not_suspected", regulated_setting=True), "criterion 4"),
    ],
)
def test_each_notifiable_criterion_is_named(case: IncidentFacts, criterion: str) -> None:
    (ground,) = assess(case).notifiable_grounds
    assert criterion in ground
    assert ground.endswith("001 §1).")


def test_all_four_notifiable_criteria_can_apply_at_once() -> None:
    a = assess(facts(outcome="died", abuse_or_neglect="known", looked_after=True, regulated_setting=True))
    assert [g.split("criterion ")[1][0] for g in a.notifiable_grounds] == ["1", "3", "4"]


def test_suspected_suicide_is_stated() -> None:
    a = assess(facts(outcome="died", abuse_or_neglect="suspected", suspected_suicide=True))
    assert "suspected suicide" in a.grounds[0]
    assert "regulation 5(2)(b)(i); 001 §3" in a.grounds[0]


def test_presumed_concern_is_explained() -> None:
    a = assess(facts(outcome="seriously_harmed", abuse_or_neglect="known"))
    assert "presumed" in a.grounds[0]
    assert "definitive evidence" in a.grounds[0]
    assert "regulation 5(2)(b)(ii)" in a.grounds[0]


def test_always_review_case_explains_that_5_2_is_not_met() -> None:
    a = assess(facts(outcome="died", abuse_or_neglect="not_suspected", mental_health_act_detention=True))
    assert any("5(2)(a) is not met" in g for g in a.grounds)
    assert any("Mental Health Act 1983" in g and "even if" in g for g in a.grounds)


def test_always_review_does_not_apply_to_harm() -> None:
    a = assess(facts(outcome="seriously_harmed", abuse_or_neglect="not_suspected", custody="police_custody"))
    assert any("only when the child dies" in g for g in a.grounds)


def test_discretionary_options_are_the_five_from_001_section_5() -> None:
    a = assess(facts(outcome="died", abuse_or_neglect="not_suspected"))
    assert len(a.discretionary_options) == 5
    joined = " ".join(a.discretionary_options)
    for phrase in ("single-agency audit", "more than one agency", "good or excellent practice",
                   "multi-agency audit framework", "'stuck'"):  # fmt: skip
        assert phrase in joined.lower()


def test_every_reason_names_its_source() -> None:
    for case in ALL:
        a = assess(case)
        for text in (*a.notifiable_grounds, *a.grounds, *a.discretionary_options):
            assert "001 §" in text, text
        assert a.grounds, case


# --- invariants over every combination of facts --------------------------------------------------


def test_invariants_over_all_facts() -> None:
    assert len(ALL) > 3000
    for case in ALL:
        a = assess(case)
        abuse = case.abuse_or_neglect != "not_suspected"
        died = case.outcome == "died"
        # 001 §1: every SCR case (or one that is an SCR unless evidence says otherwise) is also notifiable.
        if a.scr != "not_required":
            assert a.notifiable, case
        if a.scr == "required":
            assert a.bases, case
        if a.bases and not a.definitive_evidence_required:
            assert a.scr == "required", case
        # 5(2) bases need abuse or neglect; always-review bases need a death.
        if not abuse:
            assert not {I, II} & set(a.bases), case
        if not died:
            assert not {CUSTODY, MHA, DOL} & set(a.bases), case
            assert I not in a.bases
        # Nothing at all to notify without a death or abuse/neglect.
        if not died and not abuse:
            assert not a.notifiable
            assert a.scr == "not_required"
        # A death with abuse or neglect is always an SCR, whatever else is true.
        if died and abuse:
            assert I in a.bases
        assert len(set(a.bases)) == len(a.bases)
        harmed = case.outcome == "seriously_harmed"
        assert a.definitive_evidence_required is (abuse and harmed and case.inter_agency_concern != "yes")
        # 5(2)(b)(ii) screens as "required unless definitive evidence" until the evidence is recorded (001 §3).
        if a.definitive_evidence_required:
            assert a.scr == "required_unless_definitive_evidence", case
            assert assess(case, definitive_evidence_recorded=True).scr == "not_required"


def test_chair_decision_invariants_over_all_facts() -> None:
    for case in ALL:
        a = assess(case)
        assert chair_decision_problem(a, "initiate_scr", None) is None
        for decision in ("do_not_initiate", "alternative_review"):
            with_evidence = chair_decision_problem(a, decision, "Chronology shows no agency contact.")
            without = chair_decision_problem(a, decision, None)
            # A statement can only help, never hurt.
            if without is None:
                assert with_evidence is None
            assert (with_evidence is None) is a.do_not_initiate_allowed, (case, decision)
            assert (without is None) is (a.do_not_initiate_allowed and not a.definitive_evidence_required)


# --- chair decisions ------------------------------------------------------------------------------

EVIDENCE = "Agency records show the health visitor and school shared concerns the same day; no gaps."
DIED_ABUSE = facts(outcome="died", abuse_or_neglect="known")
CUSTODY_DEATH = facts(outcome="died", abuse_or_neglect="not_suspected", custody="secure_childrens_home")
HARM_CONCERN = facts(outcome="seriously_harmed", abuse_or_neglect="known", inter_agency_concern="yes")
HARM_PRESUMED = facts(outcome="seriously_harmed", abuse_or_neglect="suspected", inter_agency_concern="unknown")
HARM_NO_CONCERN = facts(outcome="seriously_harmed", abuse_or_neglect="known", inter_agency_concern="no")
NO_ABUSE = facts(outcome="seriously_harmed", abuse_or_neglect="not_suspected")
LAC_DEATH = facts(outcome="died", abuse_or_neglect="not_suspected", looked_after=True)


@pytest.mark.parametrize(
    ("case", "decision", "evidence", "refusal"),
    [
        # Mandatory cases: no "do not initiate", no alternative review, evidence or not.
        (DIED_ABUSE, "do_not_initiate", None, "mandatory"),
        (DIED_ABUSE, "do_not_initiate", EVIDENCE, "mandatory"),
        (DIED_ABUSE, "alternative_review", None, "mandatory"),
        (DIED_ABUSE, "initiate_scr", None, None),
        (CUSTODY_DEATH, "do_not_initiate", None, "mandatory"),
        (CUSTODY_DEATH, "do_not_initiate", EVIDENCE, "mandatory"),
        (CUSTODY_DEATH, "alternative_review", EVIDENCE, "mandatory"),
        (CUSTODY_DEATH, "initiate_scr", None, None),
        # 5(2)(b)(ii) with concern recorded: the evidence cannot contradict the record.
        (HARM_CONCERN, "do_not_initiate", EVIDENCE, "mandatory"),
        (HARM_CONCERN, "alternative_review", EVIDENCE, "mandatory"),
        (HARM_CONCERN, "initiate_scr", None, None),
        # 5(2)(b)(ii) with concern presumed: only with the definitive-evidence statement.
        (HARM_PRESUMED, "do_not_initiate", None, "definitive evidence"),
        (HARM_PRESUMED, "do_not_initiate", "", "definitive evidence"),
        (HARM_PRESUMED, "do_not_initiate", "  \n\t ", "definitive evidence"),
        (HARM_PRESUMED, "do_not_initiate", EVIDENCE, None),
        (HARM_PRESUMED, "alternative_review", None, "definitive evidence"),
        (HARM_PRESUMED, "alternative_review", EVIDENCE, None),
        # Seriously harmed with abuse and "no concern": that claim still needs the evidence.
        (HARM_NO_CONCERN, "do_not_initiate", None, "definitive evidence"),
        (HARM_NO_CONCERN, "do_not_initiate", EVIDENCE, None),
        (HARM_NO_CONCERN, "alternative_review", None, "definitive evidence"),
        (HARM_NO_CONCERN, "initiate_scr", None, None),
        # Criteria not met: every decision is open, no statement needed.
        (NO_ABUSE, "do_not_initiate", None, None),
        (NO_ABUSE, "alternative_review", None, None),
        (NO_ABUSE, "initiate_scr", None, None),
        (LAC_DEATH, "do_not_initiate", None, None),
        (LAC_DEATH, "alternative_review", None, None),
    ],
)
def test_chair_decisions(
    case: IncidentFacts, decision: ChairDecision, evidence: str | None, refusal: str | None
) -> None:
    problem = chair_decision_problem(assess(case), decision, evidence)
    if refusal is None:
        assert problem is None
    else:
        assert problem is not None
        assert refusal in problem


def test_refusal_messages_are_readable_and_cite_the_rule() -> None:
    dni = chair_decision_problem(assess(CUSTODY_DEATH), "do_not_initiate", None)
    assert dni is not None
    assert dni.startswith("An SCR is mandatory for this case, so the chair cannot choose 'do not initiate'.")
    assert "secure children's home" in dni
    assert "001 §3" in dni
    alt = chair_decision_problem(assess(DIED_ABUSE), "alternative_review", None)
    assert alt is not None
    assert "an alternative review instead of an SCR" in alt
    assert "regulation 5(2)(b)(i)" in alt
    ev = chair_decision_problem(assess(HARM_PRESUMED), "do_not_initiate", None)
    assert ev is not None
    assert "'do not initiate'" in ev
    assert "regulation 5(2)(b)(ii); 001 §3" in ev
    assert "_" not in dni + alt + ev  # no internal identifiers in text for board members


# --- the facts model ------------------------------------------------------------------------------


def test_suspected_suicide_requires_a_death() -> None:
    with pytest.raises(ValidationError, match="suspected_suicide applies only when the child died"):
        IncidentFacts(outcome="seriously_harmed", abuse_or_neglect="known", suspected_suicide=True)


def test_facts_reject_unknown_fields_and_values() -> None:
    with pytest.raises(ValidationError, match="extra"):
        IncidentFacts.model_validate({"outcome": "died", "abuse_or_neglect": "known", "child_name": "X"})
    with pytest.raises(ValidationError):
        IncidentFacts.model_validate({"outcome": "injured", "abuse_or_neglect": "known"})
    with pytest.raises(ValidationError):
        IncidentFacts.model_validate({"outcome": "died", "abuse_or_neglect": "known", "custody": "prison"})
    with pytest.raises(ValidationError):
        IncidentFacts.model_validate({"outcome": "died"})


def test_facts_defaults_and_json_round_trip() -> None:
    f = IncidentFacts.model_validate({"outcome": "died", "abuse_or_neglect": "suspected"})
    assert (f.inter_agency_concern, f.custody, f.looked_after) == ("unknown", None, False)
    assert IncidentFacts.model_validate_json(f.model_dump_json()) == f


def test_facts_and_assessment_are_frozen() -> None:
    f = facts(outcome="died", abuse_or_neglect="known")
    with pytest.raises(ValidationError):
        f.outcome = "seriously_harmed"  # type: ignore[misc]
    a = assess(f)
    with pytest.raises(ValidationError):
        a.scr = "not_required"  # type: ignore[misc]
    assert Assessment.model_validate_json(a.model_dump_json()) == a


def test_every_field_is_documented_for_openapi() -> None:
    for model in (IncidentFacts, Assessment):
        properties = model.model_json_schema()["properties"]
        undocumented = [name for name, schema in properties.items() if len(schema.get("description", "")) < 10]
        assert undocumented == [], model.__name__
