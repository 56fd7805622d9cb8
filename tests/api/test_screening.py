"""POST /api/v1/screening: the criteria applied to incident facts, without opening a case."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from temporalio.client import Client

from api.app import create_app
from api.context import AppContext
from domain.criteria import DISCRETIONARY_OPTIONS
from store.database import create_engine, session_factory
from store.settings import Settings

URL = "/api/v1/screening"
STAFF = {"Authorization": "Bearer dev:business_manager:bea"}
AUDITOR = {"Authorization": "Bearer dev:auditor:ann"}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings()
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'screening.db'}")
    # Screening never touches Temporal (or the database): a stand-in proves it.
    context = AppContext(settings=settings, sessions=session_factory(engine), temporal=cast(Client, object()))
    app = create_app(settings, context=context)
    app.state.context = context  # ASGITransport does not run the lifespan that would set it
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            yield http
    finally:
        await engine.dispose()


async def _screen(client: httpx.AsyncClient, facts: dict[str, Any], headers: dict[str, str] = STAFF) -> Any:
    response = await client.post(URL, json=facts, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_death_with_abuse_known_requires_an_scr_under_5_2_b_i(client: httpx.AsyncClient) -> None:
    body = await _screen(client, {"outcome": "died", "abuse_or_neglect": "known"})

    assert body["notifiable"] is True
    assert body["notifiable_grounds"]
    assert body["scr"] == "required"
    assert body["bases"] == ["regulation_5_2_b_i"]
    assert body["grounds"]
    assert any("5(2)(b)(i)" in ground for ground in body["grounds"])
    assert body["discretionary_options"] == []
    assert body["do_not_initiate_allowed"] is False
    assert body["definitive_evidence_required"] is False


async def test_custody_death_without_abuse_always_requires_an_scr(client: httpx.AsyncClient) -> None:
    facts = {"outcome": "died", "abuse_or_neglect": "not_suspected", "custody": "young_offender_institution"}
    body = await _screen(client, facts)

    assert body["scr"] == "required"
    assert body["bases"] == ["always_custody"]
    assert body["notifiable"] is True
    assert body["do_not_initiate_allowed"] is False
    assert any("Young Offender Institution" in ground for ground in body["grounds"])


async def test_not_notifiable_case_is_not_required_and_lists_the_five_discretionary_options(
    client: httpx.AsyncClient,
) -> None:
    body = await _screen(client, {"outcome": "seriously_harmed", "abuse_or_neglect": "not_suspected"})

    assert body["notifiable"] is False
    assert body["notifiable_grounds"] == []
    assert body["scr"] == "not_required"
    assert body["bases"] == []
    assert body["grounds"]
    assert body["discretionary_options"] == list(DISCRETIONARY_OPTIONS)
    assert len(body["discretionary_options"]) == 5
    assert body["do_not_initiate_allowed"] is True


async def test_any_role_may_screen(client: httpx.AsyncClient) -> None:
    body = await _screen(client, {"outcome": "died", "abuse_or_neglect": "suspected"}, headers=AUDITOR)
    assert body["scr"] == "required"


async def test_screening_returns_exactly_the_assessment_fields(client: httpx.AsyncClient) -> None:
    body = await _screen(client, {"outcome": "seriously_harmed", "abuse_or_neglect": "known"})
    assert set(body) == {
        "notifiable",
        "notifiable_grounds",
        "scr",
        "bases",
        "grounds",
        "discretionary_options",
        "do_not_initiate_allowed",
        "definitive_evidence_required",
    }
    # Inter-agency concern defaults to 'unknown', which is presumed: required unless definitive evidence.
    assert body["bases"] == ["regulation_5_2_b_ii"]
    assert body["definitive_evidence_required"] is True


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"outcome": "died", "abuse_or_neglect": "known", "child_name": "X"}, "child_name"),
        ({"outcome": "died", "abuse_or_neglect": "probably"}, "abuse_or_neglect"),
        ({"outcome": "died", "abuse_or_neglect": "known", "custody": "prison"}, "custody"),
        ({"abuse_or_neglect": "known"}, "outcome"),
    ],
    ids=["unknown-field", "bad-enum", "bad-custody", "missing-outcome"],
)
async def test_bad_facts_are_422_naming_the_field(client: httpx.AsyncClient, facts: dict[str, Any], field: str) -> None:
    response = await client.post(URL, json=facts, headers=STAFF)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert [error["field"] for error in problem["errors"]] == [field]
    assert field in problem["detail"]


async def test_without_a_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post(URL, json={"outcome": "died", "abuse_or_neglect": "known"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_deprivation_of_liberty_order_counts_at_16_or_17_and_any_custody_counts(
    client: httpx.AsyncClient,
) -> None:
    dols = await _screen(
        client,
        {
            "outcome": "died",
            "abuse_or_neglect": "not_suspected",
            "deprivation_of_liberty_order": True,
            "age_at_incident": 17,
        },
    )
    assert dols["bases"] == ["always_deprivation_of_liberty"]
    assert any("aged 17" in ground for ground in dols["grounds"])
    other = await _screen(client, {"outcome": "died", "abuse_or_neglect": "not_suspected", "custody": "other_custody"})
    assert other["bases"] == ["always_custody"]
    assert other["notifiable"] is True

    too_young = {
        "outcome": "died",
        "abuse_or_neglect": "not_suspected",
        "deprivation_of_liberty_order": True,
        "age_at_incident": 15,
    }
    response = await client.post(URL, json=too_young, headers=STAFF)
    assert response.status_code == 422
    assert "applies at 16 or 17; age_at_incident is 15" in response.json()["detail"]
