"""The bot's side of the Bot Connector REST API: the SDK's clients, reused, with replies sent over aiohttp."""

from .authentication import ReusingBotFrameworkAuthentication
from .http import ConnectorHttp

__all__ = ["ConnectorHttp", "ReusingBotFrameworkAuthentication"]
