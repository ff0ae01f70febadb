export type { ArtifactInput } from './artifact.js'
export type { ConfigWitnessOptions } from './config-witnesses.js'
export { witnessesFromSigningConfig } from './config-witnesses.js'
export type { SignerErrorCode } from './errors.js'
export { SignerError } from './errors.js'
export type { GeneratedKeyPair, GenerateKeyPairOptions } from './generate-key-pair.js'
export { generateKeyPair } from './generate-key-pair.js'
export type { KeyProvider, LocalKeyProvider, LocalKeyProviderOptions } from './key-provider.js'
export { createLocalKeyProvider } from './key-provider.js'
export type { IdentityTokenSource, KeylessOptions } from './keyless.js'
export { DEFAULT_FULCIO_URL } from './keyless.js'
export type {
  KeyAlgorithm,
  KeyInfo,
  LoadPrivateKeyOptions,
  PrivateKeyInput,
  PublicKeyDetails,
} from './keys.js'
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
export type {
  SelectedServices,
  SelectServicesOptions,
  ServiceSelector,
  SigningConfig,
  SigningConfigService,
  SigningConfigSource,
} from './signing-config.js'
export {
  loadSigningConfig,
  parseSigningConfig,
  SIGNING_CONFIG_MEDIA_TYPE,
  selectServices,
} from './signing-config.js'
export type { SigningThreads } from './signing-threads.js'
export { createSigningThreads, defaultSigningThreadCount } from './signing-threads.js'
export type { SlsaProvenanceV1, Statement, StatementInput, Subject } from './statement.js'
export {
  createStatement,
  cycloneDxStatement,
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  PREDICATE_TYPES,
  slsaProvenanceStatement,
  spdxStatement,
} from './statement.js'
export type { TimestampAuthorityOptions, TimestampHashAlgorithm } from './timestamp-witness.js'
export { createTimestampAuthorityWitness } from './timestamp-witness.js'
export type { SigstoreWitness, Witness, WitnessOption } from './witness.js'
