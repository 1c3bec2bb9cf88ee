"""The benchmark's one command: a concurrency sweep of each bot against a local model and connector.

    python -m benchmarks.run --sweep 1,50,200,500 --tokens 200 --rate 40

For each bot (ours, a minimal Microsoft 365 Agents SDK bot, a bare aiohttp bot; on request ours
under gunicorn with n workers, `ours-w<n>`, as `startup.sh` runs it in production) and each level N,
it starts the bot as a fresh subprocess on a free loopback port, warms it up with short answers,
then opens N conversations at once (benchmarks.driver) and measures them (benchmarks.metrics).
A bot's sweep stops after the first level at which it lost answers (`--keep-going` runs on).
The model server and the connector run as their own subprocesses for the whole run.

`--profile BOT@N` samples the bot with py-spy during one more level, from just before the first
message until every conversation has shown its first sign: the path before the first send (see
benchmarks.profiling).

Writes <output>/latest.json and latest.png and prints Markdown tables. Every level is bounded:
it ends when all final messages are in or `first token delay + tokens / rate + --grace` seconds
have passed, whichever is first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import redis

from benchmarks import driver, metrics, profiling, report
from benchmarks.agents_venv import ensure_agents_venv
from benchmarks.connector import Mode
from benchmarks.processes import (
    Service,
    cpu_seconds,
    machine_busy_seconds,
    memory_kb,
    process_tree,
    raise_open_file_limit,
    reset_peak_memory,
)
from benchmarks.serving import LOOPBACK, free_port

ROOT = Path(__file__).resolve().parent.parent
BOTS = ("ours", "agents-sdk", "bare")
GUNICORN_BOT = re.compile(r"ours-w([1-9][0-9]*)")
"""`ours-w2`: our bot as production runs it (startup.sh: gunicorn, aiohttp's worker), WEB_CONCURRENCY=2."""
WORKER_READY_LINE = "answering with"  # app.py logs it once per process, when the app is built.
WORKER_BOOT_TIMEOUT = 60.0
WARM_UPS_PER_WORKER = 8  # Several warm-up messages at once, so that every worker gets some.
PROFILE_ATTACH = 1.0  # Seconds py-spy gets to attach before the first message goes out.
INTERVALS = {"msteams": 1.0, "webchat": 0.5}
MODES: dict[driver.Channel, Mode] = {"msteams": "teams", "webchat": "webchat"}
WARM_UP = {"tokens": 5, "rate": 100.0, "first_token_delay": 0.0}
WARM_UP_DEADLINE = 30.0
SKIPPED_AFTER_LOSS = "skipped: a lower level lost answers or was not measured"
QUIET_CORES = 0.3  # Busy cores (outside this run) below which the machine counts as quiet.
REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Settings:
    """What one run measures."""

    sweep: list[int]
    tokens: int
    rate: float
    first_token_delay: float
    channel: driver.Channel
    grace: float
    max_p99_lag: float
    quiet_wait: float
    storage: str = "sqlite"
    """Our bot's state: its default SQLite file, or `redis` (as instances sharing conversations run)."""
    redis_url: str = REDIS_URL

    @property
    def interval(self) -> float:
        return INTERVALS[self.channel]

    @property
    def deadline(self) -> float:
        return self.first_token_delay + self.tokens / self.rate + self.grace


@dataclass
class Harness:
    """The run's long-lived pieces: model server, connector, and the client that talks to them."""

    model: Service
    model_url: str
    connector: Service
    connector_url: str
    session: aiohttp.ClientSession
    logs: Path

    async def control(self, url: str, body: dict[str, Any]) -> None:
        async with self.session.post(url, json=body) as response:
            response.raise_for_status()

    async def fetch(self, url: str) -> Any:
        async with self.session.get(url) as response:
            response.raise_for_status()
            return await response.json()


def workers_of(name: str) -> int | None:
    """How many gunicorn workers a bot runs (`ours-w<n>`), or None for a bot that is one process."""
    match = GUNICORN_BOT.fullmatch(name)
    return int(match.group(1)) if match else None


def bot_command(name: str, agents_python: Path | None) -> list[str]:
    """How to start each bot; all read HOST, PORT, OPENAI_BASE_URL and OPENAI_MODEL."""
    if name == "ours":
        return [sys.executable, "app.py"]
    workers = workers_of(name)
    if workers:
        # As production starts it, with this environment's gunicorn first on the PATH.
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        return ["env", f"WEB_CONCURRENCY={workers}", f"PATH={path}", "sh", "startup.sh"]
    if name == "bare":
        return [sys.executable, "benchmarks/bots/bare_bot.py"]
    assert agents_python is not None
    return [str(agents_python), "benchmarks/bots/agents_sdk_bot.py"]


def bot_env(port: int, model_url: str, settings: Settings, redis_prefix: str) -> dict[str, str]:
    """A clean environment: nothing from this machine's settings leaks into the bot; its state in
    a fresh SQLite file, or in Redis under `redis_prefix`."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env.update(
        HOST=LOOPBACK,
        PORT=str(port),
        OPENAI_BASE_URL=f"{model_url}/v1",
        OPENAI_MODEL="bench-model",
        MODEL_PROVIDER="openai",
        MicrosoftAppId="",
        MicrosoftAppPassword="",
        # The plain streaming path, as the reference bots have it: no knowledge-search tool offered to the
        # model (it is on by default when a model is configured, and adds its definition to every request).
        KNOWLEDGE_DIR="",
        # Our bot keeps state in its default engine (SQLite), in a fresh file outside the repository.
        SQLITE_PATH=str(Path(tempfile.mkdtemp(prefix="bench-state-")) / "state.sqlite3"),
    )
    if settings.storage == "redis":
        env.update(STORAGE="redis", REDIS_URL=settings.redis_url, REDIS_KEY_PREFIX=redis_prefix)
    return env


def delete_redis_keys(url: str, prefix: str) -> None:
    """Remove what one level left in Redis (its conversations' state)."""
    with redis.Redis.from_url(url) as client:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])


