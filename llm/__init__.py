"""Model clients: one small streaming interface, an OpenAI/Azure OpenAI implementation, and an
honest offline stand-in for machines with no model configured."""

from .chat_model import (
    AnswerCutOff,
    ChatMessage,
    ChatModel,
    ModelError,
    ModelSignal,
    PromptMessage,
    ToolCall,
    ToolCallMessage,
    ToolChoice,
    ToolResultMessage,
    ToolSpec,
)
from .factory import ModelProvider, ModelSettings, create_chat_model, openai_client

__all__ = [
    "AnswerCutOff",
    "ChatMessage",
    "ChatModel",
    "ModelError",
    "ModelProvider",
    "ModelSettings",
    "ModelSignal",
    "PromptMessage",
    "ToolCall",
    "ToolCallMessage",
    "ToolChoice",
    "ToolResultMessage",
    "ToolSpec",
    "create_chat_model",
    "openai_client",
]
