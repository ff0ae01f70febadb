// `@certus-trust/service/storage`: opening the storage a `StorageConfig` names, for callers that assemble the
// service themselves (`openTrustService` does this for everyone else).
export type { OpenedStorage, PoolStats, StorageConfig } from '../storage.js'
export { defaultStorageConfig, openStorage, rekorV2StorageConfig } from '../storage.js'
