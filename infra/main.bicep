// Provisions the segment export: a Flex Consumption function app, its storage, Key Vault
// and monitoring, in one resource group per azd environment (`rg-<environment>`), the
// layout of Azure's own Flex Consumption azd templates. Every resource is declared in the
// modules beside this file, never through a registry module, so that the tests and
// checkov see each one (tests/test_infra.py, scripts/check_infra.sh).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment: names the resource group, tags every resource.')
param environmentName string

@minLength(1)
@description('Azure region of every resource; it must offer the Flex Consumption plan.')
param location string

// The person running azd needs data roles of their own to store the app secret and to
// upload destinations and segments; azd fills this from AZURE_PRINCIPAL_ID.
@description('Object id of the person running azd; empty grants nobody a data role.')
param principalId string = ''

@description('Meta app id, used by Connect with Facebook (FACEBOOK_APP_ID).')
param facebookAppId string = ''

// Flex Consumption instances come in 512, 2048 and 4096 MB, with CPU in proportion.
// Hashing a batch of 10,000 rows is CPU-bound Python: the platform's default size of
// 2048 MB leaves room for the few batches an instance takes at once (host.json).
@allowed([
  512
  2048
  4096
])
@description('Memory of each instance, in MB.')
param instanceMemoryMB int = 2048

// Meta, not the platform, sets the useful ceiling: uploads are capped per ad account
// (MAX_REQUESTS_IN_FLIGHT across all instances, then rate limits; graph-api.md), so
// instances beyond a few per exporting ad account only wait. 40 covers several ad accounts
// exporting at once; the platform would allow 1,000.
@minValue(1)
@maxValue(1000)
@description('Most instances the app scales out to.')
param maximumInstanceCount int = 40

// Off by default: the app itself stays public either way, because the browser comes back
// from Meta's login dialog to /api/facebook/callback. On, storage and Key Vault take
// traffic only through private endpoints in a virtual network the app is joined to, and
// the app reaches Meta through a NAT gateway with one fixed public address.
@description('Put storage and Key Vault behind private endpoints in a virtual network.')
param vnetEnabled bool = false

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    workspaceName: 'log-${resourceToken}'
    appInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    appPrincipalId: identity.outputs.principalId
  }
}

module storage 'storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package-${resourceToken}'
    appPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    privateNetworking: vnetEnabled
    workspaceId: monitoring.outputs.workspaceId
  }
}

module keyVault 'keyvault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    appPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    privateNetworking: vnetEnabled
    workspaceId: monitoring.outputs.workspaceId
  }
}

module network 'network.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: rg
  params: {
    name: 'vnet-${resourceToken}'
    location: location
    tags: tags
    storageAccountId: storage.outputs.id
    keyVaultId: keyVault.outputs.id
  }
}

module functionApp 'function.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: 'func-${resourceToken}'
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    keyVaultUri: keyVault.outputs.uri
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    facebookAppId: facebookAppId
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    subnetId: vnetEnabled ? network.outputs.appSubnetId : ''
  }
}

// azd stores these outputs in the environment (`azd env get-values`).
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output FACEBOOK_OAUTH_REDIRECT_URI string = 'https://${functionApp.outputs.defaultHostName}/api/facebook/callback'
output OUTBOUND_IP_ADDRESS string = vnetEnabled ? network.outputs.outboundIpAddress : ''
