"""Turning a run's results into what people read: the machine, a Markdown table, ratios, a plot."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

BOT_LABELS = {
    "ours": "ours (botbuilder 4.17.1)",
    "agents-sdk": "Agents SDK (minimal)",
    "bare": "bare aiohttp (floor)",
}


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


def table(results: dict[str, Any]) -> str:
    """One Markdown row per bot and level."""
    header = (
        "| bot | N | first text p50 / p99 (s) | update lag p99 (s) | final delay p99 (s) "
        "| CPU ms / answer | CPU ms / 1k tok | peak RSS (MB) | KB / stream | requests / answer "
        "| lost | incomplete | 429 | protocol errors | holds | other load (cores) |"
    )
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for name, bot in results["bots"].items():
        for level in bot["levels"]:
            if level.get("skipped"):
                reason = level.get("reason", "skipped: a lower level lost answers")
                lines.append(f"| {name} | {level['conversations']} | {reason} |" + " |" * 13)
                continue
            first = level["first_text_latency"]
            cells = [
                name,
                str(level["conversations"]),
                f"{fmt(first['p50'])} / {fmt(first['p99'])}",
                fmt(level["update_lag"]["p99"]),
                fmt(level["final_delay"]["p99"]),
                fmt(level["cpu_ms_per_answer"], digits=1),
                fmt(level["cpu_ms_per_1000_tokens"], digits=1),
                f"{level['peak_rss_mb']:.0f}",
                fmt(level["kb_per_open_stream"], digits=0),
                fmt(level["requests_per_answer"]["p50"], digits=0),
                str(level["lost"]),
                str(level["incomplete"]),
                str(level["throttled_429"]),
                str(level["protocol_errors"]),
                "yes" if level["holds"] else "no",
                fmt(level["other_cores"], digits=1),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _ratio(ours: float | None, other: float | None) -> float | None:
    return ours / other if ours is not None and other else None


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """Our bot's figures divided by each reference bot's, per level both ran, and of the loads held."""
    bots = results["bots"]
    if "ours" not in bots:
        return {}
    ours = {level["conversations"]: level for level in bots["ours"]["levels"] if not level.get("skipped")}
    out: dict[str, Any] = {}
    for name in ("agents-sdk", "bare"):
        if name not in bots:
            continue
        per_level = {}
        for level in bots[name]["levels"]:
            mine = ours.get(level["conversations"])
            if mine is None or level.get("skipped"):
                continue
            per_level[str(level["conversations"])] = {
                "cpu_ms_per_answer": _ratio(mine["cpu_ms_per_answer"], level["cpu_ms_per_answer"]),
                "first_text_p99": _ratio(
                    mine["first_text_latency"]["p99"], level["first_text_latency"]["p99"]
                ),
                "update_lag_p99": _ratio(mine["update_lag"]["p99"], level["update_lag"]["p99"]),
                "peak_rss": _ratio(mine["peak_rss_mb"], level["peak_rss_mb"]),
            }
        out[f"ours_vs_{name}"] = {
            "per_level": per_level,
            "max_held": _ratio(bots["ours"]["max_held"], bots[name]["max_held"]),
        }
    return out


def plot(results: dict[str, Any], path: Path) -> None:
    """Latency, update lag and CPU against concurrency, one line per bot, as a PNG."""
    import matplotlib  # Imported here: only the plot needs it (benchmarks/requirements.txt).

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("first text after first token, p99 (s)", lambda level: level["first_text_latency"]["p99"]),
        ("update lag p99 (s)", lambda level: level["update_lag"]["p99"]),
        ("CPU ms per answer", lambda level: level["cpu_ms_per_answer"]),
    ]
    figure, axes = plt.subplots(1, len(panels), figsize=(15, 4.5))
    for axis, (title, value_of) in zip(axes, panels, strict=True):
        for name, bot in results["bots"].items():
            levels = [
                level for level in bot["levels"] if not level.get("skipped") and value_of(level) is not None
            ]
            axis.plot(
                [level["conversations"] for level in levels],
                [value_of(level) for level in levels],
                marker="o",
                label=BOT_LABELS.get(name, name),
            )
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("concurrent conversations")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
    axes[1].axhline(results["settings"]["max_p99_lag"], color="grey", linestyle="--", linewidth=1)
    axes[0].legend()
    settings, machine = results["settings"], results["machine"]
    figure.suptitle(
        f"{settings['tokens']} tokens at {settings['rate']:g}/s, {settings['channel']}; "
        f"{machine['nproc']} x {machine['cpu_model']}, Python {machine['python']}"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
