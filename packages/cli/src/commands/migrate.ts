import type { MigrateDataDirResult, MigratedLogName } from '@certus-trust/service/data-dir'
import type { CopyProgress } from '@certus-trust/storage'
import { CliError } from '../errors.js'
import { resolvePath } from '../files.js'
import type { Output } from '../output.js'

export interface MigrateOptions {
  databaseUrl?: string
  /** `sqlite`: move a data directory's legacy PGlite database to SQLite instead of migrating PostgreSQL. */
  to?: string
  dataDir?: string
  json?: boolean
}

/**
 * `certus migrate [--database-url URL]`: applies pending PostgreSQL schema migrations (idempotent; concurrent
 * runs are serialised by the storage package's advisory lock). The URL defaults to `$CERTUS_TRUST_DATABASE_URL`.
 *
 * `certus migrate --to sqlite [--data-dir DIR]`: moves a data directory's legacy PGlite database to SQLite.
 */
export async function runMigrate(options: MigrateOptions, out: Output): Promise<number> {
  if (options.to !== undefined || options.dataDir !== undefined) return runMigrateToSqlite(options, out)
  const url = options.databaseUrl ?? out.io.env.CERTUS_TRUST_DATABASE_URL
  if (!url) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: 'no database: pass --database-url postgres://… or set CERTUS_TRUST_DATABASE_URL',
    })
  }
  if (!/^postgres(ql)?:\/\/\S+$/.test(url)) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: 'the database URL must start with postgres:// or postgresql://',
    })
  }
  const { migrate } = await import('@certus-trust/storage-postgres')
  const result = await migrate({ connectionString: url })
  out.result(
    result.applied.length === 0
      ? `schema is up to date (version ${result.version})`
      : `applied migration${result.applied.length === 1 ? '' : 's'} ${result.applied.join(', ')}; schema version ${result.version}`,
    { ok: true, applied: result.applied, version: result.version },
  )
  return 0
}

/**
 * Copies the PGlite database of `--data-dir` (and its Rekor v2 log's) into SQLite, verifies the copy and
 * switches the directory over; see `migrateDataDirToSqlite` in @certus-trust/service.
 */
async function runMigrateToSqlite(options: MigrateOptions, out: Output): Promise<number> {
  if (options.to !== 'sqlite') {
    throw new CliError({
      code: 'CLI_USAGE',
      message: '--data-dir needs --to sqlite (the only target a data directory migrates to)',
    })
  }
  if (options.databaseUrl !== undefined) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: '--to sqlite migrates a data directory: drop --database-url',
    })
  }
  const { DEFAULT_DATA_DIR } = await import('@certus-trust/service/layout')
  const path = resolvePath(
    out.io.cwd,
    options.dataDir ?? (out.io.env.CERTUS_TRUST_DATA_DIR?.trim() || DEFAULT_DATA_DIR),
  )
  const [{ migrateDataDirToSqlite }, { ServiceError }] = await Promise.all([
    import('@certus-trust/service/data-dir'),
    import('@certus-trust/service'),
  ])
  out.note(`migrating ${path} from PGlite to SQLite`)
  let result: MigrateDataDirResult
  try {
    result = await migrateDataDirToSqlite({
      path,
      onProgress: (progress) => out.note(progressLine(progress)),
    })
  } catch (error) {
    if (!ServiceError.is(error, 'SERVICE_DATA_DIR')) throw error
    throw new CliError({
      code: 'CLI_DATA_DIR',
      message: error.message,
      cause: error,
      details: { path, reason: error.details.reason },
    })
  }
  for (const warning of result.warnings) out.io.stderr.write(`certus: warning: ${warning}\n`)
  out.result(humanLines(result), jsonResult(result))
  return 0
}

function progressLine(progress: CopyProgress & { log: MigratedLogName }): string {
  const verb = progress.phase === 'copy' ? 'copied' : 'verified'
  if (progress.part === 'tree') {
    return `${progress.log}: ${verb} ${progress.done}/${progress.total} leaves of tree ${progress.treeId}`
  }
  return `${progress.log}: ${verb} ${progress.done} ${progress.part.replace('-', ' ')}`
}

function humanLines(result: MigrateDataDirResult): string[] {
  const lines = [`${result.path} now uses SQLite`]
  for (const log of result.logs) {
    const { summary } = log
    lines.push(
      `${log.log}: ${log.target}: ${summary.signedArtifacts} signed artifacts, ${summary.verificationRecords} verification records`,
    )
    for (const tree of summary.trees) {
      lines.push(
        `  tree ${tree.treeId}${tree.active ? ' (active)' : ''}: size ${tree.treeSize ?? 0}, root ${tree.rootHash ?? '-'}`,
      )
    }
    lines.push(
      log.movedTo ? `  PGlite database kept in ${log.movedTo}` : `  PGlite database left in ${log.source}`,
    )
  }
  return lines
}

function jsonResult(result: MigrateDataDirResult): unknown {
  return {
    ok: true,
    dataDir: result.path,
    logs: result.logs.map((log) => ({
      log: log.log,
      source: log.source,
      movedTo: log.movedTo,
      target: log.target,
      signedArtifacts: log.summary.signedArtifacts,
      verificationRecords: log.summary.verificationRecords,
      recordsDigest: log.summary.recordsDigest,
      trees: log.summary.trees,
    })),
    warnings: result.warnings,
  }
}
