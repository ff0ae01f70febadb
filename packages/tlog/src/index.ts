export type { ValidateEntryOptions } from './entry-validation.js'
export { validateProposedEntry } from './entry-validation.js'
export type { TlogErrorCode } from './errors.js'
export { TlogError } from './errors.js'
export type { LogKeyAlgorithm, LogKeyPair, LogKeySource } from './log-key.js'
export { DEFAULT_LOG_KEY_ALGORITHM, generateLogKey } from './log-key.js'
export type { PresignatureSource } from './log-signature.js'
export type { RekorApiOptions } from './rekor-api.js'
export { createRekorApi, DEFAULT_MAX_BODY_BYTES } from './rekor-api.js'
export { validateRekorV2Request } from './rekor-v2/entry-v2.js'
export type { RekorV2ApiOptions } from './rekor-v2/rekor-v2-api.js'
export { createRekorV2Api } from './rekor-v2/rekor-v2-api.js'
export type {
  ConsistencyProof,
  GetEntryOptions,
  LogCreateEntryOptions,
  LogInfo,
  LogShardInfo,
  RetrieveEntriesQuery,
  RotateKeyOptions,
  SearchIndexQuery,
  ShardHeadInfo,
  TransparencyLog,
  TransparencyLogOptions,
} from './transparency-log.js'
export {
  createTransparencyLog,
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_TLOG_BASE_URL,
  MAX_RETRIEVE_QUERIES,
  MAX_SEARCH_RESULTS,
} from './transparency-log.js'
export type { ExportTrustedRootOptions, TrustedRootJson } from './trusted-root.js'
export { TRUSTED_ROOT_MEDIA_TYPE } from './trusted-root.js'
export type { TimestampHashAlgorithm } from './tsa/oids.js'
export { DEFAULT_TSA_POLICY_OID } from './tsa/oids.js'
export { createTimestampApi } from './tsa/timestamp-api.js'
export type {
  TimestampAuthority,
  TimestampAuthorityOptions,
  TsaMaterialSource,
} from './tsa/timestamp-authority.js'
export { createTimestampAuthority } from './tsa/timestamp-authority.js'
export type { GenerateTsaMaterialOptions, TsaMaterial } from './tsa/tsa-material.js'
export { generateTsaMaterial } from './tsa/tsa-material.js'
