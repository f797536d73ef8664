// The app's one identity. User-assigned rather than system-assigned so that its role
// assignments exist before the app first starts, and so that the same client id is named
// in AzureWebJobsStorage__clientId, AZURE_CLIENT_ID and the Application Insights
// authentication string.

param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
