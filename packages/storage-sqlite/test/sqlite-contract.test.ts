import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runStorageContract } from '@certus-trust/storage/testing'
import { afterAll } from 'vitest'
import { createSqliteStorage } from '../src/index.js'

// A fresh database file per test: creating and migrating one takes milliseconds, so no state is shared.
const directory = mkdtempSync(join(tmpdir(), 'certus-sqlite-contract-'))
let counter = 0

afterAll(() => rmSync(directory, { recursive: true, force: true }))

runStorageContract({
  name: 'sqlite',
  create: () => createSqliteStorage({ path: join(directory, `contract-${++counter}.db`), migrate: true }),
})
