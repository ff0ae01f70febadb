export type { ArtifactInput } from './artifact.js'
export type { SignerErrorCode } from './errors.js'
export { SignerError } from './errors.js'
export type { GeneratedKeyPair, GenerateKeyPairOptions } from './generate-key-pair.js'
export { generateKeyPair } from './generate-key-pair.js'
export type { KeyProvider, LocalKeyProvider, LocalKeyProviderOptions } from './key-provider.js'
export { createLocalKeyProvider } from './key-provider.js'
export type { IdentityTokenSource, KeylessOptions } from './keyless.js'
export { DEFAULT_FULCIO_URL } from './keyless.js'
// Key algorithm and key-details names are core's `SigningKeyAlgorithm` / `SigningKeyDetails`.
export type { KeyInfo, LoadPrivateKeyOptions, PrivateKeyInput } from './keys.js'
export { describeKey, loadPrivateKey, loadPublicKey, MIN_RSA_BITS, privateKeyFromEnvValue } from './keys.js'
export type {
  AttestInput,
  BatchItem,
  BatchOptions,
  BatchProgress,
  BatchResult,
  SignCallOptions,
  Signer,
  SignerOptions,
  SignResult,
} from './signer.js'
export { attest, createSigner, DEFAULT_MAX_IN_MEMORY_BYTES, sign } from './signer.js'
// The rest of the SigningConfig API is the `./signing-config` subpath; in-toto statement builders are `./in-toto`.
export type { SigningConfig } from './signing-config.js'
export { loadSigningConfig } from './signing-config.js'
export type { SigningThreads } from './signing-threads.js'
export { createSigningThreads, defaultSigningThreadCount } from './signing-threads.js'
export type { TimestampAuthorityOptions, TimestampHashAlgorithm } from './timestamp-witness.js'
export { createTimestampAuthorityWitness } from './timestamp-witness.js'
export type { SigstoreWitness, Witness, WitnessOption } from './witness.js'
