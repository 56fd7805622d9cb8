"""Whether an incident is notifiable and whether an SCR must be initiated (scr-process.md, "Decision rules").

Every ground names its source so the chair, the National Panel and an auditor can check the reasoning
against the procedure (001) rather than trust the software.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Outcome = Literal["died", "seriously_harmed", "no_death_or_serious_harm"]
AbuseOrNeglect = Literal["known", "suspected", "not_suspected"]
Custody = Literal[
    "police_custody",
    "remand",
    "following_sentence",
    "young_offender_institution",
    "secure_training_centre",
    "secure_childrens_home",
    "other_custody",
]
InterAgencyConcern = Literal["yes", "no", "unknown"]
ChairDecision = Literal["initiate_scr", "do_not_initiate", "alternative_review"]
LearningReason = Literal[
    "single_agency_audit", "complex_multi_agency", "good_practice", "multi_agency_audit", "stuck_case"
]
ScrScreening = Literal["required", "required_unless_definitive_evidence", "not_required"]
LEARNING_REASONS: dict[str, str] = {
    "single_agency_audit": "a single-agency audit or review found significant practice issues",
    "complex_multi_agency": "a complex case raising concerns for more than one agency",
    "good_practice": "good or excellent practice that agencies could learn from",
    "multi_agency_audit": "a case from the multi-agency audit framework that would benefit from review",
    "stuck_case": "a complex or 'stuck' case",
}


class IncidentFacts(BaseModel):
    """What is known about the incident; the only input to the criteria."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: Outcome = Field(
        description=(
            "'died', or 'seriously_harmed': a potentially life-threatening injury, or serious and/or "
            "likely long-term impairment of physical or mental health or development. Recovery does "
            "not rule serious harm out (001 §3). 'no_death_or_serious_harm': a referral for a learning "
            "review (001 §5), with 'learning_review_reason'."
        )
    )
    abuse_or_neglect: AbuseOrNeglect = Field(
        description="Whether abuse or neglect of the child is known, suspected, or not suspected."
    )
    suspected_suicide: bool = Field(
        default=False, description="The child died by suspected suicide (only with outcome 'died')."
    )
    looked_after: bool = Field(default=False, description="The child was looked after by a local authority.")
    regulated_setting: bool = Field(
        default=False, description="The child was in a regulated setting or service at the time."
    )
    custody: Custody | None = Field(
        default=None,
        description=(
            "Where the child was held in custody, if anywhere: police custody, on remand, following "
            "sentence, a Young Offender Institution, a secure training centre, a secure children's home, or "
            "'other_custody' for any other form of custody (001 §3 covers a death in custody wherever held)."
        ),
    )
    mental_health_act_detention: bool = Field(
        default=False, description="The child was detained under the Mental Health Act 1983."
    )
    deprivation_of_liberty_order: bool = Field(
        default=False,
        description=(
            "The child, aged 16 or 17, was subject to a deprivation of liberty order under the Mental "
            "Capacity Act 2005 (record age_at_incident: the rule applies at 16 and 17 only)."
        ),
    )
    age_at_incident: int | None = Field(
        default=None,
        ge=0,
        le=17,
        description="The child's age in whole years at the incident; required with deprivation_of_liberty_order.",
    )
    inter_agency_concern: InterAgencyConcern = Field(
        default="unknown",
        description=(
            "Is there cause for concern about how the agencies worked together to safeguard the child? "
            "'unknown' is treated as 'yes': concern is presumed unless there is definitive evidence "
            "that there is none (001 §3)."
        ),
    )
    learning_review_reason: LearningReason | None = Field(
        default=None,
        description=(
            "Why a case with no death or serious harm is referred for a learning review (001 §5): a "
            "single-agency audit, a complex multi-agency case, good practice, the multi-agency audit "
            "framework, or a 'stuck' case. Required with outcome 'no_death_or_serious_harm'."
        ),
    )
    other_lscbs: tuple[Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,16}$", to_upper=True)], ...] = Field(
        default=(),
        max_length=10,
        description=(
            "Board codes of any other relevant LSCB (e.g. where the child lived): each gets the incident "
            "notice too (001 §1)."
        ),
    )

    @model_validator(mode="after")
    def _consistent(self) -> IncidentFacts:
        if self.suspected_suicide and self.outcome != "died":
            raise ValueError(f"suspected_suicide applies only when the child died, but outcome is '{self.outcome}'")
        if (self.outcome == "no_death_or_serious_harm") != (self.learning_review_reason is not None):
            raise ValueError(
                "learning_review_reason is required with outcome 'no_death_or_serious_harm' (a referral for a "
                "learning review, 001 §5), and only then"
            )
        if len(set(self.other_lscbs)) != len(self.other_lscbs):
            raise ValueError("other_lscbs names the same board twice")
        # Cases opened before the age was recorded carry none; new ones must give it (api/schemas.py).
        if self.deprivation_of_liberty_order and self.age_at_incident is not None and self.age_at_incident < 16:
            raise ValueError(
                f"a deprivation of liberty order under the Mental Capacity Act 2005 applies at 16 or 17; "
                f"age_at_incident is {self.age_at_incident} (001 §3)"
            )
        return self


