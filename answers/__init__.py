"""The chat answer, with no SDK: history and question to the model, the answer through the streaming
engine to whatever channel port the host gives, and the tools the model may call on the way (see
`tools.py`). Both hosts (botbuilder, the Agents SDK) use it."""

from .chat_answer import ChatAnswer, ChatSettings
from .history import HistoryEntry, build_prompt, exchange, trim_history

__all__ = ["ChatAnswer", "ChatSettings", "HistoryEntry", "build_prompt", "exchange", "trim_history"]
