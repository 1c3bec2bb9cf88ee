"""A bot of several processes (gunicorn's master and workers) is measured over its whole tree."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from benchmarks.processes import Service, cpu_seconds, memory_kb, process_tree

PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(child.pid, flush=True)
time.sleep(60)
"""


def test_the_process_tree_holds_the_process_and_its_children() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        tree = process_tree(parent.pid)
        assert sorted(tree) == sorted([parent.pid, child])
        assert tree[0] == parent.pid
        assert all(cpu_seconds(pid) >= 0 and memory_kb(pid, "VmRSS") > 0 for pid in tree)
    finally:
        os.kill(child, signal.SIGKILL)
        parent.kill()
        parent.wait()
        parent.stdout.close()


def test_a_service_that_announces_nothing_writes_its_output_to_the_log(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    chatty = [sys.executable, "-c", "print('x' * 200_000)"]  # More than a pipe holds unread.
    service = Service("chatty", chatty, env={}, cwd=tmp_path, log=log, announces=False)
    assert service.process.wait(timeout=30) == 0
    service.stop()
    assert log.read_text().count("x") == 200_000
