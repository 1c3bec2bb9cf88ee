"""Child processes of the test run: each in its own process group, its output in a file, stopped by PID.

Every wait polls a condition with a deadline; nothing sleeps for a fixed time. A process is stopped
when its test is done, also after a failure, at exit, and (on Linux) when the test run itself dies.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NoReturn, Self

import pytest


def _prctl() -> Callable[..., int] | None:
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux
        return None


_PRCTL = _prctl()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the test process dies.

    ``stop`` and ``atexit`` cover a normal end and a failed test; this covers a test run that
    is killed (a CI time limit, ``kill -9``), which would otherwise leave servers behind.
    """
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


class HarnessError(RuntimeError):
    """A process of the harness did not start, answer or behave as expected."""


class ManagedProcess:
    """A child process in its own process group, with its output in a file.

    Why a process group: ``node`` and ``python`` may start children; killing the group by the
    leader's PID stops them all and never touches processes the harness did not start.
    ``stop`` is idempotent and is also registered with ``atexit`` so an interrupted test run
    does not leave servers behind.
    """

    def __init__(self, name: str, log_path: Path) -> None:
        """Remember a display ``name`` and where the process's stdout/stderr go."""
        self.name = name
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(
        self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], keep_stdout: bool = True
    ) -> None:
        """Start ``argv`` in ``cwd`` with exactly ``env``, in a new session/process group.

        Its stderr goes to the log file, and so does its stdout unless ``keep_stdout`` is off.
        """
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log if keep_stdout else subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
                # PDEATHSIG follows the thread that started the child: the fixtures start
                # processes from the main thread, which lives as long as the test run.
                preexec_fn=_die_with_parent,
            )
        atexit.register(self.stop)

    @property
    def pid(self) -> int | None:
        """PID of the process-group leader, or None before ``spawn``."""
        return self.proc.pid if self.proc else None

    def group_pids(self) -> list[int]:
        """PIDs of the live processes in this process's group (the leader and its children)."""
        if self.proc is None:
            return []
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            # After the command name: state, ppid, pgrp, ...; a zombie ("Z") is gone already.
            if fields[0] != "Z" and int(fields[2]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return pids

    def exited(self) -> int | None:
        """Return the exit code if the process has ended, else None."""
        return self.proc.poll() if self.proc else None

    def output(self) -> str:
        """Return everything the process wrote to stdout/stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, grace: float = 5.0) -> None:
        """Terminate the process group (SIGTERM, then SIGKILL after ``grace`` seconds)."""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # The leader is gone; make sure no group member outlives it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the process group at once, as `kill -9` or the out-of-memory killer would, and reap it."""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def wait_until(
        self,
        condition: Callable[[], bool],
        *,
        timeout: float,
        what: str,
        interval: float = 0.05,
    ) -> None:
        """Poll ``condition`` until it is true; fail early if the process dies or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            if condition():
                return
            code = self.exited()
            if code is not None:
                raise HarnessError(
                    f"{self.name} exited with code {code} while waiting for {what}:\n{self.output()[-4000:]}"
                )
            if time.monotonic() >= deadline:
                raise HarnessError(f"{self.name}: no {what} within {timeout:.0f} s:\n{self.output()[-4000:]}")
            time.sleep(interval)


class StartedInWith:
    """`with` starts the service (stopping whatever started if that fails) and stops it at the end."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def missing(service: str, how_to_get_it: str) -> NoReturn:
    """A needed service is not here: fail in CI (CI=true), where it must be; skip elsewhere."""
    message = f"{service} is not available. {how_to_get_it}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI needs it: {message}", pytrace=False)
    pytest.skip(message)


@contextlib.contextmanager
def running(argv: list[str], ready: str, workdir: Path, timeout: float = 30.0) -> Iterator[re.Match[str]]:
    """Run a server in `workdir` until the block ends; yield the match of `ready` in its output once up."""
    name = Path(argv[0]).name
    # A log of this start only: a server started again must not look ready from its last run's lines.
    log = Path(tempfile.mkstemp(prefix=f"{name}-", suffix=".log", dir=workdir)[1])
    process = ManagedProcess(name, log)

    def ready_line() -> re.Match[str] | None:
        return re.search(ready, process.output())

    process.spawn(argv, cwd=workdir, env=os.environ)
    try:
        process.wait_until(lambda: ready_line() is not None, timeout=timeout, what=repr(ready))
        match = ready_line()
        assert match is not None
        yield match
    finally:
        process.stop()
