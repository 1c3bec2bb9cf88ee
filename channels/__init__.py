"""The conversation as botbuilder shows it: facts every layer reads the same way (its key, is it a
group, who spoke) and the streaming engine's port onto a turn (`TurnContextChannel`)."""

from .conversations import GROUP_CONVERSATION_TYPES, conversation_key, is_group_conversation, speaker_name
from .turn_context_port import TurnContextChannel, conversation_facts

__all__ = [
    "GROUP_CONVERSATION_TYPES",
    "TurnContextChannel",
    "conversation_facts",
    "conversation_key",
    "is_group_conversation",
    "speaker_name",
]