class ScrBasis(StrEnum):
    REGULATION_5_2_B_I = "regulation_5_2_b_i"
    REGULATION_5_2_B_II = "regulation_5_2_b_ii"
    CUSTODY = "always_custody"
    MENTAL_HEALTH_ACT = "always_mental_health_act"
    DEPRIVATION_OF_LIBERTY = "always_deprivation_of_liberty"


class Assessment(BaseModel):
    """The criteria applied to the facts, with the reasons in plain English."""

    model_config = ConfigDict(frozen=True)

    notifiable: bool = Field(description="The local authority must notify Ofsted and the LSCB (001 §1).")
    notifiable_grounds: list[str] = Field(description="Why the incident is notifiable, each with its source.")
    scr: ScrScreening = Field(
        description=(
            "Whether an SCR must be initiated: 'required', 'not_required', or, for a seriously harmed child under "
            "regulation 5(2)(b)(ii), 'required_unless_definitive_evidence' until the definitive evidence that "
            "agencies worked together well is recorded, never plain 'not_required' before (001 §3)."
        )
    )
    bases: list[ScrBasis] = Field(description="The criteria that make an SCR mandatory; empty if none.")
    grounds: list[str] = Field(description="Why an SCR is or is not required, each with its source.")
    discretionary_options: list[str] = Field(
        description=(
            "When no SCR is required: the reasons the board may still commission a discretionary SCR "
            "or an alternative review (001 §4-5). Empty when an SCR is required."
        )
    )
    do_not_initiate_allowed: bool = Field(
        description="The chair may decide not to initiate an SCR (possibly only with definitive evidence)."
    )
    definitive_evidence_required: bool = Field(
        description=(
            "A decision other than initiating an SCR must record the definitive evidence that there is "
            "no cause for concern about inter-agency working (regulation 5(2)(b)(ii); 001 §3)."
        )
    )


_CUSTODY_PLACES: dict[str, str] = {
    "police_custody": "in police custody",
    "remand": "on remand",
    "following_sentence": "in custody following sentencing",
    "young_offender_institution": "in a Young Offender Institution",
    "secure_training_centre": "in a secure training centre",
    "secure_childrens_home": "in a secure children's home",
    "other_custody": "in custody",
}

_ALWAYS = "an SCR must always be carried out, even if the criteria in regulation 5(2) are not met (001 §3)"

DISCRETIONARY_OPTIONS: tuple[str, ...] = (
    "A single-agency audit or review found significant practice issues in the service's own "
    "safeguarding systems, processes or procedures (001 §5).",
    "The case is complex and raises concerns for more than one agency about referral, assessment, "
    "planning, intervention, decision-making or information sharing (001 §5).",
    "Good or excellent practice was identified that agencies could learn from (001 §5).",
    "The case was audited through the multi-agency audit framework, meets any of the reasons above "
    "and would benefit from review (001 §5).",
    "The case is complex or 'stuck': practitioners or managers are struggling to find a way forward (001 §5).",
)


