"""The calendar subscription over HTTP: a signed-in caller gets a URL whose token opens their deadline calendar,
scoped as the header path is, and nothing else; a bad, expired or tampered token is a 401, audited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from icalendar import Calendar
from pydantic import SecretStr
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api.feed_tokens import FeedGrant, issue_feed_token
from domain.roles import Role
from domain.uk_time import london_date
from store.database import session_factory
from store.models import AuditEvent
from tests.support.case_harness import Stack, api_stack

TODAY = london_date(datetime.now(UTC))
NEW_SECRET = "n" * 40
OLD_SECRET = "o" * 40


@pytest.fixture(scope="module")
async def feed_stack(
    dev_server_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Stack, str]]:
    from tests.support.services import fresh_database, mailbox

    folder = tmp_path_factory.mktemp("feed")
    async with (
        fresh_database("sqlite", folder) as url,
        mailbox(folder / "mail") as box,
        api_stack(dev_server_env.client, url, box.port) as stack,
    ):
        body = {
            "board": stack.board,
            "aware_on": (TODAY - timedelta(days=2)).isoformat(),
            "notified_on": TODAY.isoformat(),
            "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
        }
        opened = await stack.open_case(body)
        assert opened.status_code == 201, opened.text
        yield stack, opened.json()["reference"]


async def _subscribe(stack: Stack, token_header: str) -> dict[str, str]:
    response = await stack.http.post("/api/v1/calendar/feed", headers={"Authorization": f"Bearer {token_header}"})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return dict(response.json())


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def _refusals(stack: Stack) -> list[AuditEvent]:
    async with session_factory(stack.engine)() as session:
        rows = await session.scalars(select(AuditEvent).where(AuditEvent.kind == "access_refused"))
        return [row for row in rows if row.details.get("action") == "calendar.read"]


async def test_a_subscription_url_opens_my_calendar_without_the_header(feed_stack: tuple[Stack, str]) -> None:
    stack, reference = feed_stack
    feed = await _subscribe(stack, f"dev:independent_chair:alice:{stack.board}")
    base = stack.settings.public_base_url.rstrip("/")
    assert feed["url"].startswith(f"{base}/api/v1/calendar.ics?token=")
    assert jwt.get_unverified_header(parse_qs(urlsplit(feed["url"]).query)["token"][0])["alg"] == "HS256"
    assert feed["webcal_url"] == "webcal://" + feed["url"].split("://", 1)[1]
    expires_at = datetime.fromisoformat(feed["expires_at"])
    assert abs(expires_at - (datetime.now(UTC) + timedelta(days=180))) < timedelta(minutes=1)

    again = await _subscribe(stack, f"dev:independent_chair:alice:{stack.board}")  # asking twice is fine
    assert again["expires_at"] >= feed["expires_at"]

    calendar = await stack.http.get(_path_and_query(feed["url"]))  # what a calendar app sends: no header
    assert calendar.status_code == 200, calendar.text
    assert calendar.headers["content-type"].startswith("text/calendar")
    events = _events(calendar.text)
    chair_decision = events[f"{reference}-chair_decision@scr.lscb"]
    assert isinstance(chair_decision["due"], date)
    assert not isinstance(chair_decision["due"], datetime)  # an all-day event
    assert str(chair_decision["summary"]).startswith(f"{reference}: ")
    with_header = await stack.http.get("/api/v1/calendar.ics", headers=stack.auth("independent_chair", "alice"))
    assert _events(with_header.text) == events

    async with session_factory(stack.engine)() as session:
        issued = list(await session.scalars(select(AuditEvent).where(AuditEvent.kind == "calendar_feed_issued")))
    assert [(row.actor, row.role) for row in issued][-1] == ("alice", "independent_chair")
    assert parse_qs(urlsplit(feed["url"]).query)["token"][0] not in str(issued[-1].details) + issued[-1].summary


def _events(text: str) -> dict[str, dict[str, object]]:
    """The feed's events by UID: due date, summary and description."""
    return {
        str(event["uid"]): {
            "due": event.decoded("dtstart"),
            "summary": str(event["summary"]),
            "description": str(event["description"]),
        }
        for event in Calendar.from_ical(text).walk("VEVENT")
    }


