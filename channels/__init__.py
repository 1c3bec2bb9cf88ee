"""The conversation as an activity shows it: facts every layer reads the same way (its key, is it a
group, who spoke; SDK-free, for either host) and the streaming engine's port onto a botbuilder turn
(`TurnContextChannel`, loaded on first use so that the Agents SDK host imports this without botbuilder)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .conversations import GROUP_CONVERSATION_TYPES, conversation_key, is_group_conversation, speaker_name

if TYPE_CHECKING:
    from .turn_context_port import TurnContextChannel, conversation_facts

_ON_FIRST_USE = {"TurnContextChannel": ".turn_context_port", "conversation_facts": ".turn_context_port"}


def __getattr__(name: str) -> Any:
    """The botbuilder port, imported on first use."""
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_ON_FIRST_USE[name], __name__), name)


__all__ = [
    "GROUP_CONVERSATION_TYPES",
    "TurnContextChannel",
    "conversation_facts",
    "conversation_key",
    "is_group_conversation",
    "speaker_name",
]
