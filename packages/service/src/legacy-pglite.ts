import { basename, dirname } from 'node:path'
import { StorageError } from '@certus-trust/storage'
import { LEGACY_PGLITE_DIR } from './layout.js'

const PGLITE_PACKAGE = '@electric-sql/pglite'

/** `dir` as one shell word: quoted only when it holds characters a shell would split or expand. */
function shellWord(dir: string): string {
  return /^[\w@%+=:,./-]+$/.test(dir) ? dir : `'${dir.replaceAll("'", `'\\''`)}'`
}

/** The command that moves the legacy PGlite database of data directory `dataDir` to SQLite. */
export function migrateCommandFor(dataDir: string): string {
  return `certus migrate --data-dir ${shellWord(dataDir)} --to sqlite`
}

/**
 * When opening the PGlite database in `pgliteDir` failed because PGlite is not installed, the error to throw
 * instead: one that also names the command that moves a data directory's legacy database to SQLite (after which
 * PGlite is not needed). Any other error is returned unchanged.
 */
export function explainMissingPGlite(error: unknown, pgliteDir: string): unknown {
  const missing =
    StorageError.is(error, 'STORAGE_UNAVAILABLE') &&
    (error.details as { package?: unknown } | undefined)?.package === PGLITE_PACKAGE
  if (!missing) return error
  // Only a data directory's own `log-db` gets the migrate hint; an explicitly configured directory is kept as is.
  const name = basename(pgliteDir)
  const dataDir =
    name === LEGACY_PGLITE_DIR || name === `${LEGACY_PGLITE_DIR}-rekor-v2` ? dirname(pgliteDir) : undefined
  const hint =
    dataDir === undefined
      ? `run \`npm install ${PGLITE_PACKAGE}\``
      : `run \`npm install ${PGLITE_PACKAGE}\` to keep using it, or install it once and move the directory to SQLite with \`${migrateCommandFor(dataDir)}\` (PGlite is not needed afterwards)`
  return new StorageError({
    code: 'STORAGE_UNAVAILABLE',
    message: `${pgliteDir} holds a PGlite database (the storage of versions before SQLite became the default), and ${PGLITE_PACKAGE} is not installed: ${hint}`,
    details: {
      package: PGLITE_PACKAGE,
      path: pgliteDir,
      ...(dataDir ? { migrateCommand: migrateCommandFor(dataDir) } : {}),
    },
    cause: error,
  })
}
