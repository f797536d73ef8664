// The storage account: the Functions host's own state, the deployment package, and the
// product's containers and queues. No shared key: every caller, the app included, signs in
// with Microsoft Entra ID.

param name string
param location string
param tags object
@description('Blob container that Flex Consumption deploys the app package from.')
param deploymentContainerName string
@description('Principal id of the app\'s user-assigned identity.')
param appPrincipalId string
@description('Object id of the person running azd; empty grants nothing.')
param deployerPrincipalId string
@description('Reach the service only through private endpoints (main.bicep, vnetEnabled).')
param privateNetworking bool
@description('Log Analytics workspace that receives the data-access logs.')
param workspaceId string

// The defaults of the *_CONTAINER and *_QUEUE settings in shared/settings.py;
// tests/test_infra.py keeps both lists equal to them.
var productContainers = [
  'destinations'
  'segments'
  'export-runs'
  'snapshots'
  'export-state'
]
// Each queue with the `-poison` queue the Functions host moves a message to after
// maxDequeueCount failures (host.json).
var productQueues = [
  'export-requests'
  'export-requests-poison'
  'export-batches'
  'export-batches-poison'
]
var dataAccessLogs = [
  'StorageRead'
  'StorageWrite'
  'StorageDelete'
]

resource storageBlobDataOwner 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
}

resource storageBlobDataContributor 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
}

resource storageQueueDataContributor 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35: Deny by default only with vnetEnabled: without a virtual network the app calls from addresses no firewall rule can list; every request must still sign in with Entra ID (shared keys are off).
  // checkov:skip=CKV_AZURE_206: Locally redundant on purpose: segments are re-written by their source and snapshots rebuilt by a full replace, and geo-replication would copy personal data to a second region.
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    // Deleted containers can be restored for a week. Deleted blobs are not kept: the
    // product deletes its working copies of inputs so that no personal data stays.
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for container in concat(productContainers, [deploymentContainerName]): {
    parent: blobService
    name: container
    properties: {
      publicAccess: 'None'
    }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queue in productQueues: {
    parent: queueService
    name: queue
  }
]

resource blobAccessLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'data-access'
  scope: blobService
  properties: {
    workspaceId: workspaceId
    logs: [
      for category in dataAccessLogs: {
        category: category
        enabled: true
      }
    ]
  }
}

resource queueAccessLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'data-access'
  scope: queueService
  properties: {
    workspaceId: workspaceId
    logs: [
      for category in dataAccessLogs: {
        category: category
        enabled: true
      }
    ]
  }
}

// Microsoft documents Storage Blob Data Owner for a Functions host that reaches its own
// storage (AzureWebJobsStorage) with an identity: the host creates its containers and
// manages the leases and blobs behind timers, singletons and its keys, and Flex
// Consumption reads the app package from the deployment container with this identity.
// It is granted on this account only, which holds nothing but this app's data.
resource appOwnsBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, storageBlobDataOwner.id)
  scope: storage
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: storageBlobDataOwner.id
  }
}

// The triggers enqueue export requests, the planner enqueues batches, the workers
// take them, and the host moves failures to the poison queues.
resource appUsesQueues 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, storageQueueDataContributor.id)
  scope: storage
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: storageQueueDataContributor.id
  }
}

// The operator uploads destinations and segments and reads run logs.
resource deployerWritesBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(storage.id, deployerPrincipalId, storageBlobDataContributor.id)
  scope: storage
  properties: {
    principalId: deployerPrincipalId
    roleDefinitionId: storageBlobDataContributor.id
  }
}

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output deploymentContainerName string = deploymentContainerName
