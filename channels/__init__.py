"""Facts about a conversation that every layer reads the same way: its key, is it a group, who spoke."""

from .conversations import GROUP_CONVERSATION_TYPES, conversation_key, is_group_conversation, speaker_name

__all__ = ["GROUP_CONVERSATION_TYPES", "conversation_key", "is_group_conversation", "speaker_name"]
