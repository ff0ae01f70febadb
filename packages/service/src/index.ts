// Public entry of @certus-trust/service: what the server and the `certus` CLI share.
export type { KeylessConfig, ServiceConfig, TransparencyConfig, TufConfig } from './config.js'
export type { DataDir, OpenDataDirOptions } from './data-dir.js'
export { openDataDir } from './data-dir.js'
export type { ServiceErrorCode } from './errors.js'
export { ServiceError } from './errors.js'
export type { LoadedKey } from './keys.js'
export { loadOrCreateSigningKey, resolveSigningKey } from './keys.js'
export type { DataDirLayout } from './layout.js'
export { DEFAULT_DATA_DIR, DEFAULT_LOCK_WAIT_MS, dataDirLayout } from './layout.js'
export { migrateCommandFor } from './legacy-pglite.js'
export type { DataDirLog, OpenDataDirLogOptions } from './local-log.js'
export { openDataDirLog } from './local-log.js'
export type { LogBackend, LogCallObserver, LogReader } from './log-backend.js'
export { embeddedWitness, openLogBackend } from './log-backend.js'
export type {
  MigrateDataDirOptions,
  MigrateDataDirResult,
  MigratedLog,
  MigratedLogName,
} from './migrate-data-dir.js'
export { migrateDataDirToSqlite } from './migrate-data-dir.js'
export type {
  OpenedTrustService,
  OpenTrustServiceOptions,
  ReconcileRunOptions,
} from './open-trust-service.js'
export { openTrustService } from './open-trust-service.js'
export type { ReconcileOptions, ReconcileResult } from './reconcile.js'
export { RECORD_DUE_SEARCH_KEY, reconcileOrphans } from './reconcile.js'
export { RECONCILED_ARTIFACT_TYPE } from './reconciled-record.js'
export { readServiceEnv, SERVICE_ENV_VARIABLES } from './service-env.js'
export type { SignatureEncoding } from './signature-encoding.js'
export type {
  BuildSigningConfigOptions,
  SigningConfigEndpoint,
  SigningConfigJson,
} from './signing-config.js'
export { buildSigningConfig, SIGNING_CONFIG_MEDIA_TYPE } from './signing-config.js'
export type { OpenedStorage, PoolStats, StorageConfig } from './storage.js'
export { defaultStorageConfig, openStorage, rekorV2StorageConfig } from './storage.js'
export type { EmbeddedServices, EmbeddedSigningConfigOptions } from './trust-material.js'
export { embeddedSigningConfig, exportEmbeddedTrustedRoot } from './trust-material.js'
export type {
  LoadedTrustedRoot,
  LoadPublicGoodTrustedRootOptions,
  TrustedRootSource,
} from './trust-root.js'
export {
  DEFAULT_TRUST_ROOT_MAX_AGE_DAYS,
  defaultTufCacheDir,
  embeddedSnapshotDate,
  loadPublicGoodTrustedRoot,
} from './trust-root.js'
export type { TrustServiceOptions } from './trust-service.js'
export { createTrustService } from './trust-service.js'
export type {
  OperationContext,
  Predicate,
  ReadinessCheck,
  SignRequest,
  SignResponse,
  TransparencyEntry,
  TransparencyList,
  TransparencyProof,
  TrustService,
  VerifyBundleRequest,
  VerifyPolicy,
  VerifyRequest,
  VerifyResponse,
  VerifySignatureRequest,
} from './types.js'
export type { PublicGoodRootOptions, VerifierSet } from './verifiers.js'
export { createVerifierSet, loadBaseTrustedRoot } from './verifiers.js'
