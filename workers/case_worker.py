"""The worker process: runs the case workflow and every activity on the case task queue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.deadline_activities import DeadlineActivities
from activities.mailer import SmtpMailSender
from activities.notice_activities import NoticeActivities
from activities.publication_activities import PublicationActivities
from activities.register_activities import RegisterActivities
from store.database import session_factory
from store.document_store import document_store_from_settings
from store.settings import Settings
from workers.mail_directory import mail_directory
from workflows.case_workflow import ScrCaseWorkflow


def build_worker(client: Client, engine: AsyncEngine, settings: Settings) -> Worker:
    sessions = session_factory(engine)
    mailer = SmtpMailSender(
        host=settings.smtp_host,
        port=settings.smtp_port,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=settings.smtp_password,
    )
    notices = NoticeActivities(
        sessions,
        mailer,
        directory=mail_directory(settings),
        sender=settings.mail_from,
        case_url_base=f"{settings.public_base_url.rstrip('/')}/api/v1/cases",
    )
    publisher = PublicationActivities(sessions, document_store_from_settings(settings), settings.site_dir)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[ScrCaseWorkflow],
        activities=[
            DeadlineActivities(settings.closures).compute_case_deadlines,
            RegisterActivities(sessions).record_case_event,
            notices.send_notice,
            publisher.publish_review,
            publisher.remove_review,
        ],
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_graceful_shutdown_seconds),
    )
