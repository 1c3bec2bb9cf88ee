"""Logs with the turn's conversation and activity ids (and trace ids when traces are exported), as
text or one JSON object a line, with secrets scrubbed. User text is never logged at INFO by the bot's
own code."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

_turn_fields: ContextVar[dict[str, str]] = ContextVar("turn_fields", default={})  # noqa: B039 - never mutated
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
_KEY_PARAMETER = re.compile(
    r"((?:api[-_]?key|password|secret|AccountKey|sig)[\"']?\s*[:=]\s*[\"']?)[^\s\"';&,]+", re.IGNORECASE
)
_TURN_KEYS = ("conversation_id", "activity_id", "channel_id", "trace_id", "span_id")


@contextmanager
def log_fields(**fields: str) -> Iterator[None]:
    """Adds `fields` (of `_TURN_KEYS`) to every log record written in the block and in tasks it starts."""
    token = _turn_fields.set({**_turn_fields.get(), **fields})
    try:
        yield
    finally:
        _turn_fields.reset(token)


class _TurnFieldsAndRedaction(logging.Filter):
    """Adds the turn's ids to each record and scrubs secrets from its message."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({secret for secret in secrets if len(secret) >= 6}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _turn_fields.get()
        for key in _TURN_KEYS:
            setattr(record, key, fields.get(key, ""))
        message = record.getMessage()
        scrubbed = self.scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        text = _BEARER.sub(r"\1***", text)
        return _KEY_PARAMETER.sub(r"\1***", text)


class _JsonFormatter(logging.Formatter):
    def __init__(self, redact: _TurnFieldsAndRedaction) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: getattr(record, key, "") for key in _TURN_KEYS if getattr(record, key, "")})
        if record.exc_info:
            entry["error"] = self._redact.scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class _TextFormatter(logging.Formatter):
    def __init__(self, redact: _TurnFieldsAndRedaction) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        conversation = getattr(record, "conversation_id", "")
        if conversation:
            text += f" [conversation={conversation} activity={getattr(record, 'activity_id', '')}"
            trace = getattr(record, "trace_id", "")
            text += f" trace={trace}]" if trace else "]"
        return self._redact.scrub(text)


LogFormat = Literal["text", "json"]
LogLevel = Literal["debug", "info", "warning", "error"]


@dataclass(frozen=True)
class LogSettings:
    """How the bot logs: the line format, the lowest level written, and the values no line may show."""

    format: LogFormat = "text"
    level: LogLevel = "info"
    secrets: tuple[str, ...] = ()  # keys, passwords, connection strings


def configure_logging(settings: LogSettings) -> None:
    """Log to stderr as text or JSON lines; the settings' secrets never appear in a line."""
    redact = _TurnFieldsAndRedaction(settings.secrets)
    handler = logging.StreamHandler()
    handler.addFilter(redact)
    handler.setFormatter(_JsonFormatter(redact) if settings.format == "json" else _TextFormatter(redact))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level.upper())
    # These log request headers (bearer tokens) at DEBUG; keep them quiet whatever the level.
    for noisy in ("msrest", "urllib3", "msal", "azure"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # The `openai` client's HTTP library logs every model request at INFO: a line per answer that
    # the answer's own log line already covers, formatted on the way to the answer's first token.
    for chatty in ("httpx", "httpx2"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
