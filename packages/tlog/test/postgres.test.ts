import type { LogStorage } from '@certus-trust/storage'
import { createPGliteStorage, createPostgresStorage } from '@certus-trust/storage-postgres'
import { afterAll, beforeAll } from 'vitest'
import { clearTables, createScratchDatabase, openPGlite, type SharedPGlite } from './databases.js'
import { runLogSuite } from './log-suite.js'
import { runRekorV2Suite } from './rekor-v2-suite.js'

// One database per backend for the whole file, emptied before each test: no per-test cold start (a PGlite start
// takes seconds on a busy 2-core machine, and was this suite's source of hook timeouts).
let pglite: SharedPGlite | undefined
let postgres: Awaited<ReturnType<typeof createScratchDatabase>> | undefined

beforeAll(async () => {
  pglite = await openPGlite()
  await (await createPGliteStorage({ db: pglite.db, migrate: true })).close()
  // An unreachable server fails these tests loudly (no silent skip): PostgreSQL is part of CI.
  postgres = await createScratchDatabase()
  await (await createPostgresStorage({ connectionString: postgres.url, migrate: true })).close()
}, 120_000)

afterAll(async () => {
  await pglite?.close()
  await postgres?.drop()
})

runLogSuite({
  name: 'PGlite (in-memory)',
  create: async () => {
    await pglite!.clear()
    return createPGliteStorage({ db: pglite!.db })
  },
})

async function freshPostgresStorage(): Promise<LogStorage> {
  await clearTables(postgres!.url)
  return createPostgresStorage({ connectionString: postgres!.url, maxConnections: 4 })
}

runLogSuite({ name: 'PostgreSQL', create: freshPostgresStorage })
runRekorV2Suite({ name: 'PostgreSQL', create: freshPostgresStorage })
