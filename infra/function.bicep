// The Flex Consumption plan and the function app (Linux, Python 3.11), running as the
// user-assigned identity: no connection string or key appears in its settings.

param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param blobEndpoint string
param queueEndpoint string
param deploymentContainerName string
param keyVaultUri string
param appInsightsConnectionString string
param facebookAppId string
param instanceMemoryMB int
param maximumInstanceCount int
@description('Subnet the app joins when private networking is on; empty otherwise.')
param subnetId string

// Every setting the product reads (shared/settings.py, with the same defaults as
// local.settings.sample.json; tests/test_infra.py keeps them equal), plus the host's.
// The local-only FACEBOOK_APP_SECRET and FACEBOOK_ACCESS_TOKEN are absent on purpose:
// in Azure, secrets are read from the vault at KEY_VAULT_URL.
var appSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identityClientId}'
  DESTINATIONS_CONTAINER: 'destinations'
  SEGMENTS_CONTAINER: 'segments'
  RUNS_CONTAINER: 'export-runs'
  SNAPSHOTS_CONTAINER: 'snapshots'
  STATE_CONTAINER: 'export-state'
  EXPORT_REQUESTS_QUEUE: 'export-requests'
  EXPORT_BATCHES_QUEUE: 'export-batches'
  EXPORT_SCHEDULE: '0 0 2 * * *'
  GRAPH_API_BASE_URL: 'https://graph.facebook.com'
  GRAPH_API_VERSION: 'v26.0'
  GRAPH_TIMEOUT_SECONDS: '120'
  FACEBOOK_APP_ID: facebookAppId
  FACEBOOK_DIALOG_URL: 'https://www.facebook.com'
  FACEBOOK_OAUTH_REDIRECT_URI: ''
  KEY_VAULT_URL: keyVaultUri
  BATCH_ROWS: '10000'
  MAX_REQUESTS_IN_FLIGHT: '8'
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: A scale-to-zero batch workload: work waiting in a zone outage stays on the queue and resumes, and Flex zone redundancy is offered in few regions.
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: Public on purpose: the browser returns from Meta's login dialog to /api/facebook/callback; every other route needs a function key.
  // checkov:skip=CKV_AZURE_17: Callers are a browser coming back from Meta and operators with function keys; neither holds a client certificate.
  // checkov:skip=CKV_AZURE_212: Flex Consumption sets no worker count; the platform scales instances per function (maximumInstanceCount).
  // checkov:skip=CKV_AZURE_213: No load-balanced web traffic for a health check to steer; failed queue work is retried by the queue.
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      remoteDebuggingEnabled: false
      appSettings: [
        for setting in items(appSettings): {
          name: setting.key
          value: setting.value
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// azd deploys with Microsoft Entra ID; publishing with a user name and password stays off.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
