"""Model clients: one small streaming interface, an OpenAI/Azure OpenAI implementation, and an
honest offline stand-in for machines with no model configured."""

from .chat_model import AnswerCutOff, ChatMessage, ChatModel, ModelError, ModelSignal
from .factory import create_chat_model

__all__ = ["AnswerCutOff", "ChatMessage", "ChatModel", "ModelError", "ModelSignal", "create_chat_model"]
