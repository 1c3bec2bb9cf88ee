// The bot's Azure resources, for the Microsoft 365 Agents Toolkit's "Provision" (m365agents.yml, with
// azure.parameters.json): an App Service plan (Linux) and web app running `sh startup.sh` on Python
// 3.11, a storage account for the conversation state (storage=blob), and the Azure Bot with the Teams
// and Web Chat channels. The same resources and settings as deploymentTemplates/ (ARM JSON for `az`);
// tests/deployment/test_bicep.py fails when the two differ, so change both together.
// Written for old Bicep CLIs too (m365agents.yml's bicepCliVersion): arrays and objects one item a line.

@description('Region of the App Service plan, web app and storage account.')
param location string = resourceGroup().location

@description('Name of the App Service plan (Linux) to create.')
param appServicePlanName string

@description('Pricing tier of the plan. B1 or higher: Always On keeps the bot warm.')
param appServicePlanSku string = 'B1'

@description('Name of the web app; the bot\'s endpoint is https://<name>.azurewebsites.net/api/messages.')
param webAppName string

@description('Name (handle) of the Azure Bot resource; globally unique.')
param botId string

@description('Azure Bot pricing tier.')
@allowed([
  'F0'
  'S1'
])
param botSku string = 'F0'

@description('How the bot proves its identity: SingleTenant (an app registration with a secret, in this tenant), UserAssignedMSI (a user-assigned managed identity), or MultiTenant (existing registrations only).')
@allowed([
  'SingleTenant'
  'UserAssignedMSI'
  'MultiTenant'
])
param appType string = 'SingleTenant'

@description('The app registration\'s (or managed identity\'s) client id: MicrosoftAppId.')
param appId string

@description('The app registration\'s client secret: MicrosoftAppPassword. Empty for UserAssignedMSI.')
@secure()
param appSecret string = ''

@description('The tenant of a SingleTenant or UserAssignedMSI bot: MicrosoftAppTenantId.')
param tenantId string = subscription().tenantId

@description('For UserAssignedMSI: the resource id of the managed identity, attached to the web app.')
param userAssignedIdentityResourceId string = ''

@description('MODEL_PROVIDER: azure, openai, or offline (a stand-in that says no model is configured).')
@allowed([
  'azure'
  'openai'
  'offline'
])
param modelProvider string = 'azure'

@description('AZURE_OPENAI_ENDPOINT, e.g. https://<resource>.openai.azure.com.')
param azureOpenAIEndpoint string = ''

@description('AZURE_OPENAI_API_KEY.')
@secure()
param azureOpenAIApiKey string = ''

@description('AZURE_OPENAI_DEPLOYMENT: the model deployment\'s name.')
param azureOpenAIDeployment string = ''

@description('OPENAI_API_VERSION for Azure OpenAI.')
param openAIApiVersion string = '2024-10-21'

@description('OPENAI_API_KEY, for OpenAI or an OpenAI-compatible server.')
@secure()
param openAIApiKey string = ''

@description('OPENAI_BASE_URL of an OpenAI-compatible server; empty for OpenAI.')
param openAIBaseUrl string = ''

@description('OPENAI_MODEL.')
param openAIModel string = 'gpt-4o-mini'

@description('SYSTEM_PROMPT; empty for the bot\'s default.')
param systemPrompt string = ''

@description('BLOCKED_TERMS: comma-separated terms refused and withheld; empty for none.')
param blockedTerms string = ''

@description('MODERATION: openai also asks the provider\'s moderation endpoint (OpenAI only).')
@allowed([
  'off'
  'openai'
])
param moderation string = 'off'

@description('FEEDBACK: thumbs up/down on every model answer in Teams, with Teams\' own form (default), the bot\'s form (custom), or none (off).')
@allowed([
  'default'
  'custom'
  'off'
])
param feedback string = 'default'

@description('SENSITIVITY_LABEL_NAME: a label Teams shows on every model answer; empty for none.')
param sensitivityLabelName string = ''

@description('SENSITIVITY_LABEL_DESCRIPTION: what the label means, shown when hovering over it.')
param sensitivityLabelDescription string = ''

@description('KNOWLEDGE_BASE_URL: where the knowledge documents can be read, e.g. https://github.com/<owner>/<repo>/blob/main/docs/knowledge, so that citations link there; empty: no links.')
param knowledgeBaseUrl string = ''

@description('MCP_SERVERS: the MCP servers whose tools the model may call, as JSON, e.g. {"tickets": {"url": "https://<host>/mcp", "headers": {"Authorization": "Bearer <token>"}}} (see the README); secure, as headers carry tokens. Empty: none.')
@secure()
param mcpServers string = ''

