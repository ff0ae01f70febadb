// Storage benchmark: inserts/s and lookups-by-hash/s for the in-memory, PGlite and PostgreSQL backends,
// plus log leaves appended/s in locked batches. Run: `pnpm --filter @certus-trust/storage-postgres bench`.
// PostgreSQL: CERTUS_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); the benchmark
// creates and drops its own database. Sizes: CERTUS_BENCH_RECORDS (default 2000).
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryStorage, type Storage } from '@certus-trust/storage'
import pg from 'pg'
import { createPGliteStorage, createPostgresStorage } from '../src/index.js'

const BASE_RECORDS = Number(process.env.CERTUS_BENCH_RECORDS ?? 2000)
// The in-memory backend is ~100x faster: give it 10x the work so its timings are not lost in noise.
const MEMORY_SCALE = 10
const BATCH = 250
const ADMIN_URL = process.env.CERTUS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

const hashes = Array.from(
  { length: BASE_RECORDS * MEMORY_SCALE },
  (_, i) => `sha256:${createHash('sha256').update(`artifact-${i}`).digest('hex')}`,
)
const bundle = {
  mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  verificationMaterial: { publicKey: { hint: 'x'.repeat(64) } },
  messageSignature: { signature: randomBytes(72).toString('base64') },
}

async function timed(label: string, count: number, fn: () => Promise<void>): Promise<string> {
  const start = process.hrtime.bigint()
  await fn()
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return `${label}: ${Math.round(count / seconds).toLocaleString('en-US')}/s (${count} in ${seconds.toFixed(2)} s)`
}

async function bench(name: string, storage: Storage, concurrency: number, RECORDS: number): Promise<void> {
  const LOOKUPS = RECORDS
  const LEAVES = RECORDS * 5
  const results: string[] = []
  results.push(
    await timed('inserts (sequential)', RECORDS / 2, async () => {
      for (let i = 0; i < RECORDS / 2; i++) {
        await storage.saveSignedArtifact({
          artifactHash: hashes[i]!,
          artifactType: 'file',
          subject: `file-${i}`,
          signature: 'MEUCIQ==',
          bundle,
        })
      }
    }),
  )
  results.push(
    await timed(`inserts (${concurrency} concurrent)`, RECORDS / 2, async () => {
      let next = RECORDS / 2
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < RECORDS) {
            const i = next++
            await storage.saveSignedArtifact({
              artifactHash: hashes[i]!,
              artifactType: 'file',
              subject: `file-${i}`,
              signature: 'MEUCIQ==',
              bundle,
            })
          }
        }),
      )
    }),
  )
  results.push(
    await timed(`lookups by hash (${concurrency} concurrent)`, LOOKUPS, async () => {
      let next = 0
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < LOOKUPS) {
            const i = next++
            const page = await storage.listSignedArtifactsByHash(hashes[(i * 7919) % RECORDS]!, { limit: 10 })
            if (page.items.length !== 1) throw new Error('lookup missed')
          }
        }),
      )
    }),
  )
  await storage.createTree({
    treeId: '1',
    origin: 'bench',
    publicKeyPem: 'pem',
    keyAlgorithm: 'ed25519',
    logId: 'ab'.repeat(32),
    startIndex: 0,
    active: true,
    createdAt: new Date(),
  })
  results.push(
    await timed(`log leaves appended (batches of ${BATCH})`, LEAVES, async () => {
      for (let start = 0; start < LEAVES; start += BATCH) {
        await storage.withTreeLock('1', async (tx) => {
          const count = await tx.getLeafCount('1')
          await tx.appendLeaves(
            Array.from({ length: BATCH }, (_, i) => {
              const body = Buffer.from(`{"leaf":${start + i}}`)
              return {
                treeId: '1',
                leafIndex: count + i,
                leafHash: createHash('sha256').update(body).digest(),
                body,
                integratedTime: 1_700_000_000,
                signedEntryTimestamp: randomBytes(70),
                searchKeys: [`sha256:${(start + i).toString(16)}`],
              }
            }),
          )
        })
      }
    }),
  )
  console.log(`\n${name}`)
  for (const line of results) console.log(`  ${line}`)
}

console.log(
  `storage benchmark — Node ${process.version}, ${cpus().length} CPU(s); per backend: N inserts (half sequential, half concurrent), N lookups, 5N leaves`,
)

const memory = createMemoryStorage()
await bench(`memory (N=${BASE_RECORDS * MEMORY_SCALE})`, memory, 8, BASE_RECORDS * MEMORY_SCALE)
await memory.close()

const dataDir = mkdtempSync(join(tmpdir(), 'certus-bench-pglite-'))
try {
  const pglite = await createPGliteStorage({ dataDir, migrate: true })
  await bench(`pglite, data dir in tmpdir (N=${BASE_RECORDS})`, pglite, 8, BASE_RECORDS)
  await pglite.close()
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}

const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 })
try {
  await admin.connect()
} catch {
  console.warn('\npostgres: server unreachable — NOT measured (set CERTUS_TEST_DATABASE_URL)')
  process.exit(0)
}
const database = `certus_bench_${process.pid}`
await admin.query(`CREATE DATABASE ${database}`)
try {
  const url = new URL(ADMIN_URL)
  url.pathname = `/${database}`
  const postgres = await createPostgresStorage({
    connectionString: url.toString(),
    migrate: true,
    maxConnections: 8,
  })
  await bench(`postgres, pool of 8, server on the same host (N=${BASE_RECORDS})`, postgres, 8, BASE_RECORDS)
  await postgres.close()
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.end()
}
