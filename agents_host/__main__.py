"""`python -m agents_host`: the Agents SDK host on HOST:PORT, configured like the botbuilder host."""

from __future__ import annotations

import logging

from aiohttp import web

from config import DefaultConfig
from llm import create_chat_model
from storage import create_row_store

from .app import create_app, storage_settings


def main() -> None:
    """Read the settings, build the host, and serve until stopped."""
    config = DefaultConfig()
    logging.basicConfig(level=config.LOG_LEVEL, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(config, create_chat_model(config), create_row_store(storage_settings(config)))
    web.run_app(app, host=config.HOST, port=config.PORT, access_log=None, print=None)


if __name__ == "__main__":
    main()
