// Key Vault for the Meta app secret and each destination's access token. Access is by
// role only (no access policies); deleted secrets stay recoverable, and purge protection
// keeps anyone, an attacker with the app's identity included, from destroying them early.

param name string
param location string
param tags object
@description('Principal id of the app\'s user-assigned identity.')
param appPrincipalId string
@description('Object id of the person running azd; empty grants nothing.')
param deployerPrincipalId string
@description('Reach the service only through private endpoints (main.bicep, vnetEnabled).')
param privateNetworking bool
@description('Log Analytics workspace that receives the vault\'s audit events.')
param workspaceId string

resource keyVaultSecretsOfficer 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: Deny by default only with vnetEnabled: without a virtual network the app calls from addresses no firewall rule can list; every request must still sign in with Entra ID and hold a role.
  // checkov:skip=CKV_AZURE_189: Closed to public traffic by the firewall with vnetEnabled; without a virtual network the app can reach the vault no other way.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    // With private networking the firewall alone closes the vault to public traffic: no
    // IP rule and no trusted-service bypass. publicNetworkAccess stays at its default
    // because checkov 3.3.30 crashes on a conditional value there (CKV_AZURE_189).
    networkAcls: {
      bypass: 'None'
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
    }
  }
}

// Every read and write of a secret, by whom: the trail a security review asks for.
resource auditEvents 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

// Secrets Officer, not Secrets User: the app writes the long-lived token it receives when
// an account is connected, and deletes a destination's token with the destination.
resource appManagesSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, keyVaultSecretsOfficer.id)
  scope: vault
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: keyVaultSecretsOfficer.id
  }
}

// The operator stores the Meta app secret after deployment (README, Deploy to Azure).
resource deployerManagesSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, keyVaultSecretsOfficer.id)
  scope: vault
  properties: {
    principalId: deployerPrincipalId
    roleDefinitionId: keyVaultSecretsOfficer.id
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
