"""A decision changes a working copy of the case file: equal to it, sharing nothing it could change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from domain.case_file import CaseFile
from domain.case_messages import DeadlineStatus
from domain.stages import Stage
from domain.uk_time import london_date
from tests.support.import_rows import review_rows, to_csv
from tests.unit.test_imports import build, parsed_rows

TODAY = london_date(datetime.now(UTC))


def cases_at_every_stage() -> list[CaseFile]:
    return [build(row).case for row in parsed_rows(to_csv(review_rows("NEL", TODAY)))]


def test_a_working_copy_equals_the_case_at_every_stage() -> None:
    cases = cases_at_every_stage()
    assert len({case.stage for case in cases}) >= 8  # the fixture spans the lifecycle
    for case in cases:
        copy = case.working_copy()
        assert copy == case
        assert copy.model_dump() == case.model_dump()


def test_changing_a_working_copy_leaves_the_case_as_it_was() -> None:
    for case in cases_at_every_stage():
        before = case.model_dump()
        copy = case.working_copy()
        copy.stage = Stage.CLOSED
        copy.version += 1
        copy.counters["chair"] = 99
        copy.incident_notice_to.append("ofsted")
        for deadline in copy.deadlines.values():
            deadline.status = DeadlineStatus.MET
            deadline.reminders_sent += 1
        for action in copy.actions.values():
            action.progress.append("done")
            action.impact = "changed"
        copy.deadlines.clear()
        copy.publication.location = "/elsewhere"
        assert case.model_dump() == before


def test_a_case_the_validators_would_refuse_today_is_still_copied() -> None:
    case = cases_at_every_stage()[0]
    # As if recorded before a validator refused it: a suicide suspected although the child survived.
    case.incident = case.incident.model_construct(**{**dict(case.incident), "outcome": "serious_harm"})
    case.incident = case.incident.model_copy(update={"suspected_suicide": True})
    with pytest.raises(ValidationError):
        CaseFile.model_validate(case.model_dump())
    copy = case.working_copy()
    assert copy == case
    assert copy.incident is not case.incident
