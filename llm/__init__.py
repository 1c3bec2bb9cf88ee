"""Model clients: one small streaming interface, an OpenAI/Azure OpenAI implementation, and an
honest offline stand-in for machines with no model configured."""

from .chat_model import ChatMessage, ChatModel, ModelError
from .factory import create_chat_model

__all__ = ["ChatMessage", "ChatModel", "ModelError", "create_chat_model"]
