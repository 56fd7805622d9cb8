"""Review phase, who takes part: the organisations involved and their representation (001 §9), the family's
engagement, and parallel reviews of the same events linked by reference (001 §13)."""

from __future__ import annotations

from datetime import date

from domain.case_file import CaseFile
from domain.case_messages import Actor, Refusal
from domain.decision_inputs import LinkParallelReviewInput, RecordFamilyEngagementInput, RecordOrganisationsInput
from domain.lifecycle.handler import Applying, DecisionHandler
from domain.lifecycle.outcome import Outcome, refuse
from domain.lifecycle.stage_groups import BEFORE_PUBLICATION
from domain.roles import Role
from domain.stages import Stage

BM, SG, REVIEWER = Role.BUSINESS_MANAGER, Role.SUB_GROUP, Role.LEAD_REVIEWER
# From the decision to review until the report is accepted: when organisations and the family take part.
REVIEWING = (Stage.REVIEWER_APPOINTMENT, Stage.ALTERNATIVE_REVIEW, Stage.IN_REVIEW, Stage.QUALITY_ASSURANCE)


class RecordOrganisations(DecisionHandler[RecordOrganisationsInput]):
    input_type = RecordOrganisationsInput
    roles = (BM, SG, REVIEWER)
    stages = REVIEWING
    describes = "record the organisations involved"

    def apply(self, case: CaseFile, actor: Actor, d: RecordOrganisationsInput, applying: Applying) -> Outcome:
        case.organisations = {o.name: o.representation for o in d.organisations}
        listed = "; ".join(f"{o.name} ({o.representation})" for o in d.organisations)
        details = {"organisations": [o.model_dump() for o in d.organisations]}
        return Outcome("decision", f"Organisations involved: {listed}", None, details)


class RecordFamilyEngagement(DecisionHandler[RecordFamilyEngagementInput]):
    input_type = RecordFamilyEngagementInput
    roles = (BM, REVIEWER)
    stages = REVIEWING
    describes = "record the family's engagement"

    def check_rule(self, case: CaseFile, actor: Actor, d: RecordFamilyEngagementInput, today: date) -> None:
        if d.engaged_on > today:
            raise refuse(f"engaged_on is after today ({today.isoformat()}).", Refusal.INVALID)
        if d.engaged_on < case.aware_on:
            raise refuse(
                f"engaged_on is before the incident became known ({case.aware_on.isoformat()}).", Refusal.INVALID
            )

    def apply(self, case: CaseFile, actor: Actor, d: RecordFamilyEngagementInput, applying: Applying) -> Outcome:
        how = d.participation.replace("_", " ")
        details = {"engaged_on": d.engaged_on.isoformat(), "participation": d.participation}
        return Outcome("decision", f"Family engagement on {d.engaged_on.isoformat()}: {how}", d.summary, details)


class LinkParallelReview(DecisionHandler[LinkParallelReviewInput]):
    input_type = LinkParallelReviewInput
    roles = (BM, SG)
    stages = (*BEFORE_PUBLICATION, Stage.ALTERNATIVE_REVIEW)
    describes = "link a parallel review"

    def check_rule(self, case: CaseFile, actor: Actor, d: LinkParallelReviewInput, today: date) -> None:
        if d.reference in case.parallel_reviews:
            raise refuse(f"The parallel review {d.reference} is already linked to this case.")

    def apply(self, case: CaseFile, actor: Actor, d: LinkParallelReviewInput, applying: Applying) -> Outcome:
        case.parallel_reviews[d.reference] = d.review_type
        what = d.review_type.replace("_", " ")
        details = {"reference": d.reference, "review_type": d.review_type}
        return Outcome("decision", f"Parallel review linked: {what} {d.reference}", d.coordination, details)


HANDLERS = (RecordOrganisations(), RecordFamilyEngagement(), LinkParallelReview())