def start_server(module: str, logs: Path) -> tuple[Service, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    service = Service(
        module, [sys.executable, "-m", f"benchmarks.{module}"], env=env, cwd=ROOT, log=logs / f"{module}.log"
    )
    return service, f"http://{LOOPBACK}:{service.announced_port()}"


async def wait_for_quiet_machine(limit: float) -> float:
    """Wait (at most `limit` s) until the machine's other work uses under QUIET_CORES; return that load.

    This run's own processes are idle here, so what /proc/stat shows busy is someone else's work,
    which would compete with the bot for the two cores and inflate every latency.
    """
    give_up_at = time.monotonic() + limit
    while True:
        before = machine_busy_seconds()
        await asyncio.sleep(1.0)
        busy_cores = machine_busy_seconds() - before
        if busy_cores < QUIET_CORES or time.monotonic() >= give_up_at:
            return busy_cores
        print(f"  waiting for a quiet machine ({busy_cores:.1f} cores busy elsewhere) …", flush=True)


async def wait_for_workers(bot: Service, workers: int) -> None:
    """Wait until every gunicorn worker has built the app (the master listens before they have)."""
    give_up_at = time.monotonic() + WORKER_BOOT_TIMEOUT
    while bot.log_path.read_text(errors="replace").count(WORKER_READY_LINE) < workers:
        if bot.process.poll() is not None:
            raise RuntimeError(f"{bot.name} exited with {bot.process.returncode}; see {bot.log_path}")
        if time.monotonic() > give_up_at:
            raise TimeoutError(
                f"{workers} workers did not start within {WORKER_BOOT_TIMEOUT:g}s; see {bot.log_path}"
            )
        await asyncio.sleep(0.1)


async def run_level(
    harness: Harness,
    name: str,
    command: list[str],
    conversations: int,
    settings: Settings,
    profile_to: Path | None = None,
) -> dict[str, Any]:
    """Start the bot, warm it up, run one level, stop the bot; return the level's figures."""
    port = free_port()
    redis_prefix = f"bench-{uuid.uuid4().hex}:"
    bot = Service(
        name,
        command,
        env=bot_env(port, harness.model_url, settings, redis_prefix),
        cwd=ROOT,
        log=harness.logs / f"{name}-{conversations}{'-profile' if profile_to else ''}.log",
        announces=False,
    )
    try:
        bot.wait_for_port(port)
        workers = workers_of(name)
        if workers:
            await wait_for_workers(bot, workers)
        bot_url = f"http://{LOOPBACK}:{port}"
        mode = MODES[settings.channel]
        await harness.control(f"{harness.model_url}/bench/scenario", WARM_UP)
        await harness.control(f"{harness.connector_url}/bench/reset", {"mode": mode})
        warm_ups = WARM_UPS_PER_WORKER * workers if workers else 1
        warm = await driver.drive(
            harness.session,
            bot_url,
            harness.connector_url,
            driver.new_conversations(warm_ups),
            settings.channel,
            WARM_UP_DEADLINE,
        )
        if await driver.finished_count(harness.session, harness.connector_url) != warm_ups:
            raise RuntimeError(f"{name} did not answer the warm-up messages ({warm}); see {harness.logs}")

        scenario = {
            "tokens": settings.tokens,
            "rate": settings.rate,
            "first_token_delay": settings.first_token_delay,
        }
        await harness.control(f"{harness.model_url}/bench/scenario", scenario)
        await harness.control(f"{harness.connector_url}/bench/reset", {"mode": mode})
        ids = driver.new_conversations(conversations)
        load_before = await wait_for_quiet_machine(settings.quiet_wait)
        bot_pids = process_tree(bot.pid)
        for pid in bot_pids:
            reset_peak_memory(pid)
        rss_before = sum(memory_kb(pid, "VmRSS") for pid in bot_pids)
        pids = {service.name: service.pid for service in (harness.model, harness.connector)}
        pids["driver"] = os.getpid()
        cpu_before = {key: cpu_seconds(pid) for key, pid in pids.items()}
        bot_cpu_before = {pid: cpu_seconds(pid) for pid in bot_pids}
        machine_before = machine_busy_seconds()
        profiler = None
        if profile_to:
            profiler = profiling.start_profile(bot.pid, settings.deadline, profile_to)
            await asyncio.sleep(PROFILE_ATTACH)
        started = time.monotonic()
        drive = driver.drive(
            harness.session, bot_url, harness.connector_url, ids, settings.channel, settings.deadline
        )
        if profiler:
            posts, window = await asyncio.gather(drive, profile_window(harness, profiler, len(ids), settings))
        else:
            posts, window = await drive, None
        elapsed = time.monotonic() - started
        cpu_used = {key: cpu_seconds(pid) - cpu_before[key] for key, pid in pids.items()}
        bot_cpu = [cpu_seconds(pid) - before for pid, before in bot_cpu_before.items()]
        cpu_used[name] = sum(bot_cpu)
        machine_busy = machine_busy_seconds() - machine_before
        peak = sum(memory_kb(pid, "VmHWM") for pid in bot_pids)
        hits = await harness.fetch(f"{harness.connector_url}/bench/records")
        model_records = await harness.fetch(f"{harness.model_url}/bench/records")
    finally:
        bot.stop()
        if settings.storage == "redis":
            delete_redis_keys(settings.redis_url, redis_prefix)

    figures = metrics.level_figures(
        metrics.LevelInput(
            conversations=ids,
            posts=posts,
            hits=hits,
            model_records=model_records,
            tokens=settings.tokens,
            rate=settings.rate,
            interval=settings.interval,
            usage=metrics.ProcessUsage(cpu_used[name], rss_before, peak),
        )
    )
    figures["holds"] = metrics.holds(figures, settings.max_p99_lag)
    figures["elapsed_s"] = elapsed
    figures["harness_cpu_seconds"] = {
        "model_server": cpu_used[harness.model.name],
        "connector": cpu_used[harness.connector.name],
        "driver": cpu_used["driver"],
    }
    # Anything else the machine ran during the level (other users' work, py-spy) competed with the bot.
    figures["other_cpu_seconds"] = max(0.0, machine_busy - sum(cpu_used.values()))
    figures["other_cores"] = figures["other_cpu_seconds"] / elapsed
    figures["other_cores_before"] = load_before
    figures["processes"] = len(bot_pids)
    figures["bot_log_problems"] = metrics.log_problems(bot.log_path.read_text(errors="replace"))
    # Under gunicorn: the master's, then each worker's (how evenly the workers shared the load).
    figures["cpu_seconds_by_process"] = bot_cpu
    if window is not None:
        figures["profile_window"] = {"seconds": window - started, "sends": metrics.sends_until(hits, window)}
    return figures


async def profile_window(
    harness: Harness, profiler: subprocess.Popen[bytes], conversations: int, settings: Settings
) -> float:
    """Stop the profiler once every conversation has shown its first sign; return when that was."""
    await driver.wait_for_first_signs(
        harness.session, harness.connector_url, conversations, settings.deadline
    )
    signed_at = time.monotonic()
    await asyncio.to_thread(profiling.stop_profile, profiler)
    return signed_at


async def sweep_bot(
    harness: Harness, name: str, command: list[str], settings: Settings, keep_going: bool
) -> dict[str, Any]:
    levels: list[dict[str, Any]] = []
    stopped = False
    for conversations in settings.sweep:
        if stopped:
            levels.append({"conversations": conversations, "skipped": True, "reason": SKIPPED_AFTER_LOSS})
            continue
        print(f"{name}: {conversations} conversations …", flush=True)
        try:
            figures = await run_level(harness, name, command, conversations, settings)
        except Exception as error:  # One level that cannot be measured must not lose the whole run.
            reason = f"not measured: {type(error).__name__} {error}".strip()
            print(f"  {reason}", flush=True)
            levels.append({"conversations": conversations, "skipped": True, "reason": reason})
            stopped = not keep_going
            continue
        sign, first = figures["first_sign"], figures["first_text"]
        print(
            f"  inbound request p95 {report.fmt(figures['inbound_request']['p95'])} s; "
            f"first sign p50 {report.fmt(sign['p50'])} s, p95 {report.fmt(sign['p95'])} s; "
            f"first text p50 {report.fmt(first['p50'])} s, p95 {report.fmt(first['p95'])} s; "
            f"lag p99 {report.fmt(figures['update_lag']['p99'])} s; "
            f"CPU {report.fmt(figures['cpu_ms_per_answer'], digits=1)} ms/answer; "
            f"lost {figures['lost']}, 429 {figures['throttled_429']}",
            flush=True,
        )
        levels.append({"conversations": conversations, **figures})
        stopped = figures["lost"] > 0 and not keep_going
    held = [level["conversations"] for level in levels if level.get("holds")]
    return {"label": report.bot_label(name), "levels": levels, "max_held": max(held, default=0)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings(
        sweep=args.sweep,
        tokens=args.tokens,
        rate=args.rate,
        first_token_delay=args.first_token_delay,
        channel=args.channel,
        grace=args.grace,
        max_p99_lag=args.max_p99_lag,
        quiet_wait=args.quiet_wait,
        storage=args.storage,
        redis_url=args.redis_url,
    )
    output: Path = args.output
    logs = output / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    agents_python = ensure_agents_venv() if "agents-sdk" in args.bots else None

    model, model_url = start_server("model_server", logs)
    connector, connector_url = start_server("connector", logs)
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": report.machine_info(),
        "settings": {**asdict(settings), "interval": settings.interval, "deadline": settings.deadline},
        "bots": {},
    }
    try:
        async with driver.client_session() as session:
            harness = Harness(model, model_url, connector, connector_url, session, logs)
            for name in args.bots:
                command = bot_command(name, agents_python)
                results["bots"][name] = await sweep_bot(harness, name, command, settings, args.keep_going)
            if args.profile:
                name, _, level = args.profile.partition("@")
                collapsed = output / f"profile-{name}-{level}.txt"
                print(f"profiling {name} at {level} conversations …", flush=True)
                figures = await run_level(
                    harness,
                    name,
                    bot_command(name, agents_python),
                    int(level),
                    settings,
                    profile_to=collapsed,
                )
                results["profile"] = {
                    "bot": name,
                    "conversations": int(level),
                    "cpu_ms_per_answer": figures["cpu_ms_per_answer"],
                    "window": figures["profile_window"],
                    "first_sign": figures["first_sign"],
                    **profiling.summary(collapsed),
                }
    finally:
        model.stop()
        connector.stop()
    results["ratios"] = report.ratios(results)
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description="Concurrency sweep of the bot and two reference bots."
    )

    def counts(text: str) -> list[int]:
        return [int(part) for part in text.split(",") if part.strip()]

    def bot_names(text: str) -> list[str]:
        names = [part.strip() for part in text.split(",") if part.strip()]
        unknown = {name for name in names if name not in BOTS and workers_of(name) is None}
        if unknown:
            raise argparse.ArgumentTypeError(
                f"unknown bots {sorted(unknown)}; choose from {', '.join(BOTS)}, or ours-w<n>"
            )
        return names

    parser.add_argument("--sweep", type=counts, default=[1, 50, 200, 500], help="conversation counts")
    parser.add_argument("--tokens", type=int, default=200, help="tokens per answer")
    parser.add_argument("--rate", type=float, default=40.0, help="tokens per second")
    parser.add_argument("--first-token-delay", type=float, default=0.5, help="seconds before the first token")
    parser.add_argument(
        "--channel", choices=tuple(INTERVALS), default="msteams", help="Teams personal chats or Web Chat"
    )
    parser.add_argument(
        "--bots",
        type=bot_names,
        default=list(BOTS),
        help=f"comma-separated, from {', '.join(BOTS)}, ours-w<n> (ours under gunicorn, WEB_CONCURRENCY=n)",
    )
    parser.add_argument("--grace", type=float, default=60.0, help="seconds past the answer's length to wait")
    parser.add_argument("--max-p99-lag", type=float, default=0.25, help="the bar a level must stay under (s)")
    parser.add_argument(
        "--quiet-wait", type=float, default=30.0, help="seconds to wait for other work to stop before a level"
    )
    parser.add_argument("--keep-going", action="store_true", help="run higher levels after answers were lost")
    parser.add_argument(
        "--storage",
        choices=("sqlite", "redis"),
        default="sqlite",
        help="our bot's state: its default SQLite file, or Redis (as instances that share conversations)",
    )
    parser.add_argument("--redis-url", default=REDIS_URL, help="the Redis for --storage redis")
    parser.add_argument(
        "--profile", metavar="BOT@N", help="after the sweep, py-spy one more level, e.g. ours@200"
    )
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG (no matplotlib needed)")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks" / "results", help="where results go"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    raise_open_file_limit()
    results = asyncio.run(run(args))
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "latest.json").write_text(json.dumps(results, indent=1) + "\n")
    if not args.no_plot:
        report.plot(results, args.output / "latest.png")
    print()
    print(report.table(results))
    for name, ratio in results["ratios"].items():
        print(f"{name}: max held ratio {ratio['max_held']}")
    if "profile" in results:
        print()
        print(report.profile_text(results["profile"]))


if __name__ == "__main__":
    main()
