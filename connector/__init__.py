"""The bot's side of the Bot Connector REST API: the SDK's client, with a fast path for replies."""

from .authentication import FastConnectorAuthentication
from .http import ConnectorHttp

__all__ = ["ConnectorHttp", "FastConnectorAuthentication"]
