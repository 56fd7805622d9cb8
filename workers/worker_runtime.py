"""`scr worker` as a process in a cluster: metrics, health endpoint, JSON logs, SIGTERM grace, fatal exit.

- Metrics: one Temporal :class:`Runtime` with a Prometheus endpoint (``SCR_METRICS_BIND``) serves the SDK's
  metrics (``temporal_*``) and ours (``scr_notices_sent``); the client is created on that runtime.
- Health: :mod:`workers.health` on ``SCR_WORKER_HEALTH_BIND`` (``/healthz`` readiness, ``/livez`` liveness).
- Shutdown: SIGTERM or SIGINT stops polling; in-flight activities get ``SCR_WORKER_GRACEFUL_SHUTDOWN_SECONDS``
  to finish before they are cancelled (the orchestrator's grace period must be longer); exit status 0.
- Fatal errors: if the worker cannot start or ``Worker.run`` raises, the error is logged and the exit status
  is 1, so that the orchestrator restarts the process.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from typing import Any

import structlog
from temporalio import client as temporal_client
from temporalio import worker as temporal_worker
from temporalio.common import MetricCounter, MetricMeter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Worker

from domain.case_messages import NoticeResult, SendNoticeInput
from store.database import create_engine
from store.payload_codec import codec_from_settings
from store.settings import Settings
from store.temporal_client import connect
from workers.case_worker import build_worker
from workers.health import WorkerHealthServer, parse_bind, temporal_health_check
from workers.learning_schedule import ensure_learning_schedules_for

log = structlog.get_logger("scr.worker")

NOTICES_SENT = "scr_notices_sent"


def configure_json_logging(level: str = "INFO") -> None:
    """Every log record as one JSON line on stderr: ours (structlog) and the libraries' (stdlib logging,
    e.g. the Temporal SDK's, with its workflow/activity context), with level, logger, UTC timestamp and
    any traceback as fields."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(allow=("temporal_workflow", "temporal_activity"))],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def create_runtime(metrics_bind: str) -> Runtime:
    """A Temporal runtime whose Prometheus endpoint listens on ``metrics_bind`` (none when empty)."""
    metrics = PrometheusConfig(bind_address=metrics_bind) if metrics_bind else None
    return Runtime(telemetry=TelemetryConfig(metrics=metrics))


class NoticeMetricsInterceptor(temporal_client.Interceptor, temporal_worker.Interceptor):
    """Counts the notices the ``send_notice`` activity completes, by notice kind and outcome (``sent``, or
    ``already_sent`` when a retry found the notice sent before). Given to the client, the worker uses it too."""

    def __init__(self, meter: MetricMeter) -> None:
        self._counter = meter.create_counter(
            NOTICES_SENT, "Notices completed by the send_notice activity, by kind and outcome.", "notices"
        )

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _NoticeMetricsInbound(next, self._counter)


class _NoticeMetricsInbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, counter: MetricCounter) -> None:
        super().__init__(next)
        self._counter = counter

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await self.next.execute_activity(input)
        if isinstance(result, NoticeResult):
            kind = input.args[0].kind.value if input.args and isinstance(input.args[0], SendNoticeInput) else ""
            self._counter.add(1, {"kind": kind, "outcome": "sent" if result.newly_sent else "already_sent"})
        return result


class _Shutdown:
    """SIGTERM/SIGINT → stop polling, mark the health endpoint not ready, let the grace period run."""

    def __init__(self, worker: Worker, health: WorkerHealthServer, grace_seconds: float) -> None:
        self._worker = worker
        self._health = health
        self._grace_seconds = grace_seconds
        self.task: asyncio.Task[None] | None = None

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.task is not None:
            log.info("worker already shutting down", signal=sig.name)
            return
        log.info("worker shutting down", signal=sig.name, graceful_shutdown_seconds=self._grace_seconds)
        self._health.mark_stopping()
        self.task = asyncio.get_running_loop().create_task(self._worker.shutdown())


async def run_worker(settings: Settings) -> int:
    """Run the case worker until a shutdown signal (returns 0) or a fatal error (returns 1)."""
    context = {"task_queue": settings.task_queue, "namespace": settings.temporal_namespace}
    try:
        codec = codec_from_settings(settings)
    except Exception as error:
        log.error("worker cannot load its payload keys", error=str(error))
        return 1
    try:
        runtime = create_runtime(settings.metrics_bind)
    except Exception as error:
        log.error("worker cannot open its metrics endpoint", bind=settings.metrics_bind, error=str(error))
        return 1
    try:
        client = await connect(
            settings.temporal_address,
            settings.temporal_namespace,
            codec,
            runtime=runtime,
            interceptors=[NoticeMetricsInterceptor(runtime.metric_meter)],
        )
    except Exception as error:
        log.error("worker cannot connect to Temporal", address=settings.temporal_address, error=str(error))
        return 1

    health = WorkerHealthServer(temporal_health_check(client))
    engine = None
    try:
        engine = create_engine(settings.database_url)
        worker = build_worker(client, engine, settings)
        await ensure_learning_schedules_for(client, settings)  # the yearly learning summary of each board
        if settings.worker_health_bind:
            await health.start(*parse_bind(settings.worker_health_bind))
        shutdown = _Shutdown(worker, health, settings.worker_graceful_shutdown_seconds)
        shutdown.install()
        log.info(
            "worker started",
            **context,
            metrics=settings.metrics_bind or None,
            health=settings.worker_health_bind or None,
            graceful_shutdown_seconds=settings.worker_graceful_shutdown_seconds,
        )
        # Start-up's objects are never garbage: frozen, a full collection does not walk them (as the API does).
        gc.collect()
        gc.freeze()
        await worker.run()
        if shutdown.task is not None:
            await shutdown.task
    except Exception:
        log.exception("worker stopped on a fatal error", **context)
        return 1
    finally:
        await health.stop()
        if engine is not None:
            await engine.dispose()
    log.info("worker stopped", **context)
    return 0
