"""Tools the model may call while it answers: the shared contract of issue 13 (AI-CONTRACTS.md §2).

Written here by the knowledge helper exactly as the contract gives it, so that the knowledge search and
the tool runner agree on these names; the "tools" helper owns this module and builds on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ToolResult:
    text: str  # what the model reads (bounded by the runner)
    citations: tuple[SourcePassage, ...] = ()  # sources it may cite


@dataclass(frozen=True)
class SourcePassage:
    name: str
    passage: str
    url: str | None = None


class Tool(Protocol):
    name: str
    description: str
    parameters: dict[str, object]  # JSON schema
    status: str  # the line the user sees while it runs: "Searching the knowledge base…"
    timeout: float

    async def run(self, arguments: dict[str, object]) -> ToolResult: ...
