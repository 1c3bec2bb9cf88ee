"""How our identity settings (config.py's MicrosoftApp* variables) become the Agents SDK's connections.

The Agents SDK reads its own variable names (CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID, …,
through `load_configuration_from_env`); this host maps ours instead, so both hosts share one set:
MicrosoftAppId → CLIENTID, MicrosoftAppPassword → CLIENTSECRET, MicrosoftAppTenantId → TENANTID
("botframework.com" for MultiTenant, as botbuilder uses), MicrosoftAppType → AUTHTYPE (ClientSecret,
or UserManagedIdentity for UserAssignedMSI). An empty MicrosoftAppId is anonymous local
development: requests without a token are admitted and outbound calls carry none.
"""

from __future__ import annotations

from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.core import AgentAuthConfiguration, AnonymousTokenProvider
from microsoft_agents.hosting.core.authorization import AuthTypes, ConnectionManager, Connections

from config import AUTH_ENDPOINT_DEFAULTS, DefaultConfig

SERVICE_CONNECTION = "SERVICE_CONNECTION"
MULTI_TENANT = "botframework.com"
_AUTH_TYPES = {
    "multitenant": AuthTypes.client_secret,
    "singletenant": AuthTypes.client_secret,
    "userassignedmsi": AuthTypes.user_managed_identity,
}


def connections(config: DefaultConfig) -> tuple[AgentAuthConfiguration, Connections]:
    """The inbound token check's configuration and the outbound token providers, from `config`.

    Raises `ValueError` for the botbuilder-only endpoint overrides, which this host cannot honour.
    """
    overridden = [name for name in AUTH_ENDPOINT_DEFAULTS if getattr(config, name)]
    if overridden:
        raise ValueError(f"{', '.join(overridden)}: not supported on the Agents SDK host; unset them")
    if not config.APP_ID:
        anonymous = AgentAuthConfiguration(anonymous_allowed=True)
        return anonymous, ConnectionManager(
            provider_factory=lambda _settings: AnonymousTokenProvider(),
            connections_configurations={SERVICE_CONNECTION: anonymous},
        )
    auth = AgentAuthConfiguration(
        _AUTH_TYPES[config.APP_TYPE],
        client_id=config.APP_ID,
        tenant_id=config.APP_TENANTID if config.APP_TYPE != "multitenant" else MULTI_TENANT,
        client_secret=config.APP_PASSWORD or None,
    )
    return auth, MsalConnectionManager(connections_configurations={SERVICE_CONNECTION: auth})
