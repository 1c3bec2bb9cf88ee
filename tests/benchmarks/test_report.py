"""The README's tables, ratios and plot show what the user sees, p50 / p95, for every bot and level."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks import report, run


def spread(p50: float, p95: float) -> dict[str, float]:
    return {"p50": p50, "p95": p95, "p99": p95, "max": p95}


def level(conversations: int, scale: float) -> dict[str, Any]:
    return {
        "conversations": conversations,
        "inbound_request": spread(0.01 * scale, 0.05 * scale),
        "first_sign": spread(0.1 * scale, 0.3 * scale),
        "first_sign_kinds": {"informative": conversations},
        "first_text": spread(1.0 * scale, 1.2 * scale),
        "first_text_after_model": spread(0.5, 0.6),
        "update_lag": spread(0.01, 0.1),
        "final_delay": spread(0.5, 0.7),
        "connect": spread(0.0, 0.01),
        "requests_per_answer": spread(7, 7),
        "lost": 0,
        "incomplete": 0,
        "throttled_429": 0,
        "protocol_errors": 0,
        "bot_log_problems": 0,
        "cpu_ms_per_answer": 7.0 * scale,
        "cpu_ms_per_1000_tokens": 35.0 * scale,
        "peak_rss_mb": 100.0,
        "kb_per_open_stream": 120.0,
        "holds": True,
        "other_cores": 0.1,
    }


RESULTS: dict[str, Any] = {
    "settings": {
        "tokens": 200,
        "rate": 40.0,
        "first_token_delay": 0.5,
        "channel": "msteams",
        "max_p99_lag": 0.25,
    },
    "machine": {"nproc": 2, "cpu_model": "test CPU", "python": "3.11"},
    "bots": {
        "ours": {"levels": [level(50, 2.0), level(500, 4.0)], "max_held": 500},
        "ours-w2": {
            "levels": [level(50, 1.5), {"conversations": 500, "skipped": True, "reason": "why"}],
            "max_held": 50,
        },
        "bare": {"levels": [level(50, 1.0), level(500, 2.0)], "max_held": 500},
    },
}


def test_the_latency_table_shows_p50_and_p95_of_each_figure_from_the_message_reaching_the_bot() -> None:
    table = report.latency_table(RESULTS)
    header = table.splitlines()[0]
    for title in ("inbound request", "first sign", "first text", "update lag", "final delay"):
        assert f"{title} p50 / p95 (s)" in header
    assert "| ours | 500 | 0.04 / 0.20 | 0.40 / 1.20 | 4.00 / 4.80 |" in table
    assert "| ours-w2 | 500 | why |" in table
    assert all(line.count("|") == header.count("|") for line in table.splitlines())


def test_the_cost_table_shows_cpu_and_memory_per_answer_and_stream() -> None:
    table = report.cost_table(RESULTS)
    assert "| ours | 500 | 28.0 | 140.0 | 100 | 120 |" in table
    header = table.splitlines()[0]
    assert all(line.count("|") == header.count("|") for line in table.splitlines())


def test_ratios_compare_each_way_our_bot_ran_with_each_reference_bot() -> None:
    ratios = report.ratios(RESULTS)
    assert set(ratios) == {"ours_vs_bare", "ours-w2_vs_bare"}
    at_500 = ratios["ours_vs_bare"]["per_level"]["500"]
    assert at_500["first_sign_p95"] == pytest.approx(2.0)
    assert at_500["first_text_p95"] == pytest.approx(2.0)
    assert at_500["inbound_request_p95"] == pytest.approx(2.0)
    assert set(ratios["ours-w2_vs_bare"]["per_level"]) == {"50"}


def test_labels_say_how_many_workers() -> None:
    assert report.bot_label("ours-w2") == "ours, gunicorn WEB_CONCURRENCY=2"
    assert report.bot_label("bare") == report.BOT_LABELS["bare"]


def test_bots_are_named_on_the_command_line_with_our_gunicorn_variants() -> None:
    args = run.parse_args(["--bots", "ours,ours-w2,bare"])
    assert args.bots == ["ours", "ours-w2", "bare"]
    assert [run.workers_of(name) for name in args.bots] == [None, 2, None]
    command = run.bot_command("ours-w2", None)
    assert command[0] == "env" and "WEB_CONCURRENCY=2" in command and command[-2:] == ["sh", "startup.sh"]
    assert run.bot_command("ours", None)[-1] == "app.py"
    with pytest.raises(SystemExit):
        run.parse_args(["--bots", "ours-w0"])


def test_the_plot_has_a_line_per_bot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the plot's extra (benchmarks/requirements.txt)")
    path = tmp_path / "latest.png"
    report.plot(RESULTS, path)
    assert path.read_bytes().startswith(b"\x89PNG")
