import { parseBackendOptions } from '@certus-trust/storage/backend'
import * as z from 'zod'
import { assembleStorage, type SqlStorage } from './create-storage.js'
import { toStorageError } from './database-errors.js'
import { loadPGlite } from './load-driver.js'
import { createPGliteDriver, type PGliteDatabase } from './pglite-driver.js'

/** Options of {@link createPGliteStorage}. */
export interface PGliteStorageOptions {
  /**
   * Directory of the embedded database (created when missing). Omit for an in-memory database.
   * @default undefined (in memory)
   */
  dataDir?: string
  /** A PGlite instance you own: used as is and left open by `close()`. Excludes `dataDir`. */
  db?: PGliteDatabase
  /**
   * Apply pending migrations before returning (same as calling `migrate()`).
   * @default false
   */
  migrate?: boolean
}

const OptionsSchema = z
  .object({
    dataDir: z.string().min(1).optional(),
    db: z
      .custom<PGliteDatabase>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as PGliteDatabase).query === 'function',
      )
      .optional(),
    migrate: z.boolean().default(false),
  })
  .refine((value) => value.dataDir === undefined || value.db === undefined, {
    message: 'pass either dataDir or db, not both',
    path: ['db'],
  })

/**
 * Creates a {@link SqlStorage} on embedded PGlite (PostgreSQL compiled to WebAssembly): the same SQL as the
 * server backend, durable in `dataDir`, no server needed. One process per data directory. PGlite is an optional
 * peer dependency (`npm install @electric-sql/pglite`), loaded only here.
 *
 * @example
 * const storage = await createPGliteStorage({ dataDir: './.certus/db', migrate: true })
 * const page = await storage.listSignedArtifacts({ artifactType: 'sbom' })
 * await storage.close()
 * @throws StorageError `STORAGE_INVALID_OPTIONS`, `STORAGE_UNAVAILABLE` when the database cannot be opened or
 *   PGlite is not installed (the message names the install command).
 */
export async function createPGliteStorage(options: PGliteStorageOptions = {}): Promise<SqlStorage> {
  const settings = parseBackendOptions(OptionsSchema, options, 'PGlite storage')
  const ownsDatabase = settings.db === undefined
  let db: PGliteDatabase
  if (settings.db) db = settings.db
  else {
    const PGliteClass = await loadPGlite()
    try {
      db = await PGliteClass.create(settings.dataDir === undefined ? {} : { dataDir: settings.dataDir })
    } catch (error) {
      throw toStorageError(error)
    }
  }
  const storage = assembleStorage(createPGliteDriver(db, ownsDatabase), 'pglite')
  if (settings.migrate) {
    try {
      await storage.migrate()
    } catch (error) {
      await storage.close().catch(() => undefined)
      throw error
    }
  }
  return storage
}
