"""The Agents SDK environment has no botbuilder, and the host and what it imports of ours need none."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("module", ["botbuilder", "botframework", "msrest"])
def test_no_botbuilder_package_is_installed_here(module: str) -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(module)


def test_the_host_and_every_module_it_uses_import_without_botbuilder() -> None:
    """Checked in a fresh interpreter, with every storage backend the host can open, and the app built."""
    code = (
        "import sys, agents_host.__main__, storage.redis_rows;"
        "from agents_host.app import create_app; from config import DefaultConfig;"
        "create_app(DefaultConfig({'STORAGE': 'memory'}));"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('botbuilder', 'botframework', 'msrest')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    assert loaded.strip() == "[]"
