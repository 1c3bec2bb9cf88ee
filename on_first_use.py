"""Package attributes imported on first use.

Several packages hold both SDK-free modules and botbuilder ones; the botbuilder ones load only when
someone asks for them, so that the Agents SDK host imports these packages without botbuilder (and
heavy client libraries load only when a setting picks them).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def attributes_on_first_use(package: str, sources: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: each name is imported from its module in `sources` on use."""

    def load(name: str) -> Any:
        if name not in sources:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(sources[name], package), name)

    return load
