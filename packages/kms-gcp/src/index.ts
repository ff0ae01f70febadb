export type { GcpKeyProviderOptions } from './gcp-key-provider.js'
export { createKeyFromUri, keyProviderFromUri } from './gcp-key-provider.js'
export type { GcpKeyUri } from './key-uri.js'
export { parseGcpKeyUri } from './key-uri.js'
