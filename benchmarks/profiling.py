"""A short py-spy profile of a bot process under load, summed up as the top functions by self time.

py-spy samples the process from outside (`--nonblocking`, so the bot is not paused) and writes
collapsed stacks ("frame;frame;… count"); a stack's last frame is where the time was spent (self
time), every frame on it shares the total.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

SAMPLE_RATE = 100
STOP_TIMEOUT = 30.0


def start_profile(pid: int, seconds: float, output: Path) -> subprocess.Popen[bytes]:
    """Start sampling `pid` for `seconds` into `output` (raw collapsed stacks)."""
    beside_python = Path(sys.executable).parent / "py-spy"  # Installed into the running venv.
    py_spy = str(beside_python) if beside_python.exists() else shutil.which("py-spy")
    if py_spy is None:
        raise RuntimeError("py-spy is not installed: pip install -r benchmarks/requirements.txt")
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds)))]
    command += ["--rate", str(SAMPLE_RATE), "--nonblocking", "--format", "raw", "--output", str(output)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def top_functions(collapsed: Path, count: int = 15) -> list[dict[str, Any]]:
    """The `count` functions with the most self time, with their self and total share of samples."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        weight = int(number)
        frames = stack.split(";")
        samples += weight
        own[frames[-1]] += weight
        for frame in set(frames):
            total[frame] += weight
    return [
        {"function": frame, "self_pct": 100 * weight / samples, "total_pct": 100 * total[frame] / samples}
        for frame, weight in own.most_common(count)
    ]


def stop_profile(profiler: subprocess.Popen[bytes]) -> None:
    """End sampling now; py-spy writes what it has on SIGINT, as on Ctrl-C."""
    if profiler.poll() is None:
        profiler.send_signal(signal.SIGINT)
    profiler.wait(STOP_TIMEOUT)
