import { StorageError } from './errors.js'
import { resolveUnrecordedLeafQuery, SEARCH_KEY_MAX_LIMIT } from './log-validation.js'
import type { ClosedGuard } from './memory-log-storage.js'
import { createMemoryLogStorage, type MemoryLogStorage } from './memory-log-storage.js'
import {
  buildSignedArtifact,
  buildVerificationRecord,
  byHashQuery,
  compareNewestFirst,
  entryUuidKey,
  normalizeEntryUuidArgument,
  normalizeNewSignedArtifact,
  normalizeNewVerificationRecord,
  normalizeRecordId,
  recordErrors,
  replayIdempotent,
  resolveLogIndexArgument,
  resolveSignedArtifactQuery,
  resolveVerificationRecordQuery,
  toPage,
} from './record-validation.js'
import type { RecordStorage, SignedArtifact, SignedArtifactQuery, VerificationRecord } from './records.js'
import type { Storage, UnrecordedLeafQuery } from './storage.js'

/**
 * A signed-artifact record as this backend keeps it: its JSON (bundle, predicates) as text. One string instead of an
 * object graph of ~40 objects per record, which the garbage collector would otherwise copy out of the young
 * generation and mark again and again while the process signs (issue 12: a signing server on this backend spent
 * 46–50 ms of its main thread in GC per 1,000 signings keeping bundles as objects, 36–49 ms keeping them as text;
 * without bundles at all, 39–42). Nothing a caller holds is stored: records go in as their JSON text and come out
 * parsed afresh, so callers can never mutate what is stored.
 */
type StoredArtifact = Omit<SignedArtifact, 'bundle' | 'predicates'> & {
  bundleText: string
  predicatesText: string | undefined
}

function toStored(record: SignedArtifact): StoredArtifact {
  const { bundle, predicates, createdAt, ...fields } = record
  return {
    ...fields,
    createdAt: new Date(createdAt),
    bundleText: JSON.stringify(bundle),
    predicatesText: predicates === undefined ? undefined : JSON.stringify(predicates),
  }
}

// Validated JSON on the way in, so the text parses back to the same values (a JSON copy, as every backend returns).
const cloneArtifact = (stored: StoredArtifact): SignedArtifact => {
  const { bundleText, predicatesText, createdAt, ...fields } = stored
  return buildSignedArtifact({
    ...fields,
    bundle: JSON.parse(bundleText) as SignedArtifact['bundle'],
    predicates:
      predicatesText === undefined ? undefined : (JSON.parse(predicatesText) as SignedArtifact['predicates']),
    createdAt: new Date(createdAt),
  })
}
const cloneVerification = (record: VerificationRecord): VerificationRecord =>
  buildVerificationRecord({ ...record, verifiedAt: new Date(record.verifiedAt) })
const artifactKey = (record: Pick<SignedArtifact, 'createdAt' | 'id'>) => ({
  time: record.createdAt.getTime(),
  id: record.id,
})
const verificationKey = (record: VerificationRecord) => ({ time: record.verifiedAt.getTime(), id: record.id })

