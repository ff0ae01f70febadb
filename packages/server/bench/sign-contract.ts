/**
 * The signing benchmark behind `pnpm --silent bench:sign --json`. Everything is measured in one run, next to
 * its baseline, because absolute numbers on a shared 2-core machine move between runs while ratios stay put:
 *
 * - `floor_per_s`: raw `node:crypto` P-256 work per log entry on one core — sign (the artifact signature),
 *   verify (the log's check of it), sign (the SET) — the crypto floor of one signing.
 * - `memory_per_s`, `embedded_per_s`, `postgres_per_s`: the service's idempotent sign + log append + record,
 *   in process, 64 in flight, on in-memory storage, the embedded default backend of a data directory, and a
 *   throwaway PostgreSQL database (`CERTUS_BENCH_DATABASE_URL`, default the local server).
 * - `http_sign_per_s`, `http_sign_p99_ms`, `http_verify_per_s`: `POST /v1/sign` with `sha256:` digests and
 *   `POST /v1/verify` over HTTP, 64 connections, memory storage; each load has a server process of its own (started
 *   exactly as `pnpm start` starts it), so the load generator does not share its event loop.
 * - `inprocess_verify_per_s`: the same verify call in process, 64 in flight, on the calling thread alone
 *   (`verifyThreads: 0`): the one-core cost of verification, a baseline like `floor_per_s`. The HTTP server verifies
 *   on worker threads (`CERTUS_TRUST_VERIFY_THREADS`, default one per core), so issue 12's bar, `http_verify_per_s`
 *   ≥ 0.8 × this, is the HTTP stack's price measured against one core's verification rate.
 *
 * Each cell runs in a fresh process of its own (the floor in this one, first), so that no cell, and no load generator,
 * pays for another's garbage. After every in-process run the benchmark checks the log's promise: entries appended =
 * signings acknowledged = records stored. Human-readable tables go to stderr; with `--json` the last stdout line is one JSON object.
 *
 *   pnpm --silent bench:sign --json        (CERTUS_BENCH_SECONDS=3 per cell by default)
 */
import { spawn } from 'node:child_process'
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type OpenedTrustService,
  openTrustService,
  type ServiceConfig,
  type StorageConfig,
} from '@certus-trust/service'
import { defaultStorageConfig } from '@certus-trust/service/storage'
import { defaultSigningThreadCount } from '@certus-trust/signer'
import pg from 'pg'
import { type LoadResult, runLoad } from '../test/load-runner.js'
import { benchRequest, startServerProcess } from './server-process.js'

const SECONDS = Number(process.env.CERTUS_BENCH_SECONDS ?? 3)
const SIGNING_THREADS = Number(process.env.CERTUS_TRUST_SIGNING_THREADS ?? defaultSigningThreadCount())
const IN_FLIGHT = 64
const DATABASE_URL = process.env.CERTUS_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const json = process.argv.includes('--json')
const report = (line: string) => process.stderr.write(`${line}\n`)
const context = { requestId: 'bench', caller: 'bench' }

function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`
}

/** Raw node:crypto P-256 sign + verify + sign per entry, one core, for `SECONDS`. */
function cryptoFloor(): number {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const entry = randomBytes(256)
  const deadline = performance.now() + SECONDS * 1000
  const started = performance.now()
  let count = 0
  while (performance.now() < deadline) {
    const signature = sign('sha256', entry, privateKey)
    if (!verify('sha256', entry, publicKey, signature)) throw new Error('floor: signature did not verify')
    sign('sha256', signature, privateKey)
    count += 1
  }
  return count / ((performance.now() - started) / 1000)
}

/** Runs `operation` with `IN_FLIGHT` callers for `seconds`; returns completed operations per second. */
async function inFlight(
  operation: (index: number) => Promise<unknown>,
  seconds = SECONDS,
): Promise<{ perSecond: number; done: number }> {
  let next = 0
  let done = 0
  const started = performance.now()
  const deadline = started + seconds * 1000
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < deadline) {
        await operation(next++)
        done += 1
      }
    }),
  )
  return { perSecond: done / ((performance.now() - started) / 1000), done }
}

function serviceConfig(dataDir: string, storage: StorageConfig): ServiceConfig {
  return {
    dataDir,
    storage,
    signingKeyPath: join(dataDir, 'signing.key'),
    logKeyPath: join(dataDir, 'log.key'),
    keyless: { enabled: false },
    transparency: { mode: 'embedded' },
    databasePoolSize: 16,
    upstreamTimeoutMs: 10_000,
    upstreamRetries: 0,
    // As the server runs by default: digest signatures on the other core(s).
    signingThreads: SIGNING_THREADS,
    // Verification on the calling thread: `inprocess_verify_per_s` is the one-core baseline (see the header).
    verifyThreads: 0,
  }
}

/** Counts what the run left behind, to prove entries = acknowledged signings = records. */
async function checkInvariants(
  opened: OpenedTrustService,
  acknowledged: number,
  label: string,
): Promise<void> {
  const logSize = (await opened.log?.getLogInfo())?.treeSize
  let records = 0
  let cursor: string | undefined
  do {
    const page = await opened.storage.listSignedArtifacts({ limit: 1000, ...(cursor ? { cursor } : {}) })
    records += page.items.length
    cursor = page.nextCursor
  } while (cursor)
  if (Number(logSize) !== acknowledged || records !== acknowledged) {
    throw new Error(
      `${label}: ${acknowledged} signings acknowledged but ${logSize} log entries and ${records} records`,
    )
  }
}

/** In-process sign + log append + record on one backend. */
async function signInProcess(
  label: string,
  storage: (dataDir: string) => Promise<StorageConfig>,
): Promise<number> {
  const dataDir = await mkdtemp(join(os.tmpdir(), `certus-bench-sign-${label}-`))
  const opened = await openTrustService(serviceConfig(dataDir, await storage(dataDir)))
  try {
    const signOne = (name: string) =>
      opened.service.sign({ artifact: digestOf(name), artifact_type: 'file', subject: 'bench' }, context)
    // Warm up (JIT, key tables, connection pool) before the clock starts; these count toward the invariants.
    const warmup = 2 * IN_FLIGHT
    await Promise.all(Array.from({ length: warmup }, (_, index) => signOne(`${label} warm-up ${index}`)))
    const run = await inFlight((index) => signOne(`${label} ${index}`))
    await checkInvariants(opened, warmup + run.done, label)
    report(`${label}: ${run.done} signings, ${run.perSecond.toFixed(0)}/s (entries = signings = records)`)
    return run.perSecond
  } finally {
    await opened.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

async function throwawayDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `certus_bench_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(DATABASE_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: DATABASE_URL })
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
    },
  }
}

