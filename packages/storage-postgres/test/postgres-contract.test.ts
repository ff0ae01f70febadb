import { runStorageContract } from '@certus-trust/storage/testing'
import pg from 'pg'
import { afterAll, describe } from 'vitest'
import { createPostgresStorage, migrate } from '../src/index.js'
import { ALL_TABLES, createTestDatabase, postgresAvailable, type TestDatabase } from './helpers.js'

const reachable = await postgresAvailable('storage contract: postgres')

describe.skipIf(!reachable)('PostgreSQL server', () => {
  let database: TestDatabase | undefined
  let pool: pg.Pool | undefined

  // One database per run, migrated once; each contract test starts from empty tables.
  async function sharedPool(): Promise<pg.Pool> {
    if (!pool) {
      database = await createTestDatabase('contract')
      await migrate({ connectionString: database.url })
      pool = new pg.Pool({ connectionString: database.url, max: 8 })
      pool.on('error', () => undefined)
    }
    return pool
  }

  afterAll(async () => {
    await pool?.end()
    await database?.drop()
  })

  runStorageContract({
    name: 'postgres',
    create: async () => {
      const target = await sharedPool()
      await target.query(ALL_TABLES.map((table) => `DELETE FROM ${table};`).join('\n'))
      return createPostgresStorage({ pool: target })
    },
  })
})
