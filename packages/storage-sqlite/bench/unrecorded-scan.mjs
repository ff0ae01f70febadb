// Reconciliation's storage cost on a large SQLite log whose entries are all marked and recorded: the orphan query
// (`findUnrecordedLeaves`) while every mark is still there (the worst case), dropping the marks of recorded
// entries (`forgetRecordedMarks`, 1000 per transaction, as the reconciler does), and the query afterwards (the
// steady state: only entries signed since the last run are examined).
// Usage: node packages/storage-sqlite/bench/unrecorded-scan.mjs [entries=200000]   (after `pnpm build`)
import { createHash, randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { createSqliteStorage } from '../dist/index.js'

const entries = Number(process.argv[2] ?? 200_000)
const dir = await mkdtemp(join(tmpdir(), 'certus-unrecorded-'))
const path = join(dir, 'certus.db')
const storage = await createSqliteStorage({ path, migrate: true })
await storage.close()

// Filled with plain SQL in one transaction: the API would fsync per record and take far longer to set up.
const db = new DatabaseSync(path)
db.exec('BEGIN')
db.prepare(
  `INSERT INTO certus_log_trees (tree_id, origin, public_key_pem, key_algorithm, log_id, start_index, active, created_at)
   VALUES ('1', 'bench', 'pem', 'ecdsa-p256', ?, 0, 1, 0)`,
).run('ab'.repeat(32))
const leaf = db.prepare(
  `INSERT INTO certus_log_leaves (tree_id, leaf_index, leaf_hash, body, integrated_time, signed_entry_timestamp, search_keys)
   VALUES ('1', ?, ?, x'00', 1700000000, x'00', '["certus:record-due"]')`,
)
const key = db.prepare(
  `INSERT INTO certus_log_search_keys (search_key, tree_id, leaf_index) VALUES ('certus:record-due', '1', ?)`,
)
const record = db.prepare(
  `INSERT INTO certus_signed_artifacts (id, artifact_hash, artifact_type, subject, signature, bundle, transparency_entry_uuid, entry_uuid_key, log_index, integrated_time, log_id, created_at)
   VALUES (?, ?, 'file', 's', 'c2ln', '{}', ?, ?, ?, 1700000000, ?, 0)`,
)
for (let index = 0; index < entries; index += 1) {
  const hash = createHash('sha256').update(String(index)).digest()
  const hex = hash.toString('hex')
  leaf.run(index, hash)
  key.run(index)
  record.run(randomUUID(), `sha256:${hex}`, hex, hex, index, 'ab'.repeat(32))
}
db.exec('COMMIT')
db.close()

const reopened = await createSqliteStorage({ path })
const query = { searchKey: 'certus:record-due', integratedBefore: 1_800_000_000, limit: 100 }
for (let run = 0; run < 3; run += 1) {
  const started = performance.now()
  const found = await reopened.findUnrecordedLeaves(query)
  console.log(
    `${entries} marked and recorded entries: ${found.length} orphans found in ${(performance.now() - started).toFixed(0)} ms`,
  )
}
let started = performance.now()
let forgotten = 0
let slowestChunkMs = 0
for (;;) {
  const chunkStarted = performance.now()
  const chunk = await reopened.forgetRecordedMarks({ ...query, limit: 1000 })
  slowestChunkMs = Math.max(slowestChunkMs, performance.now() - chunkStarted)
  forgotten += chunk
  if (chunk < 1000) break
}
console.log(
  `forgetRecordedMarks: ${forgotten} marks dropped in ${(performance.now() - started).toFixed(0)} ms (slowest 1000-mark chunk ${slowestChunkMs.toFixed(0)} ms)`,
)
started = performance.now()
const found = await reopened.findUnrecordedLeaves(query)
console.log(
  `after forgetting: ${found.length} orphans found in ${(performance.now() - started).toFixed(1)} ms`,
)
await reopened.close()
await rm(dir, { recursive: true, force: true })