/** Runs `load` against a server process of its own (memory storage, what `pnpm start` runs), then stops it. */
async function withServer<T>(load: (url: string) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(join(os.tmpdir(), 'certus-bench-http-'))
  const { url, child } = await startServerProcess(dataDir)
  try {
    return await load(url)
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
    await rm(dataDir, { recursive: true, force: true })
  }
}

function failuresOf(name: string, result: LoadResult): string[] {
  return result.errors + result.non2xx + result.timeouts > 0
    ? [`${name}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`]
    : []
}

/** `POST /v1/sign` of fresh `sha256:` digests, 64 connections: requests per second and p99 latency. */
function httpSign(): Promise<{ sign: number; signP99: number }> {
  return withServer(async (url) => {
    const request = await benchRequest(url, 'sign')
    // One second of warm-up (JIT, key tables) before the measured run.
    const warmup = await runLoad(url, request, { seconds: 1, connections: IN_FLIGHT })
    const sign = await runLoad(url, request, { seconds: SECONDS, connections: IN_FLIGHT })
    const failures = failuresOf('sign', sign)
    await checkHttpLog(url, warmup['2xx'] + sign['2xx'], failures)
    if (failures.length > 0) throw new Error(`HTTP sign benchmark had failures: ${failures.join('; ')}`)
    return { sign: sign.requests.average, signP99: sign.latency.p99 }
  })
}

/**
 * `POST /v1/verify` of one bundle the server signs first, 64 connections, on a server of its own: like the
 * in-process verify's fresh service, it holds one record, not the ~10,000 the sign load leaves in memory storage.
 */