function createMemoryRecordStorage(guard: ClosedGuard): RecordStorage {
  const artifacts = new Map<string, StoredArtifact>()
  const artifactsByHash = new Map<string, StoredArtifact[]>()
  const artifactsByEntry = new Map<string, StoredArtifact>()
  const artifactsByLogIndex = new Map<number, StoredArtifact[]>()
  const artifactsByIdempotencyKey = new Map<string, StoredArtifact>()
  const verifications = new Map<string, VerificationRecord>()

  async function listSignedArtifacts(query?: SignedArtifactQuery) {
    guard.assertOpen()
    const resolved = resolveSignedArtifactQuery(query)
    const source =
      resolved.artifactHash !== undefined
        ? (artifactsByHash.get(resolved.artifactHash) ?? [])
        : [...artifacts.values()]
    const rows = source
      .filter(
        (record) =>
          (resolved.artifactType === undefined || record.artifactType === resolved.artifactType) &&
          (resolved.subject === undefined || record.subject === resolved.subject) &&
          (resolved.createdFrom === undefined || record.createdAt >= resolved.createdFrom) &&
          (resolved.createdTo === undefined || record.createdAt < resolved.createdTo) &&
          (resolved.cursor === undefined || compareNewestFirst(resolved.cursor, artifactKey(record)) < 0),
      )
      .sort((a, b) => compareNewestFirst(artifactKey(a), artifactKey(b)))
      .slice(0, resolved.limit + 1)
    const page = toPage(rows, resolved.limit, artifactKey)
    return { ...page, items: page.items.map(cloneArtifact) }
  }

  return {
    async saveSignedArtifact(input) {
      guard.assertOpen()
      const record = normalizeNewSignedArtifact(input)
      if (record.idempotencyKey !== undefined) {
        const existing = artifactsByIdempotencyKey.get(record.idempotencyKey)
        if (existing) return replayIdempotent(cloneArtifact(existing), record)
      }
      if (artifacts.has(record.id)) throw recordErrors.duplicateArtifactId()
      const entryKey =
        record.transparencyEntryUuid === undefined ? undefined : entryUuidKey(record.transparencyEntryUuid)
      if (entryKey !== undefined && artifactsByEntry.has(entryKey)) throw recordErrors.duplicateEntryUuid()
      if (record.logIndex !== undefined && record.logId !== undefined) {
        const sameIndex = artifactsByLogIndex.get(record.logIndex) ?? []
        if (sameIndex.some((other) => other.logId === record.logId)) throw recordErrors.duplicateLogIndex()
      }
      const stored = toStored(record)
      artifacts.set(record.id, stored)
      artifactsByHash.set(record.artifactHash, [...(artifactsByHash.get(record.artifactHash) ?? []), stored])
      if (entryKey !== undefined) artifactsByEntry.set(entryKey, stored)
      if (record.logIndex !== undefined) {
        artifactsByLogIndex.set(record.logIndex, [
          ...(artifactsByLogIndex.get(record.logIndex) ?? []),
          stored,
        ])
      }
      if (record.idempotencyKey !== undefined) artifactsByIdempotencyKey.set(record.idempotencyKey, stored)
      // `record` is the validated copy normalising made, and nothing stored shares it (createdAt was copied).
      return record
    },

    async getSignedArtifact(id) {
      guard.assertOpen()
      const key = normalizeRecordId(id)
      const record = key === undefined ? undefined : artifacts.get(key)
      if (!record) throw recordErrors.artifactNotFound()
      return cloneArtifact(record)
    },

    async getSignedArtifactByEntryUuid(uuid) {
      guard.assertOpen()
      const key = normalizeEntryUuidArgument(uuid)
      const record = key === undefined ? undefined : artifactsByEntry.get(key)
      if (!record) throw recordErrors.artifactNotFound()
      return cloneArtifact(record)
    },

    async getSignedArtifactByLogIndex(logIndex, options) {
      guard.assertOpen()
      const query = resolveLogIndexArgument(logIndex, options)
      const matches = (artifactsByLogIndex.get(query.logIndex) ?? [])
        .filter((record) => query.logId === undefined || record.logId === query.logId)
        .sort((a, b) => compareNewestFirst(artifactKey(a), artifactKey(b)))
      if (matches.length === 0) throw recordErrors.artifactNotFound()
      return cloneArtifact(matches[0]!)
    },

    async listSignedArtifactsByHash(artifactHash, options = {}) {
      return listSignedArtifacts(byHashQuery(artifactHash, options))
    },

    listSignedArtifacts,

    async saveVerificationRecord(input) {
      guard.assertOpen()
      const record = normalizeNewVerificationRecord(input)
      if (verifications.has(record.id)) throw recordErrors.duplicateVerificationId()
      verifications.set(record.id, record)
      return cloneVerification(record)
    },

    async getVerificationRecord(id) {
      guard.assertOpen()
      const key = normalizeRecordId(id)
      const record = key === undefined ? undefined : verifications.get(key)
      if (!record) throw recordErrors.verificationNotFound()
      return cloneVerification(record)
    },

    async listVerificationRecords(query) {
      guard.assertOpen()
      const resolved = resolveVerificationRecordQuery(query)
      const rows = [...verifications.values()]
        .filter(
          (record) =>
            (resolved.artifactHash === undefined || record.artifactHash === resolved.artifactHash) &&
            (resolved.valid === undefined || record.valid === resolved.valid) &&
            (resolved.verifiedFrom === undefined || record.verifiedAt >= resolved.verifiedFrom) &&
            (resolved.verifiedTo === undefined || record.verifiedAt < resolved.verifiedTo) &&
            (resolved.cursor === undefined ||
              compareNewestFirst(resolved.cursor, verificationKey(record)) < 0),
        )
        .sort((a, b) => compareNewestFirst(verificationKey(a), verificationKey(b)))
        .slice(0, resolved.limit + 1)
      const page = toPage(rows, resolved.limit, verificationKey)
      return { ...page, items: page.items.map(cloneVerification) }
    },
  }
}

