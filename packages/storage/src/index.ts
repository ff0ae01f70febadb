export type { CopyProgress, CopyStorageOptions, StorageSummary, TreeSummary } from './copy-storage.js'
export { copyStorage, summarizeStorage } from './copy-storage.js'
export type { StorageErrorCode } from './errors.js'
export { StorageError } from './errors.js'
export type {
  LogLeaf,
  LogNode,
  LogStorage,
  LogTree,
  LogTreeHead,
  LogWriteTransaction,
} from './log-storage.js'
export { createMemoryStorage } from './memory-storage.js'
export { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './record-validation.js'
export type {
  JsonValue,
  NewSignedArtifact,
  NewVerificationRecord,
  Page,
  PageOptions,
  RecordStorage,
  SignedArtifact,
  SignedArtifactQuery,
  VerificationRecord,
  VerificationRecordQuery,
} from './records.js'
export type { Storage, UnrecordedLeafQuery } from './storage.js'
export type { CopyableStorage } from './storage-walk.js'
