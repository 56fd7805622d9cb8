"""No case data reaches Temporal in plaintext: a case opened and decided through the API, its history read raw."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from domain.case_contract import case_workflow_id
from domain.uk_time import london_date
from store.payload_codec import ENCODING
from tests.support.case_harness import api_stack
from tests.support.payload_keys import payloads_in
from tests.support.services import MailBox

PLANTED = "Rationale mentions Zebedee Quartermaine"
INCIDENT = {
    "outcome": "seriously_harmed",
    "abuse_or_neglect": "suspected",
    "custody": "secure_childrens_home",
    "inter_agency_concern": "yes",
}
INCIDENT_VALUES = ["seriously_harmed", "suspected", "secure_childrens_home"]


def raw_bytes(history: WorkflowHistory) -> bytes:
    return b"".join(event.SerializeToString() for event in history.events)


async def test_temporal_sees_only_ciphertext_of_case_data(
    dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox
) -> None:
    codec_client = dev_server_env.client
    codec = codec_client.data_converter.payload_codec
    assert codec is not None, "the suite runs with encryption on"
    today = london_date(datetime.now(UTC))
    async with api_stack(codec_client, sqlite_url, mail.port) as stack:
        opened = await stack.open_case(
            {
                "board": stack.board,
                "aware_on": (today - timedelta(days=1)).isoformat(),
                "notified_on": today.isoformat(),
                "incident": INCIDENT,
            }
        )
        assert opened.status_code == 201, opened.text
        reference = opened.json()["reference"]
        await mail.wait_for(2)
        screened = await stack.screen(reference)
        assert screened.status_code == 200, screened.text
        decided = await stack.decide(reference, {"decision": "initiate_scr", "rationale": PLANTED})
        assert decided.status_code == 200, decided.text

        handle = codec_client.get_workflow_handle(case_workflow_id(reference))
        # Through the codec: the planted rationale and the incident facts are all there.
        decoded = b""
        for _ in range(100):
            history = await handle.fetch_history()
            encrypted = [p for e in history.events for p in payloads_in(e)]
            decoded = b"".join(p.SerializeToString() for p in await codec.decode(encrypted))
            if PLANTED.encode() in decoded:
                break
            await asyncio.sleep(0.1)
        assert PLANTED.encode() in decoded
        for value in INCIDENT_VALUES:
            assert value.encode() in decoded, value

    # Without the codec (what the Temporal server, its database and the UI without the codec hold).
    plain_client = await Client.connect(
        codec_client.service_client.config.target_host, namespace=codec_client.namespace
    )
    raw_history = await plain_client.get_workflow_handle(case_workflow_id(reference)).fetch_history()
    assert len(raw_history.events) >= len(history.events)
    raw = raw_bytes(raw_history)
    assert PLANTED.encode() not in raw
    assert b"Zebedee" not in raw
    for value in INCIDENT_VALUES:
        assert value.encode() not in raw, value
    payloads = [p for e in raw_history.events for p in payloads_in(e)]
    assert payloads
    unencrypted = [p for p in payloads if p.metadata.get("encoding") != ENCODING.encode()]
    assert unencrypted == [], "every payload (inputs, results, updates, summaries, failures) is encrypted"