/** `findUnrecordedLeaves` over the public halves: the marked leaves, then a record lookup for each. */
async function findUnrecordedLeaves(
  records: RecordStorage,
  log: MemoryLogStorage,
  query: UnrecordedLeafQuery,
): Promise<Array<{ treeId: string; leafIndex: number }>> {
  const resolved = resolveUnrecordedLeafQuery(query)
  const after = resolved.after
  const marked = (await log.findLeavesBySearchKey(resolved.searchKey, SEARCH_KEY_MAX_LIMIT))
    .filter(
      (hit) =>
        !after ||
        hit.treeId > after.treeId ||
        (hit.treeId === after.treeId && hit.leafIndex > after.leafIndex),
    )
    .sort((a, b) => (a.treeId < b.treeId ? -1 : a.treeId > b.treeId ? 1 : a.leafIndex - b.leafIndex))
  const found: Array<{ treeId: string; leafIndex: number }> = []
  for (const hit of marked) {
    if (found.length === resolved.limit) break
    const leaf = await log.getLeafByIndex(hit.treeId, hit.leafIndex)
    if (!leaf || leaf.integratedTime > resolved.integratedBefore) continue
    const recorded = await records
      .getSignedArtifactByEntryUuid(Buffer.from(leaf.leafHash).toString('hex'))
      .then(
        () => true,
        () => false,
      )
    if (!recorded) found.push(hit)
  }
  return found
}

/** `forgetRecordedMarks`: the marked leaves that have a record, dropped from the search index. */
async function forgetRecordedMarks(
  records: RecordStorage,
  log: MemoryLogStorage,
  query: Omit<UnrecordedLeafQuery, 'after'>,
): Promise<number> {
  const resolved = resolveUnrecordedLeafQuery(query)
  const recorded = new Set<string>()
  for (const hit of await log.findLeavesBySearchKey(resolved.searchKey, SEARCH_KEY_MAX_LIMIT)) {
    if (recorded.size === resolved.limit) break
    const leaf = await log.getLeafByIndex(hit.treeId, hit.leafIndex)
    if (!leaf || leaf.integratedTime > resolved.integratedBefore) continue
    const found = await records.getSignedArtifactByEntryUuid(Buffer.from(leaf.leafHash).toString('hex')).then(
      () => true,
      () => false,
    )
    if (found) recorded.add(`${hit.treeId}:${hit.leafIndex}`)
  }
  return log.dropSearchKey(resolved.searchKey, (hit) => recorded.has(`${hit.treeId}:${hit.leafIndex}`))
}

/**
 * Creates an in-memory {@link Storage}: records and embedded-log state in process memory, gone on exit.
 * For tests, demos and single-process embedded use; behaves exactly like the database backends
 * (same contract suite).
 *
 * @example
 * const storage = createMemoryStorage()
 * const saved = await storage.saveSignedArtifact({ artifactHash: 'sha256:…', artifactType: 'file', subject: 'a.txt', signature: 'MEUC…', bundle })
 * await storage.close()
 */
export function createMemoryStorage(): Storage {
  let closed = false
  const guard: ClosedGuard = {
    assertOpen() {
      if (closed)
        throw new StorageError({ code: 'STORAGE_CLOSED', message: 'storage is closed', details: {} })
    },
  }
  const close = async () => {
    closed = true
  }
  const records = createMemoryRecordStorage(guard)
  const log = createMemoryLogStorage(guard)
  const storage: Storage = {
    backend: 'memory',
    saveSignedArtifact: records.saveSignedArtifact,
    getSignedArtifact: records.getSignedArtifact,
    getSignedArtifactByEntryUuid: records.getSignedArtifactByEntryUuid,
    getSignedArtifactByLogIndex: records.getSignedArtifactByLogIndex,
    listSignedArtifactsByHash: records.listSignedArtifactsByHash,
    listSignedArtifacts: records.listSignedArtifacts,
    saveVerificationRecord: records.saveVerificationRecord,
    getVerificationRecord: records.getVerificationRecord,
    listVerificationRecords: records.listVerificationRecords,
    createTree: log.createTree,
    rotateTree: log.rotateTree,
    listTrees: log.listTrees,
    withTreeLock: log.withTreeLock,
    getLeafCount: log.getLeafCount,
    getLeafByIndex: log.getLeafByIndex,
    getLeafByHash: log.getLeafByHash,
    getLeafHashes: log.getLeafHashes,
    findLeavesBySearchKey: log.findLeavesBySearchKey,
    getNodes: log.getNodes,
    getLatestTreeHead: log.getLatestTreeHead,
    getTreeHead: log.getTreeHead,
    findUnrecordedLeaves: (query) => findUnrecordedLeaves(records, log, query),
    forgetRecordedMarks: (query) => forgetRecordedMarks(records, log, query),
    close,
    [Symbol.asyncDispose]: close,
  }
  return storage
}