async def test_the_token_is_scoped_to_the_board_it_was_issued_for(feed_stack: tuple[Stack, str]) -> None:
    stack, _ = feed_stack
    elsewhere = await _subscribe(stack, "dev:independent_chair:eve:XYZ")
    calendar = await stack.http.get(_path_and_query(elsewhere["url"]))
    assert calendar.status_code == 200
    assert calendar.text.startswith("BEGIN:VCALENDAR")
    assert "BEGIN:VEVENT" not in calendar.text


async def test_the_token_grants_the_calendar_and_nothing_else(feed_stack: tuple[Stack, str]) -> None:
    stack, reference = feed_stack
    token = parse_qs(urlsplit((await _subscribe(stack, "dev:business_manager:bob"))["url"]).query)["token"][0]
    for path in (
        "/api/v1/cases",
        f"/api/v1/cases/{reference}",
        "/api/v1/tasks",
        f"/api/v1/cases/{reference}/documents",
    ):
        as_query = await stack.http.get(path, params={"token": token})
        assert as_query.status_code == 401, path
        as_bearer = await stack.http.get(path, headers={"Authorization": f"Bearer {token}"})
        assert as_bearer.status_code == 401, path
        assert as_bearer.headers["content-type"] == "application/problem+json"
    decided = await stack.http.post(
        f"/api/v1/cases/{reference}/decisions/screening",
        params={"token": token},
        json={"recommendation": "initiate_scr", "rationale": "x"},
    )
    assert decided.status_code == 401
    codec = await stack.http.post("/codec/decode", json={"payloads": []}, headers={"Authorization": f"Bearer {token}"})
    assert codec.status_code == 401
    # Nor does it stand in for the header on the feed itself, or buy a new token.
    assert (
        await stack.http.get("/api/v1/calendar.ics", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 401
    assert (await stack.http.post("/api/v1/calendar/feed", params={"token": token})).status_code == 401


async def test_bad_expired_and_tampered_tokens_get_401_and_are_audited(feed_stack: tuple[Stack, str]) -> None:
    stack, _ = feed_stack
    token = parse_qs(urlsplit((await _subscribe(stack, "dev:sub_group:sam"))["url"]).query)["token"][0]
    before = len(await _refusals(stack))
    secret = stack.settings.calendar_feed.secrets[0]
    expired = issue_feed_token(
        FeedGrant(user="sam", role=Role.SUB_GROUP, board=None, expires_at=datetime.now(UTC) - timedelta(days=1)),
        secret,
    )
    for bad, reason in (
        (token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "not valid"),
        ("v1.garbage", "not valid"),
        ("", "not valid"),
        (expired, "expired on"),
    ):
        response = await stack.http.get("/api/v1/calendar.ics", params={"token": bad})
        assert response.status_code == 401, bad
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert reason in response.json()["detail"]
        assert "POST /api/v1/calendar/feed" in response.json()["detail"]
        assert "BEGIN:VCALENDAR" not in response.text
    refusals = (await _refusals(stack))[before:]
    assert [(row.actor, row.role) for row in refusals] == [("unknown", "unknown")] * 3 + [("sam", "sub_group")]
    assert "expired on" in (refusals[-1].rationale or "")


async def test_rotated_secrets_sign_with_the_first_and_accept_every_listed_one(
    feed_stack: tuple[Stack, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, _ = feed_stack
    monkeypatch.setattr(stack.settings, "calendar_feed_secret", [SecretStr(OLD_SECRET)])
    old = _path_and_query((await _subscribe(stack, "dev:auditor:ann"))["url"])
    monkeypatch.setattr(stack.settings, "calendar_feed_secret", [SecretStr(NEW_SECRET), SecretStr(OLD_SECRET)])
    new = _path_and_query((await _subscribe(stack, "dev:auditor:ann"))["url"])
    assert old != new
    assert (await stack.http.get(old)).status_code == 200  # the old secret still verifies
    assert (await stack.http.get(new)).status_code == 200
    monkeypatch.setattr(stack.settings, "calendar_feed_secret", [SecretStr(NEW_SECRET)])
    assert (await stack.http.get(old)).status_code == 401  # removed: its tokens are revoked
    assert (await stack.http.get(new)).status_code == 200
