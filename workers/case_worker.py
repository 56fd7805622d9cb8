"""The worker process: runs the case workflow and every activity on the case task queue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.copy_activities import CopyActivities
from activities.deadline_activities import DeadlineActivities
from activities.learning_summary_activities import LearningSummaryActivities
from activities.mailer import SmtpMailSender
from activities.notice_activities import NoticeActivities
from activities.publication_activities import PublicationActivities
from activities.register_activities import RegisterActivities
from store.database import session_factory
from store.document_store import document_store_from_settings
from store.notice_directory import load_notice_directory
from store.settings import Settings
from workflows.case_workflow import ScrCaseWorkflow
from workflows.learning_summary_workflow import LearningSummaryWorkflow


def deadline_calculation(settings: Settings) -> DeadlineActivities:
    """The deadlines that dates determine, with each board's closure days, procedure and intervals: the worker's
    activity, and the API's import checks (``AppContext.deadline_schedule``)."""
    return DeadlineActivities(settings.closures_by_board(), settings.procedure_of, settings.local_intervals)


def build_worker(client: Client, engine: AsyncEngine, settings: Settings) -> Worker:
    sessions = session_factory(engine)
    smtp = settings.smtp
    mailer = SmtpMailSender(
        host=smtp.host, port=smtp.port, starttls=smtp.starttls, username=smtp.username, password=smtp.password
    )
    documents = document_store_from_settings(settings)
    notices = NoticeActivities(
        sessions,
        mailer,
        directory=load_notice_directory(settings),  # checked now: a bad directory stops the worker starting
        sender=settings.mail.sender,
        case_url_base=f"{settings.public_base_url.rstrip('/')}/api/v1/cases",
        procedure_of=settings.procedure_of,
        documents=documents,  # the pre-publication copies carry the documents
    )
    publisher = PublicationActivities(sessions, documents, settings.site_dir)
    copies = CopyActivities(sessions, documents)
    summaries = LearningSummaryActivities(
        sessions,
        document_store_from_settings(settings),
        public_base_url=settings.public_base_url,
        site_dir=settings.site_dir,
    )
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[ScrCaseWorkflow, LearningSummaryWorkflow],
        activities=[
            deadline_calculation(settings).compute_case_deadlines,
            RegisterActivities(sessions).record_case_event,
            notices.send_notice,
            publisher.publish_review,
            publisher.remove_review,
            copies.prepare_copies,
            summaries.compile_learning_summary,
            summaries.render_learning_summary,
            summaries.record_learning_summary,
        ],
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_graceful_shutdown_seconds),
        max_cached_workflows=settings.worker_max_cached_workflows,
        workflow_runner=SandboxedWorkflowRunner() if settings.worker_workflow_sandbox else UnsandboxedWorkflowRunner(),
    )
