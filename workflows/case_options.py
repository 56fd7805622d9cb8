"""Timeouts, retries and the patches in force for the case workflow and its helpers."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

# Short, so an activity lost with a crashed worker is retried on another within half a minute.
ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Register writes and notices must happen eventually: retry without limit, backing off to 10 minutes.
PATIENT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=10))
# The publisher runs inside a decision: a refusal comes back to staff; a site that stays down fails the decision.
WEBSITE_TIMEOUT = timedelta(minutes=5)
WEBSITE_RETRY = RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(seconds=10))

# Patches (workflow.patched) over released code; cases started before each keep the old commands on replay.
# Register writes and deadline resolution as local activities: a decision completes in the workflow task that
# received it instead of waiting for an activity task and a second workflow task (BENCHMARKS.md, P1).
LOCAL_ACTIVITIES = "local-register-and-deadlines"
# A notice's recipients are sent to at once rather than one after another (BENCHMARKS.md, P6).
PARALLEL_NOTICES = "parallel-notice-recipients"
# A notice that cannot be delivered is escalated to the business manager by email, not only recorded.
ESCALATE_UNDELIVERED = "escalate-undelivered-notices"
# A decision answers as soon as the workflow has taken it: its register write follows as an activity started in
# the same workflow task, so the answer no longer waits for the database (BENCHMARKS.md, P8). The API keeps
# read-your-writes for its own callers (api/register_fence.py).
ANSWER_FIRST = "answer-decisions-before-register-write"
# The roles a case awaits, as a search attribute for the operators' saved search "awaiting a role".
AWAITING_ROLES_ATTRIBUTE = "awaiting-roles-search-attribute"
# The pre-publication copies carry the documents; the statutory notice is met on their delivery and publication
# waits for it; a hold or a new date is told to everyone who holds the date (issue 14, points 5-7).
COPY_DELIVERY = "prepublication-copies-delivered"
# Issue 14, statutory notices (001 §1, §4): the incident notice goes to Ofsted and the LSCB(s), not the National
# Panel, each recipient's delivery meeting its own deadline (and Ofsted skipped when the local authority told it
# itself); every chair decision goes to Ofsted and the Panel; an alternative review is scrutinised like "do not
# initiate". Checked once as a run starts, so a case started (or continued as new) before keeps its old rules.
STATUTORY_NOTICES = "statutory-notices-issue-14"
# Issue 16: a decision's workflow task carries only what changed. The clock keeps its timer while the next
# reminder or due time is the same (it was cancelled and started again on every decision: workflows/case_clock.py),
# and search attributes are upserted only when one of them changes (each upsert is a visibility write), after the
# decision's register write rather than in the task that answers it (there it cost the answer about 3 ms).
LEAN_DECISIONS = "lean-decision-commands"
# Issue 17: a review already under way is taken in at its stage with its real dates (domain/imports/). Only cases
# started with an import take this path; checked as the run starts.
IMPORTED_CASES = "imported-cases-issue-17"
# Issue 16: a decision's notices go out once its register write is done, in the workflow task that takes the
# write's result, not in the task that answers (there each notice was one more activity command, with its payload,
# for the server to persist before the answer went back).
# Notices need the register too (each is claimed there before it is sent), so none goes out sooner in practice.
# Checked once as a run starts.
NOTICES_AFTER_WRITE = "notices-after-register-write"
