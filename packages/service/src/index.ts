// Public entry of @certus-trust/service: what the server and the `certus` CLI share. More in deliberate subpaths:
// `./data-dir` (the CLI's local data directory), `./env` (reading CERTUS_TRUST_* variables), `./layout`,
// `./node-flags` (the server entry points' Node flags), `./schemas` (the API's zod schemas), `./storage` and `./trust-root`.
export type { KeylessConfig, ServiceConfig, TransparencyConfig, TufConfig } from './config.js'
export type { ServiceErrorCode } from './errors.js'
export { ServiceError } from './errors.js'
export type { LogCallObserver } from './log-backend.js'
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
export type { PoolStats, StorageConfig } from './storage.js'
export type { EmbeddedServices, EmbeddedSigningConfigOptions } from './trust-material.js'
export { embeddedSigningConfig, exportEmbeddedTrustedRoot } from './trust-material.js'
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
