"""Turning a run's results into what people read: the machine, a Markdown table, ratios, a plot."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

BOT_LABELS = {
    "ours": "ours (botbuilder 4.17.1)",
    "agents-sdk": "Agents SDK (minimal)",
    "bare": "bare aiohttp (floor)",
}
REFERENCE_BOTS = ("agents-sdk", "bare")
LATENCIES = (
    ("inbound_request", "inbound request"),
    ("first_sign", "first sign"),
    ("first_text", "first text"),
    ("update_lag", "update lag"),
    ("final_delay", "final delay"),
)
"""What the user sees, in the order it happens: the figures of the first table, p50 / p95 each."""


def bot_label(name: str) -> str:
    """A bot's name for people: ours under gunicorn says how many workers."""
    if name.startswith("ours-w"):
        return f"ours, gunicorn WEB_CONCURRENCY={name.removeprefix('ours-w')}"
    return BOT_LABELS.get(name, name)


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu_model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def fmt(value: float | None, digits: int = 2) -> str:
    """A number for the table, or a dash when there is none."""
    return "-" if value is None else f"{value:.{digits}f}"


def _skipped_row(name: str, level: dict[str, Any], columns: int) -> str:
    reason = level.get("reason", "skipped: a lower level lost answers")
    return f"| {name} | {level['conversations']} | {reason} |" + " |" * (columns - 3)


def _rows(results: dict[str, Any], header: str, cells_of: Callable[[dict[str, Any]], list[str]]) -> list[str]:
    columns = header.count("|") - 1
    lines = [header, "|" + "---|" * columns]
    for name, bot in results["bots"].items():
        for level in bot["levels"]:
            if level.get("skipped"):
                lines.append(_skipped_row(name, level, columns))
            else:
                lines.append("| " + " | ".join([name, str(level["conversations"]), *cells_of(level)]) + " |")
    return lines


def _p50_p95(figure: dict[str, float | None]) -> str:
    return f"{fmt(figure['p50'])} / {fmt(figure['p95'])}"


def latency_table(results: dict[str, Any]) -> str:
    """What the user sees, from the moment the message reached the bot: one row per bot and level."""
    header = (
        "| bot | N | "
        + " | ".join(f"{title} p50 / p95 (s)" for _key, title in LATENCIES)
        + " | update lag p99 (s) | first sign was | holds |"
    )

    def cells(level: dict[str, Any]) -> list[str]:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(level["first_sign_kinds"].items()))
        return [
            *(_p50_p95(level[key]) for key, _title in LATENCIES),
            fmt(level["update_lag"]["p99"]),
            kinds or "-",
            "yes" if level["holds"] else "no",
        ]

    return "\n".join(_rows(results, header, cells))


def cost_table(results: dict[str, Any]) -> str:
    """What each level cost the bot, and what went wrong: one row per bot and level."""
    header = (
        "| bot | N | CPU ms / answer | CPU ms / 1k tok | peak RSS (MB) | KB / stream | requests / answer "
        "| lost | incomplete | 429 | protocol errors | warnings in bot log "
        "| first text after model's first token p95 (s) | connect p95 (s) | other load (cores) |"
    )

    def cells(level: dict[str, Any]) -> list[str]:
        return [
            fmt(level["cpu_ms_per_answer"], digits=1),
            fmt(level["cpu_ms_per_1000_tokens"], digits=1),
            f"{level['peak_rss_mb']:.0f}",
            fmt(level["kb_per_open_stream"], digits=0),
            fmt(level["requests_per_answer"]["p50"], digits=0),
            str(level["lost"]),
            str(level["incomplete"]),
            str(level["throttled_429"]),
            str(level["protocol_errors"]),
            str(level["bot_log_problems"]),
            fmt(level["first_text_after_model"]["p95"]),
            fmt(level["connect"]["p95"]),
            fmt(level["other_cores"], digits=1),
        ]

    return "\n".join(_rows(results, header, cells))


def table(results: dict[str, Any]) -> str:
    """Both tables, as the README shows them."""
    return f"{latency_table(results)}\n\n{cost_table(results)}"


