"""`scr dev`: the whole embedded stack in one process tree, under ./var/.

Temporal dev server (file-backed, Web UI), SMTP sink (.eml files), SQLite case register migrated to head,
a worker and the API. Ctrl-C stops them all, in the reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import subprocess
import sys
from collections.abc import Generator

import uvicorn
from starlette.types import ASGIApp

from api.app import create_app
from api.context import AppContext
from store.database import RequestReads, create_engine, create_reads, session_factory
from store.migrate import upgrade_to_head
from store.payload_codec import codec_from_settings
from store.settings import Settings
from workers.case_worker import build_worker, deadline_calculation
from workers.learning_schedule import ensure_learning_schedules_for
from workers.ports import ensure_free, free_port
from workers.smtp_sink import start_smtp_sink
from workers.temporal_server import start_dev_server, stop_process, wait_for_server
from workers.ui_gateway import UiGateway


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # The stack handles Ctrl-C itself, so that everything shuts down in order.
        yield


def _serve(app: ASGIApp, host: str, port: int) -> _Server:
    return _Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))


async def _started(server: _Server) -> asyncio.Task[None]:
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():  # noqa: ASYNC110 (uvicorn offers no started event)
        await asyncio.sleep(0.05)
    if task.done():
        task.result()
    return task


def check_ports(settings: Settings) -> None:
    ensure_free("127.0.0.1", settings.temporal_port, "Temporal frontend", "SCR_TEMPORAL_PORT")
    ensure_free("127.0.0.1", settings.temporal_ui_port, "Temporal Web UI", "SCR_TEMPORAL_UI_PORT")
    ensure_free(settings.smtp.host, settings.smtp.port, "SMTP sink", "SCR_SMTP_PORT")
    ensure_free(settings.api_host, settings.api_port, "staff API", "SCR_API_PORT")


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def run_dev_stack(settings: Settings) -> None:
    check_ports(settings)
    var = settings.var_dir
    address = f"127.0.0.1:{settings.temporal_port}"
    settings = settings.model_copy(update={"temporal_address": address})
    codec = codec_from_settings(settings)
    # The UI and its codec on one origin (workers/ui_gateway.py): the dev server's own UI port stays private.
    ui = f"http://127.0.0.1:{settings.temporal_ui_port}"
    codec_endpoint = f"{ui}/codec"
    private_ui_port = free_port("127.0.0.1")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    temporal: subprocess.Popen[bytes] | None = None
    sink = None
    engine = None
    reads: RequestReads | None = None
    try:
        temporal = start_dev_server(
            db_file=var / "temporal.db",
            port=settings.temporal_port,
            ui_port=private_ui_port,
            log_file=var / "logs" / "temporal.log",
            extra_args=["--ui-codec-endpoint", codec_endpoint, "--ui-disable-news-fetch"],
        )
        sink = start_smtp_sink(var / "mail", settings.smtp.host, settings.smtp.port)
        await upgrade_to_head(settings.database_url)
        client = await wait_for_server(address, settings.temporal_namespace, temporal, codec)
        engine = create_engine(settings.database_url)
        reads = create_reads(settings.database_url)  # as the API's own lifespan makes them
        worker = build_worker(client, engine, settings)
        await ensure_learning_schedules_for(client, settings)  # the yearly learning summary of each board
        context = AppContext(
            settings=settings,
            sessions=session_factory(engine),
            temporal=client,
            deadline_schedule=deadline_calculation(settings).compute_case_deadlines,
            reads=reads,
        )
        api = _serve(create_app(settings, context), settings.api_host, settings.api_port)
        gateway = UiGateway(ui=f"http://127.0.0.1:{private_ui_port}", api=f"http://127.0.0.1:{settings.api_port}")
        front = _serve(gateway, "127.0.0.1", settings.temporal_ui_port)
        gc.collect()  # start-up's objects are never garbage: frozen, as `scr api` and `scr worker` do
        gc.freeze()
        async with worker:
            api_task = await _started(api)
            front_task = await _started(front)
            _say(
                "SCR embedded stack is running:\n"
                f"  staff API        http://{settings.api_host}:{settings.api_port}  (OpenAPI: /docs)\n"
                f"  staff console    http://{settings.api_host}:{settings.api_port}/console  (dev sign-in)\n"
                f"  Temporal Web UI  {ui}  (decodes case data through the API's codec, key {codec.active_key_id})\n"
                f"  Temporal         {address}\n"
                f"  SMTP sink        {settings.smtp.host}:{settings.smtp.port} -> {var / 'mail'}/*.eml\n"
                f"  database         {settings.database_url}\n"
                "Press Ctrl-C to stop."
            )
            await asyncio.wait([api_task, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
            _say("Stopping...")
            front.should_exit = api.should_exit = True
            await front_task
            await api_task
            await gateway.aclose()
    finally:
        if engine is not None:
            await engine.dispose()
        if reads is not None:
            await reads.dispose()
        if sink is not None:
            sink.stop()
        if temporal is not None:
            stop_process(temporal)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    _say("Stopped.")