@description('STORAGE for conversation state: redis (give redisUrl; several instances answer as one bot), blob (a storage account this template creates; no state is lost with several instances, but each orders only its own answers), or sqlite (a file under /home, one instance only).')
@allowed([
  'blob'
  'redis'
  'sqlite'
])
param storage string = 'blob'

@description('For storage=blob: the storage account to create (3-24 lowercase letters and digits).')
param storageAccountName string = 'st${uniqueString(resourceGroup().id)}'

@description('For storage=redis: REDIS_URL, e.g. rediss://:<key>@<name>.redis.cache.windows.net:6380/0.')
@secure()
param redisUrl string = ''

@description('How many instances of the web app run (state is shared through the storage; with storage=redis they also share who answers each conversation).')
param instanceCount int = 1

@description('APPLICATIONINSIGHTS_CONNECTION_STRING of an Application Insights resource, to export the bot\'s traces and metrics there; empty exports nothing.')
@secure()
param appInsightsConnectionString string = ''

var createStorageAccount = storage == 'blob'
var endpoint = 'https://${webAppName}.azurewebsites.net/api/messages'
var isMsi = appType == 'UserAssignedMSI'
// A multi-tenant bot has no tenant of its own.
var botTenantId = appType == 'MultiTenant' ? '' : tenantId

resource stateStorage 'Microsoft.Storage/storageAccounts@2023-01-01' = if (createStorageAccount) {
  name: storageAccountName
  location: location
  sku: {
    name: 'Standard_LRS'
  }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
  }
}

resource plan 'Microsoft.Web/serverfarms@2022-09-01' = {
  name: appServicePlanName
  location: location
  kind: 'linux'
  sku: {
    name: appServicePlanSku
    capacity: instanceCount
  }
  properties: {
    reserved: true
  }
}

