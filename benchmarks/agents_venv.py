"""The Agents SDK bot's own virtual environment, built from pinned versions on first use.

The Microsoft 365 Agents SDK needs its own dependency set (it must not mix with botbuilder), so it
lives in benchmarks/.venv-agents (git-ignored), installed with pip from
benchmarks/requirements-agents.txt. A stamp file holds the hash of the requirements it was built
from; a changed file rebuilds the environment.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-agents"
REQUIREMENTS = HERE / "requirements-agents.txt"
_STAMP = VENV / "requirements.sha256"


def ensure_agents_venv() -> Path:
    """The Python interpreter of the Agents SDK environment, creating or updating it if needed."""
    python = VENV / "bin" / "python"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and _STAMP.exists() and _STAMP.read_text().strip() == wanted:
        return python
    print(f"Setting up the Agents SDK environment in {VENV} …", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(REQUIREMENTS),
        ],
        check=True,
    )
    _STAMP.write_text(wanted)
    return python
