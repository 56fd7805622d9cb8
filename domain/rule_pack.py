"""Statutory deadlines as data: the "SCR 2015" rule pack (scr-process.md, "Deadlines").

Rules are data, not code, so each deadline can show the user its rule and its source, and a later
regime can ship as a new pack and version without touching the workflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.calendar import WorkingDayCalendar, add_calendar_months
from domain.roles import Recipient, Role

REGIME_START = date(2006, 4, 1)
"""The Local Safeguarding Children Boards Regulations 2006 (SI 2006/90), whose regulation 5 gives boards their
Serious Case Reviews, came into force on 1 April 2006 (regulation 1): no case date of this service is earlier."""
LATEST_CASE_DATE = date(2099, 12, 31)
"""Local practice, not law: the latest date a decision may name (a due date, a publication or retention date).
It keeps nonsense dates out of the deadline calendars, which are built for every year a case's dates touch."""


class PeriodUnit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_MONTHS = "calendar_months"


class Direction(StrEnum):
    AFTER = "after"
    BEFORE = "before"


class CaseEvent(StrEnum):
    """Dates on a case that a deadline can run from; the values are the case's field names."""

    AWARE = "aware_on"  # local authority became aware of the incident
    NOTIFIED = "notified_on"  # LSCB notified
    INITIATED = "initiated_on"  # SCR initiated
    PUBLICATION_PLANNED = "publication_on"  # planned publication date
    PUBLISHED = "published_on"


@dataclass(frozen=True)
class Period:
    amount: int
    unit: PeriodUnit
    direction: Direction

    def __post_init__(self) -> None:
        if self.amount < 1:
            raise ValueError(f"a period must be at least 1 {self.unit}, got {self.amount}")

    def apply(self, calendar: WorkingDayCalendar, start: date) -> date:
        """The due date. Calendar-month periods ignore working days: the seeds say "month", not
        "working month", and the worked examples land on the same day of the month."""
        if self.unit is PeriodUnit.WORKING_DAYS:
            if self.direction is Direction.AFTER:
                return calendar.add_working_days(start, self.amount)
            return calendar.subtract_working_days(start, self.amount)
        sign = 1 if self.direction is Direction.AFTER else -1
        return add_calendar_months(start, sign * self.amount)

    def describe(self) -> str:
        """E.g. "5 working days after", "1 calendar month after"."""
        noun = {PeriodUnit.WORKING_DAYS: "working day", PeriodUnit.CALENDAR_MONTHS: "calendar month"}
        plural = "" if self.amount == 1 else "s"
        return f"{self.amount} {noun[self.unit]}{plural} {self.direction}"


# Short names for the seed documents in /work/shared/seeds, shown next to every deadline.
DOCUMENT_TITLES: Mapping[str, str] = {
    "000_c495c0e14edff0dd.txt": "NEL SCR report & publishing policy",
    "001_67df1401d00550cb.txt": "NEL SCR procedure",
    "002_e18c100bbec430c3.txt": "National panel second report summary",
    "003_c2a51ae687d2373f.txt": "SCIE SCR quality markers: publication",
    "004_158df5185213391d.txt": "Kent briefing on publishing SCRs (2010)",
}


@dataclass(frozen=True)
class Source:
    document: str  # seed file name, e.g. "001_67df1401d00550cb.txt"
    section: str  # "§1", or a heading where the document has no numbered sections
    summary: str  # what the source says, one sentence

    def cite(self) -> str:
        """E.g. "NEL SCR procedure (001) §1" or "... (000) 'Period of Publication'"."""
        title = DOCUMENT_TITLES.get(self.document, self.document)
        code = self.document.split("_", 1)[0]
        section = self.section if self.section.startswith("§") else f"'{self.section}'"
        return f"{title} ({code}) {section}"


@dataclass(frozen=True)
class DeadlineRule:
    key: str
    title: str
    runs_from: CaseEvent
    event_description: str  # completes "5 working days after ...": "the local authority became aware ..."
    period: Period
    who_acts: Role
    who_is_told: tuple[Role | Recipient, ...]
    sources: tuple[Source, ...]
    # Reminders go out at the start of the working day this many working days before the due date.
    reminder_working_days_before: tuple[int, ...]
    # Told when the deadline passes unmet; empty when passing the date is no breach.
    escalate_to: tuple[Role | Recipient, ...]
    # A deadline is due by the end of its day; an earliest date ("not before") is reached at its start.
    reached_at_start_of_day: bool = False

    def __post_init__(self) -> None:
        if not self.sources:
            raise ValueError(f"rule {self.key!r} has no source: every deadline must show where it comes from")
        if any(offset < 1 for offset in self.reminder_working_days_before):
            raise ValueError(f"rule {self.key!r}: reminder offsets must be at least 1 working day")

    def describe(self) -> str:
        """E.g. "5 working days after the local authority became aware of the incident"."""
        return f"{self.period.describe()} {self.event_description}"

    def source_text(self) -> str:
        """E.g. "NEL SCR procedure (001) §1"; several sources are joined with "; "."""
        return "; ".join(source.cite() for source in self.sources)


