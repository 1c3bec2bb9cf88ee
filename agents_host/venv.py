"""The Agents SDK host's own virtual environment, built from pinned versions on first use.

The Agents SDK host runs in `.venv-agents` at the repository root (git-ignored), installed with pip
from agents_host/requirements-dev.txt, apart from the botbuilder bot's environment so that nothing
of botbuilder's leaks into it unnoticed. A stamp file holds the hash of the requirements it was built
from; a changed file rebuilds it. Standard library only: the main environment runs this too (and the
benchmark builds its Agents SDK bot's environment with `PinnedVenv`).

Run `python -m agents_host.venv` to build it and print its interpreter.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PinnedVenv:
    """A virtual environment at `path`, installed from `install`, rebuilt when any of `pins` changes."""

    path: Path
    install: Path
    pins: tuple[Path, ...]

    @property
    def _stamp(self) -> Path:
        return self.path / "requirements.sha256"

    def _wanted(self) -> str:
        digest = hashlib.sha256()
        for pin in self.pins:
            digest.update(pin.read_bytes())
        return digest.hexdigest()

    def python(self) -> Path | None:
        """Its interpreter if it is built and up to date, else None."""
        python = self.path / "bin" / "python"
        if python.exists() and self._stamp.exists() and self._stamp.read_text().strip() == self._wanted():
            return python
        return None

    def ensure(self) -> Path:
        """Its interpreter, creating or updating the environment first if needed."""
        python = self.python()
        if python is not None:
            return python
        print(f"Setting up the environment in {self.path} …", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(self.path)], check=True)
        pip = [
            str(self.path / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ]
        subprocess.run([*pip, "-r", str(self.install)], check=True)
        self._stamp.write_text(self._wanted())
        return self.path / "bin" / "python"


AGENTS_VENV = PinnedVenv(
    HERE.parent / ".venv-agents",
    install=HERE / "requirements-dev.txt",
    pins=(HERE / "requirements.txt", HERE / "requirements-dev.txt"),
)


def agents_python() -> Path | None:
    """The interpreter of the Agents SDK environment if it is built and up to date, else None."""
    return AGENTS_VENV.python()


def ensure_agents_venv() -> Path:
    """The interpreter of the Agents SDK environment, creating or updating the environment if needed."""
    return AGENTS_VENV.ensure()


if __name__ == "__main__":
    print(ensure_agents_venv())
