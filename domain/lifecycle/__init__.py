"""The lifecycle rules of a case, one handler per decision, grouped by phase.

Where is the rule for a decision? In its phase's module, in the handler named after it:
``referral`` (screening, chair, peer challenge, panel advice and information, scrutiny, the local authority's own
notice to Ofsted), ``facts`` (a fact update), ``review`` (reviewers, the review, information requests, final report,
quality assurance), ``review_participation`` (organisations, the family's engagement, parallel reviews),
``actions`` (action plan and progress), ``publication`` (publication decisions, DfE's advice, pre-publication,
publication; holds for proceedings in ``publication_hold``; the copies and their delivery in ``copies``),
``closure`` (retention, removal, closing). ``incident`` holds the incident notice and its per-recipient deadlines.
Each handler holds its roles, stages, check, deadlines, effects, how it changes the case and when the case
awaits it. ``registry`` keys them by input class for the API and the workflow; ``clocks`` runs every
deadline's reminders and breaches. Pure and deterministic: no clock, no I/O.
"""

from domain.lifecycle import incident
from domain.lifecycle.clocks import ClockEvent, add_deadline, cancel, fire_clock, meet, next_clock_event
from domain.lifecycle.copies import notice_delivery
from domain.lifecycle.effects import Effect, EffectResults, PublishReview, RemoveReview, ResolveDeadlines
from domain.lifecycle.handler import DecisionHandler
from domain.lifecycle.outcome import SYSTEM, DecisionRefused, NoticeRequest, Outcome
from domain.lifecycle.registry import BY_KIND, HANDLERS, apply, awaiting, check, declared_effects, handler_for
from domain.lifecycle.stage_groups import TERMINAL

__all__ = [
    "BY_KIND",
    "HANDLERS",
    "SYSTEM",
    "TERMINAL",
    "ClockEvent",
    "DecisionHandler",
    "DecisionRefused",
    "Effect",
    "EffectResults",
    "NoticeRequest",
    "Outcome",
    "PublishReview",
    "RemoveReview",
    "ResolveDeadlines",
    "add_deadline",
    "apply",
    "awaiting",
    "cancel",
    "check",
    "declared_effects",
    "fire_clock",
    "handler_for",
    "incident",
    "meet",
    "next_clock_event",
    "notice_delivery",
]