@dataclass(frozen=True)
class RulePack:
    name: str
    version: str
    rules: tuple[DeadlineRule, ...]

    def __post_init__(self) -> None:
        keys = [rule.key for rule in self.rules]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"rule pack {self.name!r} v{self.version} repeats rule keys: {duplicates}")

    def rule(self, key: str) -> DeadlineRule:
        for rule in self.rules:
            if rule.key == key:
                return rule
        known = ", ".join(rule.key for rule in self.rules)
        raise KeyError(f"rule pack {self.name!r} v{self.version} has no rule {key!r}; its rules are: {known}")


@dataclass(frozen=True)
class ComputedDeadline:
    key: str
    title: str
    due: date  # the act is due by the end of this day, UK time
    rule: str  # DeadlineRule.describe()
    source: str  # DeadlineRule.source_text()
    reminders: tuple[date, ...]  # the working days reminders go out on (at their start), ascending
    who_acts: str
    escalate_to: tuple[str, ...]
    reached_at_start_of_day: bool = False


def compute_deadlines(
    pack: RulePack,
    calendar: WorkingDayCalendar,
    events: Mapping[CaseEvent, date],
    office: WorkingDayCalendar | None = None,
) -> list[ComputedDeadline]:
    """One deadline per rule whose starting event has a date, in pack order.

    Due dates count only weekends and bank holidays (``calendar``): a board's closure days never move a
    statutory deadline. Reminders are internal, so they fall on the board's open days (``office``: the same
    calendar plus its closure days), moving earlier when a closure day would take them.

    Past dates are computed like any other: a case created mid-review starts with its deadlines
    already met or breached, which is for the caller to judge against the clock.
    """
    if calendar.closures:
        raise ValueError("statutory deadlines count weekends and bank holidays only: pass closures as 'office'")
    office = office or calendar
    deadlines = []
    for rule in pack.rules:
        start = events.get(rule.runs_from)
        if start is None:
            continue
        due = rule.period.apply(calendar, start)
        reminders = sorted({office.subtract_working_days(due, n) for n in rule.reminder_working_days_before})
        deadlines.append(
            ComputedDeadline(
                key=rule.key,
                title=rule.title,
                due=due,
                rule=rule.describe(),
                source=rule.source_text(),
                reminders=tuple(reminders),
                who_acts=rule.who_acts.value,
                escalate_to=tuple(party.value for party in rule.escalate_to),
                reached_at_start_of_day=rule.reached_at_start_of_day,
            )
        )
    return deadlines


_NEL_POLICY = "000_c495c0e14edff0dd.txt"
_NEL_PROCEDURE = "001_67df1401d00550cb.txt"
SEED_BOARD = "NEL"
"""The board whose own policy (000) and procedure (001) are the seeds the rules cite section by section."""
_LOCAL_TITLES = tuple(DOCUMENT_TITLES[document] for document in (_NEL_POLICY, _NEL_PROCEDURE))


def cite_for_board(source: str, procedure: str | None) -> str:
    """A deadline's source as a board cites it: the seed board's own documents (its policy and procedure) become
    ``procedure``, the board's own procedure; national sources stay. ``None``: as the rule pack says (the seed
    board's cases)."""
    if procedure is None:
        return source
    parts = [procedure if part.startswith(_LOCAL_TITLES) else part for part in source.split("; ")]
    return "; ".join(dict.fromkeys(parts))


