/**
 * Profiles in-process signing (sign + log append + record, 64 in flight) on one backend, for "where the time goes"
 * in docs/benchmarks.md. Only the measured window is profiled (after a warm-up), so start-up and module loading do
 * not blur the picture. Writes PROFILE (a `.cpuprofile`), then summarise it with `bench/profile-summary.ts`:
 *
 *   tsx bench/sign-profile.ts memory|embedded|postgres 5 /tmp/sign.cpuprofile && tsx bench/profile-summary.ts /tmp/sign.cpuprofile
 *
 * `postgres` uses a throwaway database on CERTUS_BENCH_DATABASE_URL (default the local server), dropped afterwards.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import { join } from 'node:path'
import { openTrustService, type StorageConfig } from '@certus-trust/service'
import { defaultStorageConfig } from '@certus-trust/service/storage'
import pg from 'pg'

const backend = process.argv[2] ?? 'memory'
const seconds = Number(process.argv[3] ?? 5)
const output = process.argv[4] ?? join(os.tmpdir(), `sign-${backend}.cpuprofile`)
const latency: Record<string, { calls: number; millis: number }> = {}
const dataDir = await mkdtemp(join(os.tmpdir(), 'certus-sign-profile-'))
const adminUrl = process.env.CERTUS_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const database = `certus_profile_${process.pid}`
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  await client.query(sql)
  await client.end()
}
let storage: StorageConfig
if (backend === 'postgres') {
  await admin(`create database ${database}`)
  const url = new URL(adminUrl)
  url.pathname = `/${database}`
  storage = { kind: 'postgres', connectionString: url.toString() }
} else storage = backend === 'memory' ? { kind: 'memory' } : defaultStorageConfig(dataDir)
const opened = await openTrustService(
  {
    dataDir,
    storage,
    signingKeyPath: join(dataDir, 'signing.key'),
    logKeyPath: join(dataDir, 'log.key'),
    keyless: { enabled: false },
    transparency: { mode: 'embedded' },
    databasePoolSize: 16,
    upstreamTimeoutMs: 10_000,
    upstreamRetries: 0,
    // As the server runs: CERTUS_TRUST_SIGNING_THREADS, else none (profiles the main thread's share).
    signingThreads: Number(process.env.CERTUS_TRUST_SIGNING_THREADS ?? 0),
  },
  {
    // Storage latency by operation (the service's own hook, as the server's metrics use it).
    observeStorageCall: async (labels, call) => {
      const started = performance.now()
      try {
        return await call()
      } finally {
        const entry = latency[labels.operation] ?? { calls: 0, millis: 0 }
        latency[labels.operation] = entry
        entry.calls += 1
        entry.millis += performance.now() - started
      }
    },
  },
)
const context = { requestId: 'profile', caller: 'profile' }
let next = 0
const run = async (millis: number): Promise<number> => {
  let done = 0
  const deadline = performance.now() + millis
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() < deadline) {
        const artifact = `sha256:${createHash('sha256').update(`profile ${next++}`).digest('hex')}`
        await opened.service.sign({ artifact, artifact_type: 'file', subject: 'profile' }, context)
        done += 1
      }
    }),
  )
  return done
}
await run(1000)
const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.start')
const done = await run(seconds * 1000)
const { profile } = await session.post('Profiler.stop')
await writeFile(output, JSON.stringify(profile))
for (const [operation, { calls, millis }] of Object.entries(latency).sort(
  (a, b) => b[1].millis - a[1].millis,
))
  process.stderr.write(`  ${operation}: ${calls} calls, mean ${(millis / calls).toFixed(2)} ms\n`)
process.stderr.write(`${backend}: ${done} signings, ${(done / seconds).toFixed(0)}/s; profile in ${output}\n`)
await opened.close()
if (backend === 'postgres') await admin(`drop database if exists ${database} with (force)`)
await rm(dataDir, { recursive: true, force: true })
