import type { LogStorage } from '@certus-trust/storage'
import { createPGliteStorage, createPostgresStorage } from '@certus-trust/storage-postgres'
import { createScratchDatabase } from './databases.js'
import { runLogSuite } from './log-suite.js'
import { runRekorV2Suite } from './rekor-v2-suite.js'

runLogSuite({ name: 'PGlite (in-memory)', create: () => createPGliteStorage({ migrate: true }) })

// An unreachable server fails these tests loudly (no silent skip): PostgreSQL is part of CI.
const drops = new WeakMap<object, () => Promise<void>>()
runLogSuite({
  name: 'PostgreSQL',
  create: async () => {
    const database = await createScratchDatabase()
    const storage = await createPostgresStorage({
      connectionString: database.url,
      migrate: true,
      maxConnections: 4,
    })
    drops.set(storage, database.drop)
    return storage
  },
  destroy: async (storage: LogStorage) => {
    await (storage as LogStorage & { close(): Promise<void> }).close()
    await drops.get(storage)?.()
  },
})

runRekorV2Suite({
  name: 'PostgreSQL',
  create: async () => {
    const database = await createScratchDatabase()
    const storage = await createPostgresStorage({
      connectionString: database.url,
      migrate: true,
      maxConnections: 4,
    })
    drops.set(storage, database.drop)
    return storage
  },
  destroy: async (storage: LogStorage) => {
    await (storage as LogStorage & { close(): Promise<void> }).close()
    await drops.get(storage)?.()
  },
})