def assess(facts: IncidentFacts, definitive_evidence_recorded: bool = False) -> Assessment:
    """Apply the notifiable-incident criteria (001 §1) and the SCR criteria (001 §3) to the facts.

    ``definitive_evidence_recorded``: the evidence that agencies worked together well is on the case, which
    alone turns a 5(2)(b)(ii) screening from "required unless definitive evidence" into "not required"."""
    abuse = facts.abuse_or_neglect in ("known", "suspected")
    died = facts.outcome == "died"
    harmed = facts.outcome == "seriously_harmed"
    death = "died by suspected suicide" if facts.suspected_suicide else "died"

    always = _always_review(facts) if died else []
    notifiable_grounds = _notifiable_grounds(facts, abuse=abuse, death=death)
    notifiable_grounds += [f"{reason}, so the incident is notifiable (001 §1, §3)." for _, reason in always]

    bases: list[ScrBasis] = []
    grounds: list[str] = []
    # Seriously harmed with abuse or neglect: 5(2)(b)(ii) turns on inter-agency concern, which only
    # definitive evidence can rule out; "no" without that evidence is not enough to skip the SCR.
    harm_under_ii = abuse and harmed and facts.inter_agency_concern != "yes"
    if abuse and died:
        bases.append(ScrBasis.REGULATION_5_2_B_I)
        grounds.append(
            f"Abuse or neglect is {facts.abuse_or_neglect} and the child {death}, so an SCR must be "
            "initiated (regulation 5(2)(b)(i); 001 §3)."
        )
    elif not died and not harmed:
        reason = LEARNING_REASONS[facts.learning_review_reason or "good_practice"]
        grounds.append(
            "The child neither died nor was seriously harmed, so regulation 5(2) is not met and the incident is "
            f"not notifiable; the case is referred for a learning review: {reason} (001 §5)."
        )
    elif abuse and facts.inter_agency_concern == "yes":
        bases.append(ScrBasis.REGULATION_5_2_B_II)
        grounds.append(
            f"Abuse or neglect is {facts.abuse_or_neglect}, the child was seriously harmed and there is "
            "cause for concern about how agencies worked together, so an SCR must be initiated "
            "(regulation 5(2)(b)(ii); 001 §3)."
        )
    elif abuse and facts.inter_agency_concern == "unknown":
        bases.append(ScrBasis.REGULATION_5_2_B_II)
        grounds.append(
            f"Abuse or neglect is {facts.abuse_or_neglect} and the child was seriously harmed; concern "
            "about how agencies worked together is presumed because there is no definitive evidence that "
            "there is none, so an SCR must be initiated unless that evidence is recorded "
            "(regulation 5(2)(b)(ii); 001 §3)."
        )
    elif abuse:
        grounds.append(
            f"Abuse or neglect is {facts.abuse_or_neglect} and the child was seriously harmed, and no cause "
            "for concern about how agencies worked together is recorded; that rules regulation 5(2)(b)(ii) out "
            "only on definitive evidence, so an SCR is required unless that evidence is recorded (001 §3)."
        )
    else:
        grounds.append("Abuse or neglect is not known or suspected, so regulation 5(2)(a) is not met (001 §3).")

    for basis, reason in always:
        bases.append(basis)
        grounds.append(f"{reason}: {_ALWAYS}")
    if not died and _always_review(facts):
        grounds.append(
            "The child was held in custody, detained or deprived of liberty but did not die; the cases that "
            "must always be reviewed apply only when the child dies (001 §3)."
        )

    if harm_under_ii and definitive_evidence_recorded:
        grounds.append(
            "The definitive evidence that there is no cause for concern about how agencies worked together is "
            "recorded, so regulation 5(2)(b)(ii) does not require an SCR (001 §3)."
        )
    required = bool(bases)
    only_ii = bases == [ScrBasis.REGULATION_5_2_B_II]
    screening: ScrScreening = "required" if required else "not_required"
    if harm_under_ii:
        screening = "not_required" if definitive_evidence_recorded else "required_unless_definitive_evidence"
    return Assessment(
        notifiable=bool(notifiable_grounds),
        notifiable_grounds=notifiable_grounds,
        scr=screening,
        bases=bases,
        grounds=grounds,
        discretionary_options=[] if screening != "not_required" else list(DISCRETIONARY_OPTIONS),
        do_not_initiate_allowed=not required or (only_ii and harm_under_ii),
        definitive_evidence_required=harm_under_ii,
    )


