/**
 * A/B of in-process signing between two builds of the repository, in one process, to cancel the load of a shared
 * machine: both builds' `@certus-trust/service` are loaded side by side and sign (sign + log append + record, 64 in
 * flight, `sha256:` digests) in alternating slices; per round it compares the signing rate and the process CPU time
 * per signing (what other processes' load disturbs least), and prints the medians of the per-round ratios.
 *
 *   tsx bench/sign-ab.ts <before-repo> <after-repo> [memory|embedded|postgres] [rounds] [slice-ms]
 *
 * postgres: one throwaway database per side on CERTUS_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const [beforeRepo, afterRepo, backend = 'memory', roundsText = '8', sliceText = '1500'] =
  process.argv.slice(2)
if (!beforeRepo || !afterRepo)
  throw new Error('usage: sign-ab.ts <before-repo> <after-repo> [backend] [rounds] [ms]')
const rounds = Number(roundsText)
const sliceMs = Number(sliceText)

type Service = {
  service: { sign(request: unknown, context: unknown): Promise<unknown> }
  close(): Promise<void>
}

const ADMIN_URL = process.env.CERTUS_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const databases: string[] = []

/** A throwaway database for one side of a postgres run (dropped at the end). */
async function database(label: string): Promise<string> {
  const pg = (await import('pg')).default
  const name = `certus_sign_ab_${label}_${process.pid}`
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  await admin.query(`drop database if exists ${name} with (force)`)
  await admin.query(`create database ${name}`)
  await admin.end()
  databases.push(name)
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return url.toString()
}

async function storageFor(label: string, dataDir: string): Promise<unknown> {
  if (backend === 'memory') return { kind: 'memory' }
  if (backend === 'postgres') return { kind: 'postgres', connectionString: await database(label) }
  return { kind: 'sqlite', path: join(dataDir, 'certus.db') }
}

async function open(repo: string, label: string): Promise<{ opened: Service; dataDir: string }> {
  const entry = pathToFileURL(resolve(repo, 'packages/service/dist/index.js')).href
  const module = (await import(entry)) as {
    openTrustService(config: unknown): Promise<Service>
  }
  const dataDir = await mkdtemp(join(os.tmpdir(), `certus-sign-ab-${label}-`))
  const opened = await module.openTrustService({
    dataDir,
    storage: await storageFor(label, dataDir),
    signingKeyPath: join(dataDir, 'signing.key'),
    logKeyPath: join(dataDir, 'log.key'),
    keyless: { enabled: false },
    transparency: { mode: 'embedded' },
    databasePoolSize: 16,
    upstreamTimeoutMs: 10_000,
    upstreamRetries: 0,
    signingThreads: Number(process.env.CERTUS_TRUST_SIGNING_THREADS ?? 0),
  })
  return { opened, dataDir }
}

let next = 0
async function slice(opened: Service, millis: number): Promise<{ rate: number; cpuMicros: number }> {
  let done = 0
  const cpu = process.cpuUsage()
  const started = performance.now()
  const deadline = started + millis
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() < deadline) {
        const artifact = `sha256:${createHash('sha256').update(`ab ${next++}`).digest('hex')}`
        await opened.service.sign(
          { artifact, artifact_type: 'file', subject: 'ab' },
          { requestId: 'ab', caller: 'ab' },
        )
        done += 1
      }
    }),
  )
  const used = process.cpuUsage(cpu)
  return { rate: done / ((performance.now() - started) / 1000), cpuMicros: (used.user + used.system) / done }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const before = await open(beforeRepo, 'before')
const after = await open(afterRepo, 'after')
await slice(before.opened, 1000)
await slice(after.opened, 1000)
const rates: number[] = []
const cpus: number[] = []
const beforeCpu: number[] = []
const afterCpu: number[] = []
const rows: string[] = []
for (let round = 0; round < rounds; round++) {
  const a = await slice(before.opened, sliceMs)
  const b = await slice(after.opened, sliceMs)
  rates.push(b.rate / a.rate)
  cpus.push(b.cpuMicros / a.cpuMicros)
  beforeCpu.push(a.cpuMicros)
  afterCpu.push(b.cpuMicros)
  rows.push(
    `${a.rate.toFixed(0)}/s ${a.cpuMicros.toFixed(0)} µs → ${b.rate.toFixed(0)}/s ${b.cpuMicros.toFixed(0)} µs`,
  )
}
for (const row of rows) process.stderr.write(`  ${row}\n`)
process.stdout.write(
  `${backend}, load ${os.loadavg()[0]?.toFixed(1)}: rate after÷before ${median(rates).toFixed(2)}, ` +
    `CPU per signing after÷before ${median(cpus).toFixed(2)} ` +
    `(medians ${median(beforeCpu).toFixed(0)} → ${median(afterCpu).toFixed(0)} µs)\n`,
)
await before.opened.close()
await after.opened.close()
await rm(before.dataDir, { recursive: true, force: true })
await rm(after.dataDir, { recursive: true, force: true })
if (databases.length > 0) {
  const pg = (await import('pg')).default
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  for (const name of databases) await admin.query(`drop database if exists ${name} with (force)`)
  await admin.end()
}
