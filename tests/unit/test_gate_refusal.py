"""What staff read when the gate refuses publication: the hits by place, and the parts it cannot read."""

from __future__ import annotations

from domain.lifecycle.publication import _gate_refusal
from domain.publication_messages import PublicationHitSummary, PublicationUnreadablePart, PublishReviewResult

UNREADABLE = PublicationUnreadablePart(
    document_id=3, document_kind="overview_report", part="page 2", reason="the page shows an image and has no text"
)
HIT = PublicationHitSummary(
    document_id=3,
    document_kind="overview_report",
    category="name_part",
    paragraph=1,
    line=1,
    character=5,
    place="image 1 alt text, paragraph 1, line 1, character 5",
)


def test_unreadable_parts_alone_are_named_with_their_reason() -> None:
    message = _gate_refusal(PublishReviewResult(published=False, unreadable=[UNREADABLE]))
    assert message == (
        "The anonymisation gate cannot read 1 part(s) of the documents, so they are not clear: overview_report: "
        "page 2: the page shows an image and has no text. Replace the documents with ones it can read; then "
        "publish again."
    )


def test_hits_come_first_and_unreadable_parts_are_counted() -> None:
    message = _gate_refusal(PublishReviewResult(published=False, hits=[HIT], unreadable=[UNREADABLE]))
    assert "found 1 possible identifying detail(s): overview_report: name_part at image 1 alt text" in message
    assert "It also cannot read 1 part(s) of them." in message


def test_hits_only_read_as_before() -> None:
    message = _gate_refusal(PublishReviewResult(published=False, hits=[HIT]))
    assert "cannot read" not in message