def _notifiable_grounds(facts: IncidentFacts, *, abuse: bool, death: str) -> list[str]:
    grounds = []
    if abuse and facts.outcome == "died":
        grounds.append(
            f"The child {death} and abuse or neglect is {facts.abuse_or_neglect} "
            "(notifiable incident criterion 1; 001 §1)."
        )
    if abuse and facts.outcome == "seriously_harmed":
        grounds.append(
            f"The child was seriously harmed and abuse or neglect is {facts.abuse_or_neglect} "
            "(notifiable incident criterion 2; 001 §1)."
        )
    if facts.looked_after and facts.outcome == "died":
        grounds.append(
            "A looked-after child died, whether or not abuse or neglect is known or suspected "
            "(notifiable incident criterion 3; 001 §1)."
        )
    if facts.regulated_setting and facts.outcome == "died":
        grounds.append(
            "A child in a regulated setting or service died, whether or not abuse or neglect is known or "
            "suspected (notifiable incident criterion 4; 001 §1)."
        )
    return grounds


def _always_review(facts: IncidentFacts) -> list[tuple[ScrBasis, str]]:
    """The always-review circumstances present in the facts, each with its reason (to be used on death)."""
    found = []
    if facts.custody is not None:
        found.append((ScrBasis.CUSTODY, f"The child died {_CUSTODY_PLACES[facts.custody]}"))
    if facts.mental_health_act_detention:
        found.append((ScrBasis.MENTAL_HEALTH_ACT, "The child died while detained under the Mental Health Act 1983"))
    if facts.deprivation_of_liberty_order:
        age = facts.age_at_incident if facts.age_at_incident is not None else "16 or 17"
        found.append(
            (
                ScrBasis.DEPRIVATION_OF_LIBERTY,
                f"The child, aged {age}, died while subject to a deprivation of liberty order under the "
                "Mental Capacity Act 2005",
            )
        )
    return found


_DECISION_WORDS: dict[str, str] = {
    "do_not_initiate": "'do not initiate'",
    "alternative_review": "an alternative review instead of an SCR",
}


def chair_decision_problem(
    assessment: Assessment, decision: ChairDecision, definitive_evidence: str | None
) -> str | None:
    """Why the chair may not make this decision on this case, or None if it is allowed.

    Initiating an SCR is always allowed (a discretionary SCR needs no criteria, 001 §4). Anything
    else is refused on a mandatory case, except where the only basis is 5(2)(b)(ii) with inter-agency
    concern presumed rather than recorded: the definitive evidence that there is no concern lifts
    the duty, so it must be written down. The same evidence is needed whenever a seriously harmed
    child with known or suspected abuse or neglect is to get no SCR.
    """
    if decision == "initiate_scr":
        return None
    words = _DECISION_WORDS[decision]
    if assessment.scr == "required" and not assessment.do_not_initiate_allowed:
        reasons = " ".join(assessment.grounds)
        return f"An SCR is mandatory for this case, so the chair cannot choose {words}. {reasons}"
    if assessment.definitive_evidence_required and not (definitive_evidence or "").strip():
        return (
            f"The chair can choose {words} only by recording the definitive evidence that there is no "
            "cause for concern about how agencies worked together to safeguard this seriously harmed "
            "child. Without it, concern is presumed and an SCR must be initiated "
            "(regulation 5(2)(b)(ii); 001 §3)."
        )
    return None
