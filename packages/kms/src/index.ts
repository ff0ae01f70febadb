export type { KmsErrorCode } from './errors.js'
export { isNetworkErrorCode, KmsError } from './errors.js'
export type {
  CreateKmsKeyOptions,
  KmsProviderModule,
  KmsScheme,
  ResolveKeyProviderOptions,
} from './key-uri.js'
export {
  createKmsKey,
  isModuleNotFound,
  KMS_PROVIDER_PACKAGES,
  kmsSchemeOf,
  resolveKeyProvider,
} from './key-uri.js'
export type { KmsKeyAlgorithm, KmsKeyDetails, KmsKeyInfo } from './public-key.js'
export { describeKmsPublicKey, ecdsaP1363ToDer, sha256DigestForP384 } from './public-key.js'
export type {
  KmsKeyProvider,
  KmsProviderOptions,
  RemoteKeyBackend,
  RemoteKeyDescription,
} from './remote-key-provider.js'
export { createRemoteKeyProvider } from './remote-key-provider.js'
export type { RetryOptions } from './retry.js'
export { DEFAULT_RETRY_OPTIONS, retryOptionsOf, withRetry } from './retry.js'
