"""Writes the ARM templates and parameter files in this folder: `python deploymentTemplates/generate.py`.

Both templates deploy the same resources; the one for a new resource group wraps them in a
subscription-level deployment that creates the group first. Generating them from one description keeps
the two from drifting apart; tests/deployment/test_templates.py checks the files match this script.
Edit here, run it, and commit the JSON files it writes. infra/azure.bicep describes the same resources
for the Microsoft 365 Agents Toolkit: change it too (tests/deployment/test_bicep.py compares the two).
Expressions are written as `bicep build` writes them (format() for interpolated strings), so that the
two read alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PYTHON_VERSION = "3.11"
"""The Python the tests run on and the Dockerfile uses."""
STARTUP_COMMAND = "sh startup.sh"
"""gunicorn with aiohttp's worker: the same command as the container's (see startup.sh)."""
API = {
    "web": "2022-09-01",
    "bot": "2022-09-15",
    "storage": "2023-01-01",
    "resources": "2022-09-01",
}


def _param(
    kind: str, description: str, default: Any = None, allowed: list[str] | None = None
) -> dict[str, Any]:
    parameter: dict[str, Any] = {"type": kind, "metadata": {"description": description}}
    if default is not None:
        parameter["defaultValue"] = default
    if allowed:
        parameter["allowedValues"] = allowed
    return parameter


PARAMETERS: dict[str, dict[str, Any]] = {
    "location": _param(
        "string", "Region of the App Service plan, web app and storage account.", "[resourceGroup().location]"
    ),
    "appServicePlanName": _param("string", "Name of the App Service plan (Linux) to create."),
    "appServicePlanSku": _param(
        "string", "Pricing tier of the plan. B1 or higher: Always On keeps the bot warm.", "B1"
    ),
    "webAppName": _param(
        "string", "Name of the web app; the bot's endpoint is https://<name>.azurewebsites.net/api/messages."
    ),
    "botId": _param("string", "Name (handle) of the Azure Bot resource; globally unique."),
    "botSku": _param("string", "Azure Bot pricing tier.", "F0", ["F0", "S1"]),
    "appType": _param(
        "string",
        "How the bot proves its identity: SingleTenant (an app registration with a secret, in this tenant), "
        "UserAssignedMSI (a user-assigned managed identity), or MultiTenant (existing registrations only).",
        "SingleTenant",
        ["SingleTenant", "UserAssignedMSI", "MultiTenant"],
    ),
    "appId": _param("string", "The app registration's (or managed identity's) client id: MicrosoftAppId."),
    "appSecret": _param(
        "securestring",
        "The app registration's client secret: MicrosoftAppPassword. Empty for UserAssignedMSI.",
        "",
    ),
    "tenantId": _param(
        "string",
        "The tenant of a SingleTenant or UserAssignedMSI bot: MicrosoftAppTenantId.",
        "[subscription().tenantId]",
    ),
    "userAssignedIdentityResourceId": _param(
        "string", "For UserAssignedMSI: the resource id of the managed identity, attached to the web app.", ""
    ),
    "modelProvider": _param(
        "string",
        "MODEL_PROVIDER: azure, openai, or offline (a stand-in that says no model is configured).",
        "azure",
        ["azure", "openai", "offline"],
    ),
    "azureOpenAIEndpoint": _param(
        "string", "AZURE_OPENAI_ENDPOINT, e.g. https://<resource>.openai.azure.com.", ""
    ),
    "azureOpenAIApiKey": _param("securestring", "AZURE_OPENAI_API_KEY.", ""),
    "azureOpenAIDeployment": _param("string", "AZURE_OPENAI_DEPLOYMENT: the model deployment's name.", ""),
    "openAIApiVersion": _param("string", "OPENAI_API_VERSION for Azure OpenAI.", "2024-10-21"),
    "openAIApiKey": _param("securestring", "OPENAI_API_KEY, for OpenAI or an OpenAI-compatible server.", ""),
    "openAIBaseUrl": _param(
        "string", "OPENAI_BASE_URL of an OpenAI-compatible server; empty for OpenAI.", ""
    ),
    "openAIModel": _param("string", "OPENAI_MODEL.", "gpt-4o-mini"),
    "systemPrompt": _param("string", "SYSTEM_PROMPT; empty for the bot's default.", ""),
    "blockedTerms": _param(
        "string", "BLOCKED_TERMS: comma-separated terms refused and withheld; empty for none.", ""
    ),
    "moderation": _param(
        "string",
        "MODERATION: openai also asks the provider's moderation endpoint (OpenAI only).",
        "off",
        ["off", "openai"],
    ),
    "feedback": _param(
        "string",
        "FEEDBACK: thumbs up/down on every model answer in Teams, with Teams' own form (default), the bot's "
        "form (custom), or none (off).",
        "default",
        ["default", "custom", "off"],
    ),
    "sensitivityLabelName": _param(
        "string", "SENSITIVITY_LABEL_NAME: a label Teams shows on every model answer; empty for none.", ""
    ),
    "sensitivityLabelDescription": _param(
        "string", "SENSITIVITY_LABEL_DESCRIPTION: what the label means, shown when hovering over it.", ""
    ),
    "knowledgeBaseUrl": _param(
        "string",
        "KNOWLEDGE_BASE_URL: where the knowledge documents can be read, e.g. https://github.com/<owner>/"
        "<repo>/blob/main/docs/knowledge, so that citations link there; empty: no links.",
        "",
    ),
    "mcpServers": _param(
        "securestring",
        'MCP_SERVERS: the MCP servers whose tools the model may call, as JSON, e.g. {"tickets": {"url": '
        '"https://<host>/mcp", "headers": {"Authorization": "Bearer <token>"}}} (see the README); '
        "secure, as headers carry tokens. Empty: none.",
        "",
    ),
    "storage": _param(
        "string",
        "STORAGE for conversation state: redis (give redisUrl; several instances answer as one bot), "
        "blob (a storage account this template creates; no state is lost with several instances, but "
        "each orders only its own answers), or sqlite (a file under /home, one instance only).",
        "blob",
        ["blob", "redis", "sqlite"],
    ),
    "storageAccountName": _param(
        "string",
        "For storage=blob: the storage account to create (3-24 lowercase letters and digits).",
        "[format('st{0}', uniqueString(resourceGroup().id))]",
    ),
    "redisUrl": _param(
        "securestring",
        "For storage=redis: REDIS_URL, e.g. rediss://:<key>@<name>.redis.cache.windows.net:6380/0.",
        "",
    ),
    "instanceCount": _param(
        "int",
        "How many instances of the web app run (state is shared through the storage; with storage=redis "
        "they also share who answers each conversation).",
        1,
    ),
    "appInsightsConnectionString": _param(
        "securestring",
        "APPLICATIONINSIGHTS_CONNECTION_STRING of an Application Insights resource, to export the bot's "
        "traces and metrics there; empty exports nothing.",
        "",
    ),
}

_BLOB_CONNECTION_STRING = (
    "[if(variables('createStorageAccount'), format('DefaultEndpointsProtocol=https;AccountName={0};"
    "AccountKey={1};EndpointSuffix={2}', parameters('storageAccountName'), "
    "listKeys(resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName')), "
    f"'{API['storage']}').keys[0].value, environment().suffixes.storage), '')]"
)

APP_SETTINGS: list[tuple[str, str]] = [
    # Oryx builds the app on zip deploy: a virtual environment with requirements.txt.
    ("SCM_DO_BUILD_DURING_DEPLOYMENT", "true"),
    # The port App Service forwards to; startup.sh binds 0.0.0.0:$PORT.
    ("PORT", "8000"),
    ("MicrosoftAppId", "[parameters('appId')]"),
    ("MicrosoftAppPassword", "[parameters('appSecret')]"),
    ("MicrosoftAppType", "[parameters('appType')]"),
    ("MicrosoftAppTenantId", "[variables('botTenantId')]"),
    ("MODEL_PROVIDER", "[parameters('modelProvider')]"),
    ("AZURE_OPENAI_ENDPOINT", "[parameters('azureOpenAIEndpoint')]"),
    ("AZURE_OPENAI_API_KEY", "[parameters('azureOpenAIApiKey')]"),
    ("AZURE_OPENAI_DEPLOYMENT", "[parameters('azureOpenAIDeployment')]"),
    ("OPENAI_API_VERSION", "[parameters('openAIApiVersion')]"),
    ("OPENAI_API_KEY", "[parameters('openAIApiKey')]"),
    ("OPENAI_BASE_URL", "[parameters('openAIBaseUrl')]"),
    ("OPENAI_MODEL", "[parameters('openAIModel')]"),
    ("SYSTEM_PROMPT", "[parameters('systemPrompt')]"),
    ("BLOCKED_TERMS", "[parameters('blockedTerms')]"),
    ("MODERATION", "[parameters('moderation')]"),
    ("FEEDBACK", "[parameters('feedback')]"),
    ("SENSITIVITY_LABEL_NAME", "[parameters('sensitivityLabelName')]"),
    ("SENSITIVITY_LABEL_DESCRIPTION", "[parameters('sensitivityLabelDescription')]"),
    ("KNOWLEDGE_BASE_URL", "[parameters('knowledgeBaseUrl')]"),
    ("MCP_SERVERS", "[parameters('mcpServers')]"),
    ("STORAGE", "[parameters('storage')]"),
    ("BLOB_CONNECTION_STRING", _BLOB_CONNECTION_STRING),
    ("BLOB_CONTAINER", "bot-state"),
    ("REDIS_URL", "[parameters('redisUrl')]"),
    ("REDIS_KEY_PREFIX", "bot-state:"),
    # With storage=redis, how the instances agree on who answers each conversation.
    ("CONVERSATION_LEASE_SECONDS", "10"),
    ("LEASE_HEARTBEAT_SECONDS", "3"),
    # /home is the app's persistent disk on App Service.
    ("SQLITE_PATH", "/home/data/bot-state.sqlite3"),
    # Tuning, at the bot's defaults (the tests check they are): change them in the portal if needed.
    ("MODEL_TEMPERATURE", "0.7"),
    ("MODEL_TIMEOUT_SECONDS", "60"),
    ("MODEL_MAX_RETRIES", "2"),
    ("MODEL_IDLE_TIMEOUT_SECONDS", "45"),
    ("MODEL_BREAKER_FAILURES", "5"),
    ("MODEL_BREAKER_COOLDOWN_SECONDS", "30"),
    ("HISTORY_CHAR_BUDGET", "12000"),
    # The knowledge search's folder, relative to the app's folder: the project's own documentation.
    ("KNOWLEDGE_DIR", "docs/knowledge"),
    ("TOOL_MAX_ROUNDS", "3"),
    ("TOOL_RESULT_MAX_CHARS", "6000"),
    ("TEAMS_STREAM_INTERVAL", "1.0"),
    ("WEBCHAT_STREAM_INTERVAL", "0.5"),
    ("TYPING_INTERVAL", "3.0"),
    ("STREAM_KEEPALIVE_SECONDS", "2.0"),
    ("STREAM_MAX_SECONDS", "100"),
    ("MESSAGE_MAX_UTF16", "12000"),
    ("DELIVERY_DEADLINE_SECONDS", "15"),
    ("SHUTDOWN_GRACE_SECONDS", "10"),
    ("MAX_REQUEST_BYTES", "262144"),
    ("READY_TIMEOUT_SECONDS", "3"),
    ("MAX_MESSAGE_CHARS", "4000"),
    ("USER_MESSAGES_PER_MINUTE", "30"),
    ("USER_MESSAGE_BURST", "10"),
    ("MAX_ANSWERS_PER_USER", "2"),
    ("LOG_FORMAT", "text"),
    ("LOG_LEVEL", "info"),
    # Telemetry export: Application Insights when the connection string is given; the web app's name
    # is the service (Application Insights' cloud role).
    ("APPLICATIONINSIGHTS_CONNECTION_STRING", "[parameters('appInsightsConnectionString')]"),
    ("OTEL_SERVICE_NAME", "[parameters('webAppName')]"),
]

VARIABLES = {
    "createStorageAccount": "[equals(parameters('storage'), 'blob')]",
    "endpoint": "[format('https://{0}.azurewebsites.net/api/messages', parameters('webAppName'))]",
    "isMsi": "[equals(parameters('appType'), 'UserAssignedMSI')]",
    # A multi-tenant bot has no tenant of its own.
    "botTenantId": "[if(equals(parameters('appType'), 'MultiTenant'), '', parameters('tenantId'))]",
}


def resources() -> list[dict[str, Any]]:
    plan_id = "[resourceId('Microsoft.Web/serverfarms', parameters('appServicePlanName'))]"
    site_id = "[resourceId('Microsoft.Web/sites', parameters('webAppName'))]"
    storage_id = "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]"
    bot_id = "[resourceId('Microsoft.BotService/botServices', parameters('botId'))]"
    return [
        {
            "condition": "[variables('createStorageAccount')]",
            "type": "Microsoft.Storage/storageAccounts",
            "apiVersion": API["storage"],
            "name": "[parameters('storageAccountName')]",
            "location": "[parameters('location')]",
            "sku": {"name": "Standard_LRS"},
            "kind": "StorageV2",
            "properties": {
                "minimumTlsVersion": "TLS1_2",
                "allowBlobPublicAccess": False,
                "supportsHttpsTrafficOnly": True,
            },
        },
        {
            "type": "Microsoft.Web/serverfarms",
            "apiVersion": API["web"],
            "name": "[parameters('appServicePlanName')]",
            "location": "[parameters('location')]",
            "kind": "linux",
            "sku": {"name": "[parameters('appServicePlanSku')]", "capacity": "[parameters('instanceCount')]"},
            "properties": {"reserved": True},
        },
        {
            "type": "Microsoft.Web/sites",
            "apiVersion": API["web"],
            "name": "[parameters('webAppName')]",
            "location": "[parameters('location')]",
            "kind": "app,linux",
            "dependsOn": [plan_id, storage_id],
            "identity": (
                "[if(variables('isMsi'), createObject('type', 'UserAssigned', 'userAssignedIdentities', "
                "createObject(parameters('userAssignedIdentityResourceId'), createObject())), "
                "createObject('type', 'None'))]"
            ),
            "properties": {
                "serverFarmId": plan_id,
                "httpsOnly": True,
                "siteConfig": {
                    "linuxFxVersion": f"PYTHON|{PYTHON_VERSION}",
                    "appCommandLine": STARTUP_COMMAND,
                    "alwaysOn": True,
                    "healthCheckPath": "/healthz",
                    "http20Enabled": True,
                    "minTlsVersion": "1.2",
                    "ftpsState": "Disabled",
                    "appSettings": [{"name": name, "value": value} for name, value in APP_SETTINGS],
                },
            },
        },
        {
            "type": "Microsoft.BotService/botServices",
            "apiVersion": API["bot"],
            "name": "[parameters('botId')]",
            "location": "global",
            "kind": "azurebot",
            "sku": {"name": "[parameters('botSku')]"},
            "dependsOn": [site_id],
            "properties": {
                "displayName": "[parameters('botId')]",
                "endpoint": "[variables('endpoint')]",
                "msaAppId": "[parameters('appId')]",
                "msaAppType": "[parameters('appType')]",
                "msaAppTenantId": "[variables('botTenantId')]",
                "msaAppMSIResourceId": (
                    "[if(variables('isMsi'), parameters('userAssignedIdentityResourceId'), '')]"
                ),
            },
        },
        {
            "type": "Microsoft.BotService/botServices/channels",
            "apiVersion": API["bot"],
            "name": "[format('{0}/{1}', parameters('botId'), 'MsTeamsChannel')]",
            "location": "global",
            "dependsOn": [bot_id],
            "properties": {"channelName": "MsTeamsChannel", "properties": {"isEnabled": True}},
        },
        {
            "type": "Microsoft.BotService/botServices/channels",
            "apiVersion": API["bot"],
            "name": "[format('{0}/{1}', parameters('botId'), 'WebChatChannel')]",
            "location": "global",
            "dependsOn": [bot_id],
            "properties": {
                "channelName": "WebChatChannel",
                "properties": {
                    "sites": [
                        {"siteName": "Default Site", "isEnabled": True, "isWebchatPreviewEnabled": True}
                    ]
                },
            },
        },
    ]


OUTPUTS = {
    "messagingEndpoint": {"type": "string", "value": "[variables('endpoint')]"},
    "webAppHostName": {
        "type": "string",
        "value": (
            "[reference(resourceId('Microsoft.Web/sites', parameters('webAppName')), "
            f"'{API['web']}').defaultHostName]"
        ),
    },
}


def template_with_preexisting_rg() -> dict[str, Any]:
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": PARAMETERS,
        "variables": VARIABLES,
        "resources": resources(),
        "outputs": OUTPUTS,
    }


def template_with_new_rg() -> dict[str, Any]:
    inner = template_with_preexisting_rg()
    outer_parameters = {
        "groupName": _param("string", "Name of the resource group to create."),
        "groupLocation": _param("string", "Region of the resource group and its resources."),
        **{name: spec for name, spec in PARAMETERS.items() if name != "location"},
    }
    passed = {name: {"value": f"[parameters('{name}')]"} for name in PARAMETERS if name != "location"}
    passed["location"] = {"value": "[parameters('groupLocation')]"}
    return {
        "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": outer_parameters,
        "resources": [
            {
                "type": "Microsoft.Resources/resourceGroups",
                "apiVersion": API["resources"],
                "name": "[parameters('groupName')]",
                "location": "[parameters('groupLocation')]",
                "properties": {},
            },
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": API["resources"],
                "name": "streaming-llm-bot",
                "resourceGroup": "[parameters('groupName')]",
                "dependsOn": ["[resourceId('Microsoft.Resources/resourceGroups', parameters('groupName'))]"],
                "properties": {
                    "mode": "Incremental",
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "parameters": passed,
                    "template": inner,
                },
            },
        ],
        "outputs": {
            "messagingEndpoint": {
                "type": "string",
                "value": "[reference('streaming-llm-bot').outputs.messagingEndpoint.value]",
            }
        },
    }


def parameter_file(template: dict[str, Any]) -> dict[str, Any]:
    """Every parameter without a default, with a placeholder value to replace; the rest are optional."""
    examples = {
        "groupName": "rg-streaming-llm-bot",
        "groupLocation": "westeurope",
        "appServicePlanName": "plan-streaming-llm-bot",
        "webAppName": "<unique web app name>",
        "botId": "<unique bot handle>",
        "appId": "<app registration client id>",
        "appSecret": "<client secret: better from a Key Vault reference>",
        "azureOpenAIEndpoint": "https://<resource>.openai.azure.com",
        "azureOpenAIApiKey": "<Azure OpenAI key>",
        "azureOpenAIDeployment": "<deployment name>",
    }
    values = {
        name: {"value": examples[name]}
        for name, spec in template["parameters"].items()
        if "defaultValue" not in spec or name in examples
    }
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": values,
    }


def files() -> dict[str, dict[str, Any]]:
    new_rg, preexisting_rg = template_with_new_rg(), template_with_preexisting_rg()
    return {
        "template-with-new-rg.json": new_rg,
        "template-with-preexisting-rg.json": preexisting_rg,
        "parameters-for-template-with-new-rg.json": parameter_file(new_rg),
        "parameters-for-template-with-preexisting-rg.json": parameter_file(preexisting_rg),
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    for name, document in files().items():
        (HERE / name).write_text(render(document))
        print(f"wrote deploymentTemplates/{name}")