SCR_2015 = RulePack(
    name="SCR 2015",
    version="1",
    rules=(
        DeadlineRule(
            key="notify_ofsted",
            title="Notify Ofsted and the LSCB of the incident",
            runs_from=CaseEvent.AWARE,
            event_description="the local authority became aware of the incident",
            period=Period(5, PeriodUnit.WORKING_DAYS, Direction.AFTER),
            who_acts=Role.LOCAL_AUTHORITY,
            who_is_told=(Recipient.OFSTED, Recipient.LSCB),
            sources=(
                Source(
                    _NEL_PROCEDURE,
                    "§1",
                    "The local authority reports a notifiable incident to Ofsted and the LSCB promptly, "
                    "and within five working days of becoming aware of it.",
                ),
            ),
            # The whole window is only a week: nudges two working days and one working day before it closes.
            reminder_working_days_before=(2, 1),
            escalate_to=(Role.BUSINESS_MANAGER, Role.INDEPENDENT_CHAIR),
        ),
        DeadlineRule(
            key="chair_decision",
            title="Independent chair decides whether to initiate an SCR",
            runs_from=CaseEvent.NOTIFIED,
            event_description="the LSCB was notified of the incident",
            period=Period(1, PeriodUnit.CALENDAR_MONTHS, Direction.AFTER),
            who_acts=Role.INDEPENDENT_CHAIR,
            who_is_told=(Recipient.OFSTED, Recipient.NATIONAL_PANEL),
            sources=(
                Source(
                    _NEL_PROCEDURE,
                    "§4",
                    "The decision whether to initiate an SCR rests with the LSCB independent chair and "
                    "should normally be made within one month of notification; Ofsted and the National "
                    "Panel are told the decision.",
                ),
            ),
            # A week's notice leaves time to convene the sub-group or seek peer challenge.
            reminder_working_days_before=(5, 1),
            escalate_to=(Role.BUSINESS_MANAGER, Role.SUB_GROUP),
        ),
        DeadlineRule(
            key="review_completion",
            title="Complete the serious case review",
            runs_from=CaseEvent.INITIATED,
            event_description="the SCR was initiated",
            period=Period(6, PeriodUnit.CALENDAR_MONTHS, Direction.AFTER),
            who_acts=Role.LEAD_REVIEWER,
            who_is_told=(Role.SUB_GROUP, Role.INDEPENDENT_CHAIR),
            sources=(
                Source(
                    _NEL_PROCEDURE,
                    "§8",
                    "The LSCB aims to complete an SCR within six months of initiating it; if it cannot, "
                    "it captures interim learning and takes corrective action meanwhile.",
                ),
            ),
            # About a month, two weeks and a week out: early enough to record an overrun and its reason.
            reminder_working_days_before=(20, 10, 5),
            escalate_to=(Role.SUB_GROUP, Role.INDEPENDENT_CHAIR),
        ),
        DeadlineRule(
            key="prepublication_notice",
            title="Send the final report to Ofsted, DfE and the National Panel before publication",
            runs_from=CaseEvent.PUBLICATION_PLANNED,
            event_description="the planned publication date",
            # 000 says 7 working days, 001 says one week: 7 working days is always at least a week,
            # so it is the stricter and satisfies both.
            period=Period(7, PeriodUnit.WORKING_DAYS, Direction.BEFORE),
            who_acts=Role.BUSINESS_MANAGER,
            who_is_told=(Recipient.OFSTED, Recipient.DFE, Recipient.NATIONAL_PANEL),
            sources=(
                Source(
                    _NEL_POLICY,
                    "Preparing to Publish SCRs",
                    "Completed SCR reports, with the actions taken, go to Ofsted, DfE and the National "
                    "Panel at least 7 working days before publication.",
                ),
                Source(
                    _NEL_PROCEDURE,
                    "§11",
                    "The LSCB sends copies of all SCR reports to the National Panel at least one week "
                    "before publication.",
                ),
            ),
            reminder_working_days_before=(5, 2, 1),
            escalate_to=(Role.INDEPENDENT_CHAIR,),
        ),
        DeadlineRule(
            key="website_minimum",
            title="Earliest date the published report may come off the website",
            runs_from=CaseEvent.PUBLISHED,
            event_description="the report was published",
            period=Period(12, PeriodUnit.CALENDAR_MONTHS, Direction.AFTER),
            who_acts=Role.PUBLISHER,
            who_is_told=(Role.SUB_GROUP, Role.INDEPENDENT_CHAIR),
            sources=(
                Source(
                    _NEL_POLICY,
                    "Period of Publication",
                    "A published report stays on the LSCB website for at least 12 months, and in most "
                    "cases until all actions arising from the SCR are complete.",
                ),
                Source(
                    _NEL_PROCEDURE,
                    "§11",
                    "The report remains on the website for a minimum of 12 months and is then available on request.",
                ),
            ),
            # A week's notice for the sub-group to check whether the actions are complete.
            reminder_working_days_before=(5,),
            # Reaching this date only permits removal; nothing is overdue, so nobody is escalated to.
            escalate_to=(),
            # "A minimum of 12 months": the anniversary completes them (published 4 May 2016, down 4 May 2017).
            reached_at_start_of_day=True,
        ),
        # Issue 14: the LSCB's own deadline, beside Ofsted's, so one recipient's failure leaves the other's met.
        DeadlineRule(
            key="notify_lscb",
            title="Notify the LSCB(s) of the incident",
            runs_from=CaseEvent.AWARE,
            event_description="the local authority became aware of the incident",
            period=Period(5, PeriodUnit.WORKING_DAYS, Direction.AFTER),
            who_acts=Role.LOCAL_AUTHORITY,
            who_is_told=(Recipient.LSCB,),
            sources=(
                Source(
                    _NEL_PROCEDURE,
                    "§1",
                    "The local authority reports a notifiable incident to the relevant LSCB(s) within five "
                    "working days of becoming aware of it; the board is told when the case reaches it "
                    "(notified_on), and any other relevant LSCB by the incident notice.",
                ),
            ),
            reminder_working_days_before=(2, 1),
            # Another LSCB's notice that could not be delivered must be sent by hand.
            escalate_to=(Role.BUSINESS_MANAGER,),
        ),
    ),
)

_PACKS: Mapping[tuple[str, str], RulePack] = {(SCR_2015.name, SCR_2015.version): SCR_2015}


def get_rule_pack(name: str, version: str) -> RulePack:
    """The registered pack; cases record name and version so they keep their rules for life."""
    try:
        return _PACKS[(name, version)]
    except KeyError:
        known = ", ".join(f"{n!r} version {v!r}" for n, v in _PACKS)
        raise KeyError(f"unknown rule pack {name!r} version {version!r}; known packs: {known}") from None
