import { open, readdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { type CopyProgress, copyStorage, type StorageSummary } from '@certus-trust/storage'
import { exists, lockDirectory } from './data-dir.js'
import { ServiceError } from './errors.js'
import { DEFAULT_LOCK_WAIT_MS, dataDirLayout } from './layout.js'
import { openStorage, rekorV2StorageConfig } from './storage.js'

/** Options of {@link migrateDataDirToSqlite}. */
export interface MigrateDataDirOptions {
  /** Absolute path of the data directory. */
  path: string
  /** How long to wait for another process holding the directory. @default 30_000 */
  waitMs?: number
  /** Called as each log's copy advances (`log` says which: `rekor-v1` or `rekor-v2`). Must not throw. */
  onProgress?: (progress: CopyProgress & { log: MigratedLogName }) => void
  /** The time the moved-aside PGlite directories are named by. @default new Date() */
  now?: Date
}

/** Which log of a data directory: the Rekor v1 log with the records, or the separate Rekor v2 log. */
export type MigratedLogName = 'rekor-v1' | 'rekor-v2'

/** One migrated database. */
export interface MigratedLog {
  log: MigratedLogName
  /** The PGlite directory it was read from (before it was moved aside). */
  source: string
  /** Where that directory is now. Absent when moving it failed (see `warnings`); it is no longer used either way. */
  movedTo?: string
  /** The SQLite file it was written to. */
  target: string
  /** What both hold: counts, every tree's size and root hash. */
  summary: StorageSummary
}

/** Result of {@link migrateDataDirToSqlite}. */
export interface MigrateDataDirResult {
  path: string
  logs: MigratedLog[]
  /** Problems after the switch that did not undo it (a PGlite directory that could not be moved aside). */
  warnings: string[]
}

interface Plan {
  log: MigratedLogName
  source: string
  target: string
  temporary: string
}

/**
 * Moves a data directory from its legacy PGlite database (`log-db/`, and `log-db-rekor-v2/` when present) to
 * SQLite (`certus.db`, `certus-rekor-v2.db`): copies every record and log tree into temporary files, reads them
 * back to check they hold exactly what PGlite holds (counts, every tree's size and root hash, a digest of every
 * item), fsyncs them and renames them into place — `certus.db` last, the moment the directory switches — and
 * then moves the PGlite directories aside as `log-db.migrated-<time>` (never deleted). Until the switch nothing
 * in the directory changes: on failure the temporary files are removed and PGlite stays in use. Holds the
 * directory's lock throughout, so no `certus` command or server writes to the log meanwhile.
 *
 * Reading the PGlite database needs `@electric-sql/pglite`; opening it applies pending schema migrations,
 * exactly as any command that used the directory would.
 *
 * @throws ServiceError `SERVICE_DATA_DIR` (`details.reason`: `missing`, `already_sqlite` when `certus.db`
 *   exists, `no_legacy_database`, `locked`, `migration_failed` with the cause); `STORAGE_UNAVAILABLE` when PGlite
 *   is not installed.
 */
export async function migrateDataDirToSqlite(options: MigrateDataDirOptions): Promise<MigrateDataDirResult> {
  const layout = dataDirLayout(options.path)
  await checkMigratable(options.path)
  const lock = await lockDirectory(options.path, options.waitMs ?? DEFAULT_LOCK_WAIT_MS)
  try {
    // Another process may have migrated the directory while this one waited for the lock.
    await checkMigratable(options.path)
    const plans: Plan[] = [plan('rekor-v1', layout.legacyPGlitePath, layout.databasePath)]
    const v2Source = rekorV2Source(layout.legacyPGlitePath)
    if (await exists(v2Source)) plans.push(plan('rekor-v2', v2Source, layout.rekorV2DatabasePath))
    const summaries = new Map<MigratedLogName, StorageSummary>()
    try {
      for (const step of plans) summaries.set(step.log, await copyLog(step, options.onProgress))
      await switchOver(options.path, plans)
    } catch (error) {
      await Promise.all(plans.map((step) => removeDatabaseFiles(step.temporary)))
      // PGlite missing has its own message (what to install); anything else says that nothing changed.
      if (ServiceError.is(error) || (error as { details?: { package?: unknown } })?.details?.package)
        throw error
      throw new ServiceError({
        code: 'SERVICE_DATA_DIR',
        message: `migrating ${options.path} to SQLite failed, nothing was changed (the PGlite database stays in use): ${(error as Error)?.message ?? String(error)}`,
        cause: error,
        details: { path: options.path, reason: 'migration_failed' },
      })
    }
    return await moveAside(options.path, plans, summaries, options.now ?? new Date())
  } finally {
    await lock.release()
  }
}

function plan(log: MigratedLogName, source: string, target: string): Plan {
  return { log, source, target, temporary: `${target}.migrating-${process.pid}` }
}

/** The Rekor v2 log's PGlite directory beside `log-db` (the same rule the service opens it by). */
function rekorV2Source(legacyPGlitePath: string): string {
  const spec = rekorV2StorageConfig({ kind: 'pglite', dataDir: legacyPGlitePath })
  if (spec.kind !== 'pglite') throw new Error('expected a PGlite storage')
  return spec.dataDir
}

async function checkMigratable(path: string): Promise<void> {
  const layout = dataDirLayout(path)
  const refuse = (reason: string, message: string) =>
    new ServiceError({ code: 'SERVICE_DATA_DIR', message, details: { path, reason } })
  if (!(await exists(path))) throw refuse('missing', `data directory ${path} does not exist`)
  // certus-rekor-v2.db beside log-db-rekor-v2 but without certus.db is what a run interrupted between its two
  // renames leaves: the directory still uses PGlite, and the next run replaces that file.
  const interrupted = await exists(rekorV2Source(layout.legacyPGlitePath))
  for (const file of interrupted
    ? [layout.databasePath]
    : [layout.databasePath, layout.rekorV2DatabasePath]) {
    if (await exists(file)) {
      throw refuse(
        'already_sqlite',
        `data directory ${path} already holds ${basename(file)}: it uses SQLite, there is nothing to migrate`,
      )
    }
  }
  if (!(await exists(layout.legacyPGlitePath))) {
    throw refuse('no_legacy_database', `data directory ${path} holds no PGlite database (log-db) to migrate`)
  }
}

/** Copies one PGlite database into its temporary SQLite file, verified; the file is closed and fsynced. */
async function copyLog(step: Plan, onProgress: MigrateDataDirOptions['onProgress']): Promise<StorageSummary> {
  // A run that crashed may have left its temporary files; this run holds the lock, so no other run owns them.
  await removeStaleTemporaries(step.target)
  const source = await openStorage({ kind: 'pglite', dataDir: step.source })
  try {
    const target = await openStorage({ kind: 'sqlite', path: step.temporary })
    let summary: StorageSummary
    try {
      summary = await copyStorage(source.storage, target.storage, {
        ...(onProgress ? { onProgress: (progress) => onProgress({ ...progress, log: step.log }) } : {}),
      })
    } finally {
      await target.close()
    }
    // Closing the last connection checkpoints the write-ahead log into the file; anything left would be lost.
    if (await exists(`${step.temporary}-wal`)) throw new Error(`${step.temporary}-wal remained after closing`)
    await fsyncPath(step.temporary)
    return summary
  } finally {
    await source.close()
  }
}

/** Renames the verified files into place, `certus.db` last: until then the directory still opens PGlite. */
async function switchOver(path: string, plans: Plan[]): Promise<void> {
  const ordered = [...plans].sort((a, b) => (a.log === 'rekor-v1' ? 1 : 0) - (b.log === 'rekor-v1' ? 1 : 0))
  const placed: Plan[] = []
  try {
    for (const step of ordered) {
      await rename(step.temporary, step.target)
      placed.push(step)
    }
    await fsyncPath(path)
  } catch (error) {
    // Only a failure before `certus.db` was placed gets here with files placed: take them back out.
    if (!placed.some((step) => step.log === 'rekor-v1')) {
      await Promise.all(placed.map((step) => removeDatabaseFiles(step.target)))
    }
    throw error
  }
}

async function moveAside(
  path: string,
  plans: Plan[],
  summaries: Map<MigratedLogName, StorageSummary>,
  now: Date,
): Promise<MigrateDataDirResult> {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  const warnings: string[] = []
  const logs: MigratedLog[] = []
  for (const step of plans) {
    const movedTo = `${step.source}.migrated-${stamp}`
    let moved = false
    try {
      await rename(step.source, movedTo)
      moved = true
    } catch (error) {
      // The directory already opens SQLite (certus.db wins over log-db), so this is not worth undoing the switch.
      warnings.push(`could not move ${step.source} aside (${(error as Error).message}); it is no longer used`)
    }
    logs.push({
      log: step.log,
      source: step.source,
      ...(moved ? { movedTo } : {}),
      target: step.target,
      summary: summaries.get(step.log)!,
    })
  }
  await fsyncPath(path).catch(() => undefined)
  return { path, logs, warnings }
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function removeStaleTemporaries(target: string): Promise<void> {
  const prefix = `${basename(target)}.migrating-`
  const names = await readdir(dirname(target))
  await Promise.all(
    names
      .filter((name) => name.startsWith(prefix))
      .map((name) => rm(join(dirname(target), name), { force: true })),
  )
}

async function removeDatabaseFiles(file: string): Promise<void> {
  await Promise.all(['', '-wal', '-shm', '-journal'].map((suffix) => rm(`${file}${suffix}`, { force: true })))
}
