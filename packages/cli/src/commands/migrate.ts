import { CliError } from '../errors.js'
import type { Output } from '../output.js'

export interface MigrateOptions {
  databaseUrl?: string
  json?: boolean
}

/**
 * `certus migrate [--database-url URL]`: applies pending PostgreSQL schema migrations (idempotent; concurrent
 * runs are serialised by the storage package's advisory lock). The URL defaults to `$CERTUS_TRUST_DATABASE_URL`.
 */
export async function runMigrate(options: MigrateOptions, out: Output): Promise<number> {
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
