"""The benchmark's quick mode, run for real against our bot: every figure it reports must be sane.

It starts the model server, the connector and the bot as subprocesses on loopback, exactly as
`python -m benchmarks.run` does for the full sweep (without the Agents SDK environment or the plot):
our bot as `python app.py`, and as production runs it, under gunicorn with two workers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks import report, run

ROOT = Path(__file__).resolve().parents[2]
SMOKE_TIMEOUT = 90


def test_quick_sweep_of_our_bot_is_complete_and_sane(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "benchmarks.run", "--sweep", "1,10", "--tokens", "20"]
    command += [
        "--bots",
        "ours,ours-w2",
        "--no-plot",
        "--grace",
        "15",
        "--quiet-wait",
        "0",
        "--output",
        str(tmp_path),
    ]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=SMOKE_TIMEOUT)
    assert finished.returncode == 0, finished.stderr

    results = json.loads((tmp_path / "latest.json").read_text())
    for name, processes in (("ours", 1), ("ours-w2", 3)):  # gunicorn: the master and two workers
        levels = results["bots"][name]["levels"]
        assert [level["conversations"] for level in levels] == [1, 10]
        for level in levels:
            assert level["lost"] == 0
            assert level["incomplete"] == 0
            assert level["throttled_429"] == 0
            assert level["protocol_errors"] == 0
            assert level["bot_log_problems"] == 0
            assert level["processes"] == processes == len(level["cpu_seconds_by_process"])
            # Teams personal chats: "Thinking…" first, then text, all timed from the message reaching the bot.
            assert level["first_sign_kinds"] == {"informative": level["conversations"]}
            inbound, sign, text = level["inbound_request"], level["first_sign"], level["first_text"]
            assert 0 <= inbound["p50"] <= inbound["max"] < 5
            assert 0 < sign["p50"] <= sign["max"] < 5 and text["max"] < 5
            # Each conversation's text comes at least a pacing interval after its "Thinking…".
            assert sign["p50"] < text["p50"] and sign["max"] < text["max"]
            assert level["first_text_after_model"]["p50"] < text["p50"]  # The model starts after the message.
            assert level["requests_per_answer"]["p50"] >= 2  # At least the informative start and the final.
            assert level["cpu_ms_per_answer"] >= 0  # one short answer may take less than /proc's 10 ms tick
            assert level["peak_rss_mb"] > 0
        assert levels[-1]["cpu_ms_per_answer"] > 0  # ten answers take several ticks
        assert results["bots"][name]["max_held"] == 10
    assert "| ours | 10 |" in finished.stdout
    assert "| ours-w2 | 10 |" in finished.stdout


async def test_a_level_that_cannot_be_measured_is_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    # A bot that dies at start: its level says why, its higher levels are skipped, nothing raises.
    settings = run.Settings(
        sweep=[1, 10],
        tokens=5,
        rate=100.0,
        first_token_delay=0.0,
        channel="msteams",
        grace=1.0,
        max_p99_lag=0.25,
        quiet_wait=0.0,
    )
    harness = run.Harness(None, "", None, "", None, tmp_path)  # type: ignore[arg-type]  # never reached
    dying_bot = [sys.executable, "-c", "raise SystemExit(7)"]
    result = await run.sweep_bot(harness, "ours", dying_bot, settings, keep_going=False)
    failed, skipped = result["levels"]
    assert failed["skipped"] and "exited with 7" in failed["reason"]
    assert skipped["skipped"] and skipped["reason"] == run.SKIPPED_AFTER_LOSS
    assert result["max_held"] == 0
    assert "exited with 7" in report.table({"bots": {"ours": result}})
