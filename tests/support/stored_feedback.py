"""The feedback a bot stored, read from its SQLite state file as an operator would query it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


def stored_feedback(
    path: Path, conversation_id: str, channel_id: str = "msteams"
) -> dict[str, dict[str, Any]]:
    """Every feedback item stored for a conversation, by key (empty before the bot's first write)."""
    prefix = f"{channel_id}/conversations/{conversation_id}/feedback/"
    if not path.exists():
        return {}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'bot_state'").fetchone():
            return {}
        rows = connection.execute("SELECT key, value FROM bot_state WHERE key LIKE ?", (f"{prefix}%",))
        return {key: json.loads(value) for key, value in rows}
