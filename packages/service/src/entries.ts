import { type LogEntry, RekorError } from '@certus-trust/log-protocol'
import type { SignedArtifact, Storage } from '@certus-trust/storage'
import { ServiceError } from './errors.js'
import type { LogCallObserver, LogReader } from './log-backend.js'
import { entryView, recordView } from './record-model.js'
import type { TransparencyEntry, TransparencyList } from './types.js'

/** The log, or `SERVICE_FEATURE_DISABLED` when transparency is off. */
export function requireLog(log: LogReader | undefined): LogReader {
  if (!log) {
    throw new ServiceError({
      code: 'SERVICE_FEATURE_DISABLED',
      message: 'transparency is off on this server (CERTUS_TRUST_ENABLE_TRANSPARENCY=false)',
    })
  }
  return log
}

/**
 * One entry from the log, joined with the stored record of it (for the artifact digest).
 * @throws ServiceError `SERVICE_NOT_FOUND`, `SERVICE_FEATURE_DISABLED`
 */
export async function getTransparencyEntry(
  storage: Storage,
  log: LogReader | undefined,
  observe: LogCallObserver,
  entryId: string,
  includeProof: boolean,
): Promise<TransparencyEntry> {
  const reader = requireLog(log)
  const entry = await readEntry(() =>
    observe({ operation: 'get_entry', backend: reader.backend }, () => reader.getEntry(entryId)),
  )
  if (!entry)
    throw new ServiceError({ code: 'SERVICE_NOT_FOUND', message: 'no transparency entry with that id' })
  const record = await storage.getSignedArtifactByEntryUuid(entryId).catch((error: unknown) => {
    if ((error as { code?: string })?.code === 'STORAGE_NOT_FOUND') return undefined
    throw error
  })
  return entryView(entry, record as SignedArtifact | undefined, includeProof)
}

/** An entry, or undefined when the log says it has none (or the ID is not one it could hold). */
async function readEntry(read: () => Promise<LogEntry | undefined>): Promise<LogEntry | undefined> {
  try {
    return await read()
  } catch (error) {
    if (
      RekorError.is(error, 'REKOR_NOT_FOUND') ||
      (error as { code?: string })?.code === 'TLOG_INVALID_REQUEST'
    )
      return undefined
    throw error
  }
}

/** One page of the logged records of an artifact, oldest first. @throws `SERVICE_FEATURE_DISABLED` */
export async function listTransparencyEntries(
  storage: Storage,
  log: LogReader | undefined,
  artifact: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<TransparencyList> {
  requireLog(log)
  const result = await storage.listSignedArtifactsByHash(artifact, {
    limit: page.limit,
    ...(page.cursor ? { cursor: page.cursor } : {}),
  })
  return {
    entries: result.items.filter((record) => record.transparencyEntryUuid !== undefined).map(recordView),
    ...(result.nextCursor ? { next_cursor: result.nextCursor } : {}),
  }
}
