export type { AzureKeyProviderOptions } from './azure-key-provider.js'
export { createKeyFromUri, keyProviderFromUri } from './azure-key-provider.js'
export type { AzureKeyUri } from './key-uri.js'
export { parseAzureKeyUri } from './key-uri.js'
