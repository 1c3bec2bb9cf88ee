"""Model clients: one small streaming interface, an OpenAI/Azure OpenAI implementation, and an
honest offline stand-in for machines with no model configured."""

from .chat_model import ChatMessage, ChatModel, ModelError
from .factory import ModelProvider, ModelSettings, create_chat_model, openai_client

__all__ = [
    "ChatMessage",
    "ChatModel",
    "ModelError",
    "ModelProvider",
    "ModelSettings",
    "create_chat_model",
    "openai_client",
]
