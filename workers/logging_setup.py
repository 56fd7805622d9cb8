"""Structured JSON logs (structlog) for every process. Log references, never personal details."""

from __future__ import annotations

import atexit
import logging
import queue
from logging.handlers import QueueHandler, QueueListener
from typing import Any

import structlog


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
    )


class _RecordQueue(QueueHandler):
    """Queues each record as it is: formatting and writing happen in the listener's thread (same process, so
    nothing needs pickling, and structlog's event dict must reach its formatter intact)."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


_listeners: list[QueueListener] = []


def access_handler() -> logging.Handler:
    """uvicorn's access line, written by a thread of its own with the root logger's handler (JSON): uvicorn logs
    it before it writes the response's headers, and rendered there it was ~0.4 ms of every answer. Only the
    access line: a process stopped by a signal dies without draining the queue, so lines that say why a process
    stopped go out directly. ``flush_logs`` before ``os._exit``."""
    root = logging.getLogger().handlers
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = QueueListener(records, *(root or [logging.StreamHandler()]))
    listener.start()
    _listeners.append(listener)
    if len(_listeners) == 1:
        atexit.register(flush_logs)
    return _RecordQueue(records)


def flush_logs() -> None:
    """Write every queued line and stop the writers (also at the interpreter's exit; ``os._exit`` skips that)."""
    while _listeners:
        _listeners.pop().stop()


class AccessLineWithoutQuery(logging.Filter):
    """uvicorn's access line names the path with its query string, which may carry a credential (the calendar feed
    token) or search terms; keep the path only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            record.args = (client, method, str(path).split("?", 1)[0], version, status)
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """For ``uvicorn.run(log_config=...)``: uvicorn's records go to the root logger's handler (JSON, as the rest of
    the process's), and its access line without the query string, written in the background (``access_handler``)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"without_query": {"()": AccessLineWithoutQuery}},
        "handlers": {"access": {"()": access_handler}},
        "loggers": {
            "uvicorn": {"level": "INFO", "handlers": [], "propagate": True},
            "uvicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "uvicorn.access": {
                "level": "INFO",
                "handlers": ["access"],
                "propagate": False,
                "filters": ["without_query"],
            },
        },
    }
