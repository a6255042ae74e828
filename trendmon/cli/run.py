"""``trendmon run`` and ``trendmon replay``: the embedded runtime from the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from trendmon.cli.common import BusOption, HomeOption, err, parse_time_ms, print_json
from trendmon.cli.dashboard import local_link
from trendmon.errors import ConfigError
from trendmon.events import utc
from trendmon.log import Bus, open_bus
from trendmon.log.embedded import EmbeddedLog
from trendmon.runtimes.alerts import start_alerts
from trendmon.runtimes.embedded import EmbeddedRuntime, RunStats, Sinks, replay
from trendmon.runtimes.forecasts import open_forecasts
from trendmon.settings import (
    CoreSettings,
    DashboardSettings,
    EngineSettings,
    LogSettings,
    SimulatorSettings,
    load,
    resolve_namespace,
)
from trendmon.sinks.factory import open_history
from trendmon.sinks.redis.store import LiveStore

NamespaceOption = Annotated[
    str | None,
    typer.Option(
        "--namespace",
        help="Namespace of the stores (boards, history) to write; default "
        "TRENDMON_REDIS_NAMESPACE.",
    ),
]


def _open_sinks(home: Path, namespace: str) -> Sinks:
    return Sinks(
        live=LiveStore.open(home=home, namespace=namespace),
        history=open_history("sqlite", home=home, namespace=namespace),
        alerts=start_alerts(home),
    )


def _status(stats: RunStats) -> str:
    elapsed = max(time.monotonic() - stats.started, 1e-9)
    when = utc(stats.watermark_ms / 1000).strftime("%Y-%m-%d %H:%M") if stats.watermark_ms else "-"
    return (
        f"event time {when}  snapshots {stats.snapshots:,}  spikes {stats.spikes:,}  "
        f"dead letters {stats.dead_letters:,}  ({stats.records / elapsed:,.0f} records/s)"
    )


def run(
    simulate: Annotated[
        bool, typer.Option("--simulate/--no-simulate", help="Start the simulator as producer.")
    ] = True,
    speed: Annotated[
        float, typer.Option("--speed", help="Simulated seconds per wall second (simulator).")
    ] = 60.0,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the simulator.")] = None,
    import_files: Annotated[
        list[Path] | None, typer.Option("--import", help="Also import this file (repeatable).")
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Process what the log holds, then stop.")
    ] = False,
    dashboard: Annotated[
        bool,
        typer.Option("--dashboard/--no-dashboard", help="Also serve the dashboard (and /wall)."),
    ] = True,
    port: Annotated[int | None, typer.Option("--port", help="Dashboard port (8050).")] = None,
    checkpoint_every: Annotated[
        float, typer.Option("--checkpoint-every", help="Seconds between engine checkpoints.")
    ] = 5.0,
    home: HomeOption = None,
    namespace: NamespaceOption = None,
) -> None:
    """Run producers, the engine, the stores and the dashboard on this machine, until Ctrl-C.

    The simulator (in real time) is the default producer; the engine follows the embedded log
    and keeps the live boards (Redis, embedded) and the history (SQLite) under TRENDMON_HOME;
    the dashboard serves http://127.0.0.1:8050 with the wall display at /wall.
    After a crash it resumes from its last checkpoint without losing or double-counting.

    Example: trendmon run --speed 120
    """
    core = load(CoreSettings, home=home)
    namespace = resolve_namespace(namespace)
    if core.bus != "embedded":
        raise ConfigError(
            f"trendmon run is the embedded runtime, but TRENDMON_BUS={core.bus}: unset it (or "
            "set it to embedded); the distributed runtime runs as Kafka workers"
        )
    # Settings the children will read are checked here, so that a bad value is one red line
    # now rather than a child that dies unseen.
    load(SimulatorSettings, seed=seed)
    shown = port or load(DashboardSettings).port
    base = [sys.executable, "-m", "trendmon"]
    logs = core.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    children: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    log = EmbeddedLog(core.home, load(LogSettings))
    sinks: Sinks | None = None
    try:
        sinks = _open_sinks(core.home, namespace)
        runtime = EmbeddedRuntime(
            log,
            sinks,
            load(EngineSettings),
            namespace=namespace,
            checkpoint_every_s=checkpoint_every,
            forecasts=open_forecasts(core.home),
        )
        if runtime.restore():
            err.print(f"resuming from checkpoint at offset {runtime.stats.next_offset:,}")
        embedded = ["--home", str(core.home), "--bus", "embedded"]
        if simulate and not once:
            args = [*base, "simulate", "--realtime", "--speed", str(speed), *embedded]
            if seed is not None:
                args += ["--seed", str(seed)]
            # A demo should not keep its audience waiting 14 simulated hours for the first
            # breakout: plant them after a short lead, unless the user chose one.
            env = {"TRENDMON_SIM_BREAKOUT_LEAD": "0.08", **os.environ}
            children["simulator"] = _spawn(args, logs / "simulator.log", env)
        if dashboard and not once:
            args = [
                *base,
                "dashboard",
                "--home",
                str(core.home),
                "--namespace",
                namespace,
                "--port",
                str(shown),
            ]
            children["dashboard"] = _spawn(args, logs / "dashboard.log")
        for path in import_files or []:
            args = [*base, "import", str(path), *embedded]
            children[f"import {path.name}"] = _spawn(args, logs / f"import-{path.name}.log")
        if once:
            # --once processes what the log holds once the imports are in it.
            for name, (proc, log_path) in children.items():
                if proc.wait() != 0:
                    err.print(_died(name, proc, log_path), highlight=False, soft_wrap=True)
        last = 0.0

        def on_batch(stats: RunStats) -> None:
            nonlocal last
            if time.monotonic() - last > 2:
                last = time.monotonic()
                err.print(_status(stats), highlight=False, soft_wrap=True)
                _report_deaths(children)

        where = ""
        if dashboard and not once:
            link = local_link(core.home, f"http://127.0.0.1:{shown}")
            where = f"; dashboard on http://127.0.0.1:{shown}/wall, sign in (once) at {link}"
        err.print(
            f"trendmon running on {core.home} (namespace {namespace}){where}; Ctrl-C to stop",
            highlight=False,
            soft_wrap=True,
        )
        stats = runtime.run(follow=not once, should_stop=lambda: stopping, on_batch=on_batch)
        err.print(_status(stats), highlight=False, soft_wrap=True)
    finally:
        for proc, _ in children.values():
            if proc.poll() is None:
                proc.terminate()
        for proc, _ in children.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if sinks is not None:
            sinks.close()
        log.close()


def _died(name: str, proc: subprocess.Popen[bytes], log_path: Path) -> str:
    try:
        tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
    except OSError:
        tail = []
    last = " | ".join(line.strip() for line in tail) or "no output"
    where = escape(str(log_path))
    code = proc.returncode
    return f"[red]error:[/red] the {name} stopped (exit {code}): {escape(last)}; see {where}"


def _report_deaths(children: dict[str, tuple[subprocess.Popen[bytes], Path]]) -> None:
    for name, (proc, log_path) in list(children.items()):
        if proc.poll() is not None and (proc.returncode != 0 or name != "simulator"):
            if proc.returncode != 0:
                err.print(_died(name, proc, log_path), highlight=False, soft_wrap=True)
            del children[name]


def _spawn(
    args: list[str], log_path: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], Path]:
    with log_path.open("ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        return proc, log_path


def replay_command(
    since: Annotated[
        str | None, typer.Option("--from", help="Event time to start at (ISO 8601, UTC).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="Event time to stop before (ISO 8601, UTC).")
    ] = None,
    into: Annotated[
        str, typer.Option("--into", help="Namespace to rebuild (it is cleared first).")
    ] = "replay",
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Allow rebuilding the live namespace (TRENDMON_REDIS_NAMESPACE)."
        ),
    ] = False,
    bus: BusOption = None,
    home: HomeOption = None,
) -> None:
    """Rebuild state, boards and history from the log into a separate namespace.

    The namespace is cleared first; the same log and settings always give the same boards and
    spikes, so replaying twice changes nothing. Prints a summary as JSON. With `--bus kafka`
    it reads the snapshots topic from the offsets of --from (found by timestamp) and rebuilds
    into Redis (TRENDMON_REDIS_URL) and MongoDB, as the workers would.

    Example: trendmon replay --from 2026-01-05T00:00:00Z --into rebuild1
    """
    live = resolve_namespace(None)
    if resolve_namespace(into, "--into") == live and not force:
        raise ConfigError(
            f"--into {into} would rebuild the live namespace; pick another or add --force"
        )
    core = load(CoreSettings, home=home, bus=bus)
    from_ms = parse_time_ms(since, "--from")
    to_ms = parse_time_ms(until, "--to")
    if core.bus == "embedded":
        log: Bus = EmbeddedLog(core.home, load(LogSettings))
        sinks = _open_sinks(core.home, into)
    else:
        log = open_bus(core)
        sinks = Sinks(
            live=LiveStore.open(namespace=into), history=open_history("mongo", namespace=into)
        )
    try:
        assert sinks.live is not None and sinks.history is not None
        sinks.live.clear()
        sinks.history.clear()
        stats = replay(
            log,
            sinks,
            load(EngineSettings),
            from_time_ms=from_ms,
            to_time_ms=to_ms,
            namespace=into,
            on_batch=lambda s: err.print(_status(s), highlight=False, soft_wrap=True),
            forecasts=open_forecasts(core.home),
        )
    finally:
        sinks.close()
        log.close()
    elapsed = time.monotonic() - stats.started
    print_json(
        {
            "namespace": into,
            "records": stats.records,
            "snapshots": stats.snapshots,
            "dead_letters": stats.dead_letters,
            "scores": stats.scores,
            "spikes": stats.spikes,
            "forecasts": stats.forecasts,
            "seconds": round(elapsed, 2),
            "records_per_second": round(stats.records / max(elapsed, 1e-9)),
        }
    )


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("replay")(replay_command)