function httpVerify(): Promise<{ verify: number }> {
  return withServer(async (url) => {
    const request = await benchRequest(url, 'verify')
    // A failed verification is also a 200: the load below must measure verifications that succeed.
    const verdict = (await fetch(`${url}${request.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: request.body?.(),
    }).then((response) => response.json())) as { valid?: boolean }
    if (verdict.valid !== true)
      throw new Error(`HTTP verify: the benchmark's bundle did not verify (${JSON.stringify(verdict)})`)
    // One second of warm-up here too: the verification threads start on the first loaded turn, and each compiles
    // its own code (issue 12, eighth session: without it the measured run paid their start and JIT).
    await runLoad(url, request, { seconds: 1, connections: IN_FLIGHT })
    const verify = await runLoad(url, request, { seconds: SECONDS, connections: IN_FLIGHT })
    const failures = failuresOf('verify', verify)
    if (failures.length > 0) throw new Error(`HTTP verify benchmark had failures: ${failures.join('; ')}`)
    return { verify: verify.requests.average }
  })
}

/**
 * Every acknowledged HTTP signing is in the log. Each autocannon run (warm-up and measured) may stop with up to one
 * request per connection sent but unanswered; the server still completes those, so the log may hold that many more.
 */
async function checkHttpLog(url: string, acknowledged: number, failures: string[]): Promise<void> {
  const info = (await fetch(`${url}/api/v1/log`).then((response) => response.json())) as { treeSize?: number }
  const logged = Number(info.treeSize)
  if (!(logged >= acknowledged && logged <= acknowledged + 2 * IN_FLIGHT)) {
    failures.push(`HTTP sign: ${acknowledged} signings acknowledged but ${logged} log entries`)
  } else {
    report(
      `HTTP sign: ${acknowledged} acknowledged, ${logged} log entries (≤ ${2 * IN_FLIGHT} unanswered at the two stops)`,
    )
  }
}

/** The verify call the HTTP benchmark makes, in process on memory storage, 64 in flight. */
async function verifyInProcess(): Promise<number> {
  const dataDir = await mkdtemp(join(os.tmpdir(), 'certus-bench-verify-'))
  const opened = await openTrustService(serviceConfig(dataDir, { kind: 'memory' }))
  try {
    const artifact = digestOf('in-process verify')
    const signed = await opened.service.sign({ artifact, artifact_type: 'file', subject: 'bench' }, context)
    const request = { artifact, bundle: signed.bundle }
    const verifyOne = async () => {
      const result = await opened.service.verify(request as never, context)
      if (!result.valid) throw new Error('in-process verify: bundle did not verify')
    }
    // One second of warm-up, as for the HTTP verify: JIT, chain and key caches.
    await inFlight(verifyOne, 1)
    return (await inFlight(verifyOne)).perSecond
  } finally {
    await opened.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

/** The cells, each measured in a fresh process of its own (see {@link runCell}). */
const CELLS = {
  memory: async () => ({ memory: await signInProcess('memory', async () => ({ kind: 'memory' })) }),
  embedded: async () => ({
    embedded: await signInProcess('embedded', async (dataDir) => defaultStorageConfig(dataDir)),
  }),
  postgres: async () => {
    const database = await throwawayDatabase()
    try {
      return {
        postgres: await signInProcess('postgres', async () => ({
          kind: 'postgres',
          connectionString: database.url,
        })),
      }
    } finally {
      await database.drop()
    }
  },
  verify: async () => {
    const inprocessVerify = await verifyInProcess()
    report(`in-process verify: ${inprocessVerify.toFixed(0)}/s`)
    return { inprocessVerify }
  },
  'http-sign': async () => {
    const http = await httpSign()
    report(`HTTP sign: ${http.sign.toFixed(0)} req/s (p99 ${http.signP99} ms)`)
    return http
  },
  'http-verify': async () => {
    const http = await httpVerify()
    report(`HTTP verify: ${http.verify.toFixed(0)} req/s`)
    return http
  },
} satisfies Record<string, () => Promise<Record<string, number>>>

/**
 * Runs one cell in a fresh process (this file with `--cell NAME`, under the same loader) and reads its figures from
 * its last stdout line. Each cell gets a heap of its own: run in one process, a cell paid for the garbage the cells
 * before it left (eleventh session: major GCs of 11–30 ms in the benchmark's process during the HTTP sign load, where
 * autocannon runs, counted as the server's latency; in alternating runs the effect stayed inside the host's noise).
 */
async function runCell(name: keyof typeof CELLS): Promise<Record<string, number>> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--cell', name],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  const last = stdout.trim().split('\n').pop() ?? ''
  if (code !== 0 || !last.startsWith('{'))
    throw new Error(`bench:sign cell ${name} failed (exit code ${code})`)
  return JSON.parse(last) as Record<string, number>
}

async function main(): Promise<void> {
  report(
    `# bench:sign — Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ` +
      `load ${os.loadavg()[0]?.toFixed(1)}, ${SECONDS}s per cell, ${IN_FLIGHT} in flight, ${SIGNING_THREADS} signing thread(s), ` +
      'each cell in a fresh process\n',
  )
  const floor = cryptoFloor()
  report(`crypto floor (P-256 sign + verify + sign, one core): ${floor.toFixed(0)}/s`)
  const { memory } = await runCell('memory')
  const { embedded } = await runCell('embedded')
  const { postgres } = await runCell('postgres')
  const { inprocessVerify } = await runCell('verify')
  const http = { ...(await runCell('http-sign')), ...(await runCell('http-verify')) }

  const result = {
    floor_per_s: Math.round(floor),
    memory_per_s: Math.round(memory!),
    embedded_per_s: Math.round(embedded!),
    postgres_per_s: Math.round(postgres!),
    http_sign_per_s: Math.round(http.sign!),
    http_sign_p99_ms: http.signP99!,
    http_verify_per_s: Math.round(http.verify!),
    inprocess_verify_per_s: Math.round(inprocessVerify!),
  }
  report('\n| measure | per s | ÷ floor |\n|---|---:|---:|')
  for (const [name, value] of Object.entries(result)) {
    if (name.endsWith('_per_s'))
      report(`| ${name} | ${value} | ${(value / result.floor_per_s).toFixed(2)}× |`)
  }
  report(`| http_sign_p99_ms | ${result.http_sign_p99_ms} | |`)
  report(`| http verify ÷ in-process verify | | ${(http.verify! / inprocessVerify!).toFixed(2)}× |`)
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`)
}

const cell = process.argv.includes('--cell') ? process.argv[process.argv.indexOf('--cell') + 1] : undefined
if (cell === undefined) await main()
else if (Object.hasOwn(CELLS, cell))
  process.stdout.write(`${JSON.stringify(await CELLS[cell as keyof typeof CELLS]())}\n`)
else throw new Error(`unknown cell ${cell}: expected one of ${Object.keys(CELLS).join(', ')}`)