resource webApp 'Microsoft.Web/sites@2022-09-01' = {
  name: webAppName
  location: location
  kind: 'app,linux'
  identity: isMsi ? {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${userAssignedIdentityResourceId}': {}
    }
  } : {
    type: 'None'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      // The Python the tests run on and the Dockerfile uses; gunicorn with aiohttp's worker, as in the container.
      linuxFxVersion: 'PYTHON|3.11'
      appCommandLine: 'sh startup.sh'
      alwaysOn: true
      healthCheckPath: '/healthz'
      http20Enabled: true
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        // Oryx builds the app on zip deploy: a virtual environment with requirements.txt.
        {
          name: 'SCM_DO_BUILD_DURING_DEPLOYMENT'
          value: 'true'
        }
        // The port App Service forwards to; startup.sh binds 0.0.0.0:$PORT.
        {
          name: 'PORT'
          value: '8000'
        }
        {
          name: 'MicrosoftAppId'
          value: appId
        }
        {
          name: 'MicrosoftAppPassword'
          value: appSecret
        }
        {
          name: 'MicrosoftAppType'
          value: appType
        }
        {
          name: 'MicrosoftAppTenantId'
          value: botTenantId
        }
        {
          name: 'MODEL_PROVIDER'
          value: modelProvider
        }
        {
          name: 'AZURE_OPENAI_ENDPOINT'
          value: azureOpenAIEndpoint
        }
        {
          name: 'AZURE_OPENAI_API_KEY'
          value: azureOpenAIApiKey
        }
        {
          name: 'AZURE_OPENAI_DEPLOYMENT'
          value: azureOpenAIDeployment
        }
        {
          name: 'OPENAI_API_VERSION'
          value: openAIApiVersion
        }
        {
          name: 'OPENAI_API_KEY'
          value: openAIApiKey
        }
        {
          name: 'OPENAI_BASE_URL'
          value: openAIBaseUrl
        }
        {
          name: 'OPENAI_MODEL'
          value: openAIModel
        }
        {
          name: 'SYSTEM_PROMPT'
          value: systemPrompt
        }
        {
          name: 'BLOCKED_TERMS'
          value: blockedTerms
        }
        {
          name: 'MODERATION'
          value: moderation
        }
        {
          name: 'FEEDBACK'
          value: feedback
        }
        {
          name: 'SENSITIVITY_LABEL_NAME'
          value: sensitivityLabelName
        }
        {
          name: 'SENSITIVITY_LABEL_DESCRIPTION'
          value: sensitivityLabelDescription
        }
        {
          name: 'KNOWLEDGE_BASE_URL'
          value: knowledgeBaseUrl
        }
        {
          name: 'MCP_SERVERS'
          value: mcpServers
        }
        {
          name: 'STORAGE'
          value: storage
        }
        // Built from the new account's key at deployment: never in a file.
        {
          name: 'BLOB_CONNECTION_STRING'
          value: createStorageAccount ? 'DefaultEndpointsProtocol=https;AccountName=${storageAccountName};AccountKey=${stateStorage.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}' : ''
        }
        {
          name: 'BLOB_CONTAINER'
          value: 'bot-state'
        }
        {
          name: 'REDIS_URL'
          value: redisUrl
        }
        {
          name: 'REDIS_KEY_PREFIX'
          value: 'bot-state:'
        }
        // With storage=redis, how the instances agree on who answers each conversation.
        {
          name: 'CONVERSATION_LEASE_SECONDS'
          value: '10'
        }
        {
          name: 'LEASE_HEARTBEAT_SECONDS'
          value: '3'
        }
        // /home is the app's persistent disk on App Service.
        {
          name: 'SQLITE_PATH'
          value: '/home/data/bot-state.sqlite3'
        }
        // Tuning, at the bot's defaults: change them in the portal if needed.
        {
          name: 'MODEL_TEMPERATURE'
          value: '0.7'
        }
        {
          name: 'MODEL_TIMEOUT_SECONDS'
          value: '60'
        }
        {
          name: 'MODEL_MAX_RETRIES'
          value: '2'
        }
        {
          name: 'MODEL_IDLE_TIMEOUT_SECONDS'
          value: '45'
        }
        {
          name: 'MODEL_BREAKER_FAILURES'
          value: '5'
        }
        {
          name: 'MODEL_BREAKER_COOLDOWN_SECONDS'
          value: '30'
        }
        {
          name: 'HISTORY_CHAR_BUDGET'
          value: '12000'
        }
        // The knowledge search's folder, relative to the app's folder: the project's own documentation.
        {
          name: 'KNOWLEDGE_DIR'
          value: 'docs/knowledge'
        }
        {
          name: 'TOOL_MAX_ROUNDS'
          value: '3'
        }
        {
          name: 'TOOL_RESULT_MAX_CHARS'
          value: '6000'
        }
        {
          name: 'TEAMS_STREAM_INTERVAL'
          value: '1.0'
        }
        {
          name: 'WEBCHAT_STREAM_INTERVAL'
          value: '0.5'
        }
        {
          name: 'TYPING_INTERVAL'
          value: '3.0'
        }
        {
          name: 'STREAM_KEEPALIVE_SECONDS'
          value: '2.0'
        }
        {
          name: 'STREAM_MAX_SECONDS'
          value: '100'
        }
        {
          name: 'MESSAGE_MAX_UTF16'
          value: '12000'
        }
        {
          name: 'DELIVERY_DEADLINE_SECONDS'
          value: '15'
        }
        {
          name: 'SHUTDOWN_GRACE_SECONDS'
          value: '10'
        }
        {
          name: 'MAX_REQUEST_BYTES'
          value: '262144'
        }
        {
          name: 'READY_TIMEOUT_SECONDS'
          value: '3'
        }
        {
          name: 'MAX_MESSAGE_CHARS'
          value: '4000'
        }
        {
          name: 'USER_MESSAGES_PER_MINUTE'
          value: '30'
        }
        {
          name: 'USER_MESSAGE_BURST'
          value: '10'
        }
        {
          name: 'MAX_ANSWERS_PER_USER'
          value: '2'
        }
        {
          name: 'LOG_FORMAT'
          value: 'text'
        }
        {
          name: 'LOG_LEVEL'
          value: 'info'
        }
        // Telemetry export: Application Insights when the connection string is given; the web app's
        // name is the service (Application Insights' cloud role).
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsightsConnectionString
        }
        {
          name: 'OTEL_SERVICE_NAME'
          value: webAppName
        }
      ]
    }
  }
}

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: botId
  location: 'global'
  kind: 'azurebot'
  sku: {
    name: botSku
  }
  properties: {
    displayName: botId
    endpoint: endpoint
    msaAppId: appId
    msaAppType: appType
    msaAppTenantId: botTenantId
    msaAppMSIResourceId: isMsi ? userAssignedIdentityResourceId : ''
  }
  // The endpoint is the web app's: register the bot once the app exists.
  dependsOn: [
    webApp
  ]
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
    }
  }
}

resource webChatChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'WebChatChannel'
  location: 'global'
  properties: {
    channelName: 'WebChatChannel'
    properties: {
      sites: [
        {
          siteName: 'Default Site'
          isEnabled: true
          isWebchatPreviewEnabled: true
        }
      ]
    }
  }
}

output messagingEndpoint string = endpoint
output webAppHostName string = webApp.properties.defaultHostName
// For the toolkit, which writes each output to the environment's file (env/.env.dev) under its name:
// Deploy uploads the code to this web app.
output BOT_AZURE_APP_SERVICE_RESOURCE_ID string = webApp.id
output BOT_DOMAIN string = webApp.properties.defaultHostName
