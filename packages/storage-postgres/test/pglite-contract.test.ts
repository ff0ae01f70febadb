import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runStorageContract } from '@certus-trust/storage/testing'
import { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll } from 'vitest'
import { createPGliteStorage } from '../src/index.js'
import { ALL_TABLES } from './helpers.js'

const dataDir = mkdtempSync(join(tmpdir(), 'certus-pglite-contract-'))
let db: PGlite | undefined

// One embedded database for the file (start-up takes seconds on a busy machine); each test starts from empty tables.
beforeAll(async () => {
  db = await PGlite.create({ dataDir })
  await (await createPGliteStorage({ db, migrate: true })).close()
}, 120_000)

afterAll(async () => {
  await db?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

runStorageContract({
  name: 'pglite',
  create: async () => {
    // DELETE, not TRUNCATE: on tiny tables it avoids new relation files, which PGlite writes to disk.
    await db!.exec(ALL_TABLES.map((table) => `DELETE FROM ${table};`).join('\n'))
    return createPGliteStorage({ db: db! })
  },
})