def profile_text(profile: dict[str, Any]) -> str:
    """The profile of the path before the first send, in Markdown: its window, where the samples went,
    the top functions on the path, and our own functions on it by total time."""
    window = profile["window"]
    sends = window["sends"]
    sign = profile["first_sign"]
    lines = [
        f"{profile['bot']} at {profile['conversations']} conversations, from the first message until every "
        f"conversation had its first sign ({window['seconds']:.2f} s; first sign p50 {fmt(sign['p50'])} s, "
        f"p95 {fmt(sign['p95'])} s); {profile['samples']} samples; stream sends in that time: "
        f"{sends['first']} first, {sends['later']} later.",
        "",
        "| phase | share of samples (%) |",
        "|---|---|",
        *(f"| {phase} | {share:.1f} |" for phase, share in profile["phases"].items()),
        "",
        "| self % | total % | function (on the path before the first send) |",
        "|---|---|---|",
        *(
            f"| {row['self_pct']:.1f} | {row['total_pct']:.1f} | `{row['function']}` |"
            for row in profile["top_on_path"]
        ),
        "",
        "| total % | our function on the path before the first send |",
        "|---|---|",
        *(f"| {row['total_pct']:.1f} | `{row['function']}` |" for row in profile["ours_on_path"]),
        "",
        "| % | the deepest of our functions on the stack (on the path before the first send) |",
        "|---|---|",
        *(f"| {row['pct']:.1f} | `{row['function']}` |" for row in profile["deepest_ours"]),
    ]
    return "\n".join(lines)


def _ratio(ours: float | None, other: float | None) -> float | None:
    return ours / other if ours is not None and other else None


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """Our bot's figures (each way it ran) divided by each reference bot's, per level both ran, and of
    the loads held."""
    bots = results["bots"]
    out: dict[str, Any] = {}
    for mine_name in [name for name in bots if name not in REFERENCE_BOTS]:
        ours = {
            level["conversations"]: level for level in bots[mine_name]["levels"] if not level.get("skipped")
        }
        for name in REFERENCE_BOTS:
            if name not in bots:
                continue
            per_level = {}
            for level in bots[name]["levels"]:
                mine = ours.get(level["conversations"])
                if mine is None or level.get("skipped"):
                    continue
                per_level[str(level["conversations"])] = {
                    "cpu_ms_per_answer": _ratio(mine["cpu_ms_per_answer"], level["cpu_ms_per_answer"]),
                    "kb_per_open_stream": _ratio(mine["kb_per_open_stream"], level["kb_per_open_stream"]),
                    **{
                        f"{key}_p95": _ratio(mine[key]["p95"], level[key]["p95"])
                        for key in ("inbound_request", "first_sign", "first_text")
                    },
                    "update_lag_p99": _ratio(mine["update_lag"]["p99"], level["update_lag"]["p99"]),
                    "peak_rss": _ratio(mine["peak_rss_mb"], level["peak_rss_mb"]),
                }
            out[f"{mine_name}_vs_{name}"] = {
                "per_level": per_level,
                "max_held": _ratio(bots[mine_name]["max_held"], bots[name]["max_held"]),
            }
    return out


PANELS = (
    ('first sign p95 (s): "Thinking…" or typing', lambda level: level["first_sign"]["p95"]),
    ("first text p95 (s)", lambda level: level["first_text"]["p95"]),
    ("inbound request p95 (s)", lambda level: level["inbound_request"]["p95"]),
    ("update lag p99 (s)", lambda level: level["update_lag"]["p99"]),
    ("CPU ms per answer", lambda level: level["cpu_ms_per_answer"]),
    ("KB per open stream", lambda level: level["kb_per_open_stream"]),
)
"""The plot's panels: what the user sees (from the moment the message reached the bot), then the cost."""


def plot(results: dict[str, Any], path: Path) -> None:
    """What the user sees and what it costs against concurrency, one line per bot, as a PNG."""
    import matplotlib  # Imported here: only the plot needs it (benchmarks/requirements.txt).

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, grid = plt.subplots(2, 3, figsize=(16, 9))
    axes = list(grid.flat)
    for axis, (title, value_of) in zip(axes, PANELS, strict=True):
        for name, bot in results["bots"].items():
            levels = [
                level
                for level in bot["levels"]
                if not level.get("skipped") and value_of(level) is not None and value_of(level) > 0
            ]
            axis.plot(
                [level["conversations"] for level in levels],
                [value_of(level) for level in levels],
                marker="o",
                label=bot_label(name),
            )
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("concurrent conversations")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
    axes[3].axhline(results["settings"]["max_p99_lag"], color="grey", linestyle="--", linewidth=1)
    axes[0].legend()
    settings, machine = results["settings"], results["machine"]
    figure.suptitle(
        f"From the moment the user's message reaches the bot; {settings['tokens']} tokens at "
        f"{settings['rate']:g}/s after {settings['first_token_delay']:g} s, {settings['channel']}; "
        f"{machine['nproc']} x {machine['cpu_model']}, Python {machine['python']}"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
