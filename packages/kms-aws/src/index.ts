export type { AwsKeyProviderOptions } from './aws-key-provider.js'
export { createAwsKeyProvider, createKeyFromUri, keyProviderFromUri } from './aws-key-provider.js'
export type { AwsKeyUri } from './key-uri.js'
export { parseAwsKeyUri } from './key-uri.js'
