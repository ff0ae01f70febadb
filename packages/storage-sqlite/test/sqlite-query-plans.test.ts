import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqliteStorage } from '../src/index.js'
import { selectLeavesByHashSql, selectNodesSql } from '../src/log.js'
import { rejection, scratchDirectory } from './helpers.js'

const scratch = scratchDirectory('query-plans')
afterAll(() => scratch.remove())

/** SQLite's plan for a statement, one line per step, on the migrated schema. */
function planOf(database: DatabaseSync, sql: string, params: Array<string | number | Uint8Array>): string {
  return database
    .prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...params)
    .map((row) => String(row.detail))
    .join('\n')
}

describe('log lookups by key probe the full key, whatever the log size', () => {
  it('looks leaves up through the (tree_id, leaf_hash) index and nodes through the whole primary key', async () => {
    const path = join(scratch.path, 'plans.db')
    const storage = await createSqliteStorage({ path, migrate: true })
    await storage.close()
    const database = new DatabaseSync(path, { readOnly: true })
    try {
      const hash = new Uint8Array(32)
      // 400 keys, as in one batch's duplicate check: a plan that walks the tree's leaves costs O(n) per batch.
      const leafPlan = planOf(
        database,
        selectLeavesByHashSql(400),
        Array.from({ length: 400 }, () => ['tree', hash]).flat(),
      )
      expect(leafPlan).toMatch(/SEARCH certus_log_leaves USING INDEX \S+ \(tree_id=\? AND leaf_hash=\?\)/)
      expect(leafPlan).not.toMatch(/SCAN certus_log_leaves|USING PRIMARY KEY \(tree_id=\?\)$/m)
      const nodePlan = planOf(database, selectNodesSql(400), [
        'tree',
        ...Array.from({ length: 400 }, (_, index) => [0, index]).flat(),
      ])
      expect(nodePlan).toMatch(
        /SEARCH certus_log_nodes USING PRIMARY KEY \(tree_id=\? AND level=\? AND node_index=\?\)/,
      )
    } finally {
      database.close()
    }
  })

  it('finds stored leaves across statements and refuses a later batch that repeats one', async () => {
    const storage = await createSqliteStorage({ path: join(scratch.path, 'duplicates.db'), migrate: true })
    const treeId = '1'
    await storage.createTree({
      treeId,
      origin: 'certus.test - 1',
      publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n',
      keyAlgorithm: 'ecdsa-p256',
      logId: 'ab'.repeat(32),
      startIndex: 0,
      active: true,
      createdAt: new Date(0),
    })
    const hashOf = (seed: number) =>
      new Uint8Array(32).fill(seed % 256).map((byte, at) => (at < 2 ? seed >> (8 * at) : byte))
    const leaf = (leafIndex: number, seed = leafIndex + 1) => ({
      treeId,
      leafIndex,
      leafHash: hashOf(seed),
      body: new Uint8Array([leafIndex % 256]),
      integratedTime: 1,
      signedEntryTimestamp: new Uint8Array([1]),
      searchKeys: [],
    })
    // More leaves than one statement's 400 keys, so the lookup spans chunks.
    await storage.withTreeLock(treeId, (tx) =>
      tx.appendLeaves(Array.from({ length: 900 }, (_, index) => leaf(index))),
    )
    const found = await storage.withTreeLock(treeId, (tx) =>
      tx.getLeavesByHash(treeId, [
        ...Array.from({ length: 500 }, (_, index) => hashOf(5000 + index)),
        hashOf(8),
        hashOf(851),
      ]),
    )
    expect(found.map((entry) => entry.leafIndex)).toEqual([7, 850])
    const error = await rejection(
      storage.withTreeLock(treeId, (tx) => tx.appendLeaves([leaf(900), leaf(901, 124)])),
    )
    expect(error.code).toBe('STORAGE_CONFLICT')
    expect(await storage.getLeafCount(treeId)).toBe(900)
    await storage.close()
  })
})
