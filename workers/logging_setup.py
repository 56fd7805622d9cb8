"""Structured JSON logs (structlog) for every process. Log references, never personal details."""

from __future__ import annotations

import logging
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
    the process's), and its access line without the query string."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"without_query": {"()": AccessLineWithoutQuery}},
        "loggers": {
            "uvicorn": {"level": "INFO", "handlers": [], "propagate": True},
            "uvicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "INFO", "handlers": [], "propagate": True, "filters": ["without_query"]},
        },
    }
