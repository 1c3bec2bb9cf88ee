"""The Agents SDK host's own virtual environment, built from pinned versions on first use.

The Agents SDK host runs in `.venv-agents` at the repository root (git-ignored), installed with pip
from agents_host/requirements-dev.txt, apart from the botbuilder bot's environment so that nothing
of botbuilder's leaks into it unnoticed. A stamp file holds the hash of the requirements it was built
from; a changed file rebuilds it. Standard library only: the main environment runs this too.

Run `python -m agents_host.venv` to build it and print its interpreter.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE.parent / ".venv-agents"
REQUIREMENTS = (HERE / "requirements.txt", HERE / "requirements-dev.txt")
_STAMP = VENV / "requirements.sha256"


def _wanted() -> str:
    digest = hashlib.sha256()
    for path in REQUIREMENTS:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def agents_python() -> Path | None:
    """The interpreter of the Agents SDK environment if it is built and up to date, else None."""
    python = VENV / "bin" / "python"
    if python.exists() and _STAMP.exists() and _STAMP.read_text().strip() == _wanted():
        return python
    return None


def ensure_agents_venv() -> Path:
    """The interpreter of the Agents SDK environment, creating or updating the environment if needed."""
    python = agents_python()
    if python is not None:
        return python
    print(f"Setting up the Agents SDK environment in {VENV} …", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    python = VENV / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(REQUIREMENTS[1]),
        ],
        check=True,
    )
    _STAMP.write_text(_wanted())
    return python


if __name__ == "__main__":
    print(ensure_agents_venv())
