"""`python -m agents_host`: the Agents SDK host on HOST:PORT, configured like the botbuilder host."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from config import ConfigError, DefaultConfig
from observability import configure_logging

from .app import create_app

logger = logging.getLogger("agents_host")


def main() -> None:
    """Read the settings, build the host, and serve until stopped."""
    try:
        config = DefaultConfig()
    except ConfigError as error:
        sys.exit(f"Configuration error: {error}")
    configure_logging(config.logging)
    if not config.APP_ID:
        logger.info("MicrosoftAppId is not set: requests are not authenticated (local development only)")
    app = create_app(config)
    web.run_app(app, host=config.host.host, port=config.host.port, access_log=None, print=None)
    logger.info("stopped")


if __name__ == "__main__":
    main()
