"""Starting, watching and stopping the benchmark's subprocesses, and reading their usage from /proc.

CPU time comes from /proc/<pid>/stat (utime + stime, in clock ticks; /proc/stat for the whole
machine), memory from
/proc/<pid>/status (VmRSS now, VmHWM the peak). Writing 5 to /proc/<pid>/clear_refs resets the
peak, so each level's peak is its own. A bot that runs several processes (gunicorn's master and
its workers) is measured as the sum over its process tree. Every process gets the highest
open-file limit the machine allows (inherited from this process), since thousands of
conversations mean thousands of sockets.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import time
from pathlib import Path

from benchmarks.serving import LOOPBACK, READY_PREFIX

_TICKS = os.sysconf("SC_CLK_TCK")
STOP_TIMEOUT = 10.0


def raise_open_file_limit() -> int:
    """Raise this process's soft open-file limit to the hard limit; children inherit it."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds the process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # The command name may contain spaces.
    return (int(fields[11]) + int(fields[12])) / _TICKS


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (everything in /proc/stat but idle and iowait).

    Compared with the benchmark's own processes over a level, it shows how much else ran on the
    machine meanwhile: the latency figures are only as good as the machine was quiet.
    """
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / _TICKS


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants that are alive now (gunicorn's workers, say)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # It ended meanwhile.
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        queue.extend(children.get(current, []))
    return tree


def memory_kb(pid: int, field: str) -> int:
    """A /proc/<pid>/status memory field (VmRSS, VmHWM, …) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak_memory(pid: int) -> None:
    """Start a new VmHWM peak from the current RSS (Linux 4.0+)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


class Service:
    """One subprocess, its output in a log file, stopped with SIGTERM (then SIGKILL) on `stop`.

    A service that `announces` its port keeps its stdout for that (see `announced_port`); any other
    writes stdout to the log as well, since nobody reads a pipe that would fill up and block it.
    """

    def __init__(
        self,
        name: str,
        command: list[str],
        *,
        env: dict[str, str],
        cwd: Path,
        log: Path,
        announces: bool = True,
    ) -> None:
        self.name = name
        self._log = log.open("w")
        stdout = subprocess.PIPE if announces else self._log
        self.process = subprocess.Popen(command, env=env, cwd=cwd, stdout=stdout, stderr=self._log, text=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log_path(self) -> Path:
        return Path(self._log.name)

    def announced_port(self) -> int:
        """Read the port a benchmark server prints first (see benchmarks.serving)."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith(READY_PREFIX):
            raise RuntimeError(
                f"{self.name} did not start (exit {self.process.poll()}); see {self._log.name}"
            )
        return int(line[len(READY_PREFIX) :])

    def wait_for_port(self, port: int, timeout: float = 60.0) -> None:
        """Wait until the process accepts TCP connections on `port`."""
        give_up_at = time.monotonic() + timeout
        while time.monotonic() < give_up_at:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self._log.name}")
            try:
                with socket.create_connection((LOOPBACK, port), timeout=1.0):
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"{self.name} did not listen on port {port} within {timeout:g}s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        self._log.close()
