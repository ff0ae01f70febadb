import { StorageError } from '@certus-trust/storage'

function missing(name: string, backend: string, error: unknown): StorageError {
  return new StorageError({
    code: 'STORAGE_UNAVAILABLE',
    message: `the ${backend} backend needs the package ${name}, which is not installed: run \`npm install ${name}\``,
    details: { package: name },
    cause: error,
  })
}

const isMissingModule = (error: unknown) => {
  const code = (error as { code?: unknown })?.code
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
}

/**
 * Loads `pg` when a PostgreSQL storage is created, never at import: a process on SQLite or PGlite does not
 * pay for it.
 * @throws StorageError `STORAGE_UNAVAILABLE` naming the install command when it is missing.
 */
export async function loadPg(): Promise<typeof import('pg').default> {
  try {
    return (await import('pg')).default
  } catch (error) {
    throw isMissingModule(error) ? missing('pg', 'PostgreSQL', error) : error
  }
}

/**
 * Loads PGlite (an optional peer dependency: tens of MB of WebAssembly) when a PGlite storage is created.
 * @throws StorageError `STORAGE_UNAVAILABLE` naming the install command when it is missing.
 */
export async function loadPGlite(): Promise<typeof import('@electric-sql/pglite').PGlite> {
  try {
    return (await import('@electric-sql/pglite')).PGlite
  } catch (error) {
    throw isMissingModule(error) ? missing('@electric-sql/pglite', 'PGlite', error) : error
  }
}
