"""The conversation as an activity shows it: facts every layer reads the same way (its key, is it a
group, who spoke; SDK-free, for either host) and the streaming engine's port onto a botbuilder turn
(`TurnContextChannel`, loaded on first use so that the Agents SDK host imports this without botbuilder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from on_first_use import attributes_on_first_use

from .conversations import GROUP_CONVERSATION_TYPES, conversation_key, is_group_conversation, speaker_name

if TYPE_CHECKING:
    from .turn_context_port import TurnContextChannel, conversation_facts

_ON_FIRST_USE = {"TurnContextChannel": ".turn_context_port", "conversation_facts": ".turn_context_port"}


__getattr__ = attributes_on_first_use(__name__, _ON_FIRST_USE)


__all__ = [
    "GROUP_CONVERSATION_TYPES",
    "TurnContextChannel",
    "conversation_facts",
    "conversation_key",
    "is_group_conversation",
    "speaker_name",
]
