/**
 * Benchmark of the embedded transparency log.  Run: `pnpm --filter @certus-trust/tlog bench`
 * (node --expose-gc --import tsx bench/tlog.bench.ts [--max 1000000] [--postgres postgres://…]
 * [--only full,raw,scaling,postgres] [--backends memory,sqlite,postgres] [--window 1000] [--budget-minutes 12]).
 *
 * Sections: (1) full createEntry (zod + signature check + batch append) single and concurrent; (2) scaling of the
 * append and proof paths with pre-validated entries at 10^3 … 10^6 leaves on each `--backends` store (default
 * memory; PostgreSQL in a scratch database on `--postgres`, else the local server), with storage reads per proof,
 * heap per entry and the ratio of the largest size's append cost to 10^3's; (3) the raw cost of the same hashing and signatures without the log, measured in the same run;
 * (4) PostgreSQL, when a database URL is given and @certus-trust/storage-postgres is available.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { PerformanceObserver } from 'node:perf_hooks'
import { canonicalJson } from '@certus-trust/core'
import { hashChildren, hashLeaf, signCheckpoint, signSignedEntryTimestamp } from '@certus-trust/log-protocol'
import { createMemoryStorage, type LogStorage } from '@certus-trust/storage'
import type { ValidatedEntry } from '../src/entry-validation.js'
import { createTransparencyLog, openTransparencyLog, type TransparencyLog } from '../src/transparency-log.js'
import { hashedRekordEntry, p256Signer } from '../test/entries.js'

const args = process.argv.slice(2)
const argument = (name: string) => {
  const position = args.indexOf(`--${name}`)
  return position >= 0 ? args[position + 1] : undefined
}
const maxSize = Number(argument('max') ?? 1_000_000)
const postgresUrl = argument('postgres') ?? process.env.CERTUS_BENCH_DATABASE_URL
const sections = new Set((argument('only') ?? 'full,raw,scaling,postgres').split(','))
const gc = (globalThis as { gc?: () => void }).gc

const results: string[] = []
const report = (line: string) => {
  results.push(line)
  console.log(line)
}
const rate = (count: number, ms: number) => `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`

// A realistic hashedrekord body (~560 bytes) with a random digest; the internal validator skips signature checks so
// that sections 2 and 4 measure the log itself.
const signerPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString()
const fakeSignature = randomBytes(71).toString('base64')
function syntheticEntry(): ValidatedEntry {
  const digest = randomBytes(32).toString('hex')
  const body = new Uint8Array(
    Buffer.from(
      canonicalJson({
        apiVersion: '0.0.1',
        kind: 'hashedrekord',
        spec: {
          data: { hash: { algorithm: 'sha256', value: digest } },
          signature: {
            content: fakeSignature,
            publicKey: { content: Buffer.from(signerPem).toString('base64') },
          },
        },
      }),
    ),
  )
  return {
    kind: 'hashedrekord',
    apiVersion: '0.0.1',
    body,
    leafHash: hashLeaf(body),
    searchKeys: [`sha256:${digest}`],
  }
}
const passThrough = async (proposed: unknown) => proposed as ValidatedEntry

/** Counts storage reads, to show proofs read O(log n) nodes. */
function countingStorage(inner: LogStorage) {
  const counters = { nodeKeys: 0, leafHashCalls: 0 }
  const proxy = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (property === 'getNodes') {
        return (treeId: string, keys: ReadonlyArray<{ level: number; index: number }>) => {
          counters.nodeKeys += keys.length
          return target.getNodes(treeId, keys)
        }
      }
      if (property === 'getLeafHashes') {
        return (treeId: string, start: number, end: number) => {
          counters.leafHashCalls++
          return target.getLeafHashes(treeId, start, end)
        }
      }
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { storage: proxy, counters }
}

async function appendConcurrently(
  log: TransparencyLog,
  count: number,
  concurrency: number,
  make: () => unknown,
) {
  let remaining = count
  const worker = async () => {
    while (remaining > 0) {
      remaining--
      await log.createEntry(make())
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

// CPU time as well as wall time: the benchmark machine is shared, so wall time includes other people's load.
async function timed<T>(operation: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
  const start = performance.now()
  const cpu = process.cpuUsage()
  const value = await operation()
  const used = process.cpuUsage(cpu)
  return { ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000, value }
}

async function fullPath(storageName: string, makeStorage: () => Promise<LogStorage>) {
  report(`\n### Full createEntry path (${storageName}; P-256 hashedrekord, zod + signature check + append)`)
  const prepared = Array.from({ length: 3000 }, () => hashedRekordEntry().proposed)
  let next = 0
  const take = () => prepared[next++ % prepared.length]!
  {
    const log = await createTransparencyLog({ storage: await makeStorage() })
    const { ms, cpuMs } = await timed(async () => {
      for (let index = 0; index < 500; index++) await log.createEntry(take())
    })
    report(
      `- single client, sequential: 500 appends in ${ms.toFixed(0)} ms (CPU ${cpuMs.toFixed(0)} ms) → ${rate(500, ms)}`,
    )
    await log.close()
  }
  {
    const log = await createTransparencyLog({ storage: await makeStorage() })
    const { ms, cpuMs } = await timed(() => appendConcurrently(log, 2000, 64, take))
    report(
      `- 64 concurrent clients: 2000 appends in ${ms.toFixed(0)} ms (CPU ${cpuMs.toFixed(0)} ms) → ${rate(2000, ms)}`,
    )
    await log.close()
  }
  // The entries above each carry a fresh key, so rekor's per-key point cache never hits. A CI signer reuses one key;
  // and a caller holding the artifact lets the signature be checked over it with node:crypto.
  const signer = p256Signer()
  const sameKey = Array.from({ length: 1000 }, () => hashedRekordEntry(signer))
  for (const withArtifact of [false, true]) {
    const log = await createTransparencyLog({ storage: await makeStorage() })
    const { ms, cpuMs } = await timed(async () => {
      for (let index = 0; index < 500; index++) {
        const entry = sameKey[index + (withArtifact ? 500 : 0)]!
        await log.createEntry(entry.proposed, withArtifact ? { artifact: entry.artifact } : {})
      }
    })
    const label = withArtifact
      ? 'one signer key, artifact supplied (node:crypto over the artifact)'
      : 'one signer key (cached point + wNAF table over the digest)'
    report(
      `- single client, sequential, ${label}: 500 appends in ${ms.toFixed(0)} ms (CPU ${cpuMs.toFixed(0)} ms) → ${rate(500, ms)}`,
    )
    await log.close()
  }
}

/** A storage backend the scaling section runs on: a fresh, empty store per call. */
interface ScalingBackend {
  name: string
  open(): Promise<{
    storage: LogStorage
    close(): Promise<void>
    /** What the store occupies (file size, database size and cache), printed after the table. */
    describe(): Promise<string>
    /** CPU ms used so far by the database server processes serving this store, when they are visible. */
    serverCpuMs?(): Promise<number>
  }>
}

const memoryBackend: ScalingBackend = {
  name: 'memory',
  open: async () => ({
    storage: createMemoryStorage(),
    close: async () => {},
    describe: async () => 'in-process heap (see heap bytes per entry)',
  }),
}

const sqliteBackend: ScalingBackend = {
  name: 'sqlite',
  async open() {
    const { createSqliteStorage } = await import('@certus-trust/storage-sqlite')
    const directory = await mkdtemp(join(os.tmpdir(), 'certus-tlog-bench-'))
    const path = join(directory, 'certus.db')
    const storage = await createSqliteStorage({ path, migrate: true })
    return {
      storage,
      close: async () => {
        await storage.close()
        await rm(directory, { recursive: true, force: true })
      },
      async describe() {
        const sizes = await Promise.all(
          ['', '-wal'].map((suffix) =>
            stat(`${path}${suffix}`).then(
              (file) => file.size,
              () => 0,
            ),
          ),
        )
        return `file ${mebibytes(sizes[0]!)}, WAL ${mebibytes(sizes[1]!)} (node:sqlite defaults: 4 KiB pages, 2 MiB page cache per connection; the rest is the OS page cache)`
      },
    }
  },
}

const postgresBackend: ScalingBackend = {
  name: 'postgres',
  async open() {
    const { createPostgresStorage } = await import('@certus-trust/storage-postgres')
    const { createScratchDatabase, queryDatabase } = await import('../test/databases.js')
    const database = await createScratchDatabase(postgresUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres')
    const storage = await createPostgresStorage({
      connectionString: database.url,
      migrate: true,
      maxConnections: 8,
    })
    const name = new URL(database.url).pathname.slice(1)
    return {
      storage,
      close: async () => {
        await storage.close()
        await database.drop()
      },
      async describe() {
        const [row] = await queryDatabase(
          database.url,
          `SELECT pg_size_pretty(pg_database_size(current_database())) AS database,
            (SELECT pg_size_pretty(sum(pg_indexes_size(c.oid))) FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind = 'r' AND n.nspname = current_schema()) AS indexes,
            current_setting('shared_buffers') AS shared_buffers, version() AS version`,
        )
        return `database ${row?.database}, of it indexes ${row?.indexes}; shared_buffers ${row?.shared_buffers}; ${String(row?.version).split(' on ')[0]}`
      },
      // The server's backends for this database, read from /proc (same host): CPU the node process does not see.
      async serverCpuMs() {
        const rows = await queryDatabase(
          database.url,
          `SELECT pid FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`,
        )
        let ticks = 0
        for (const row of rows) {
          const text = await readFile(`/proc/${row.pid}/stat`, 'utf8').catch(() => '')
          const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
          ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0)
        }
        return ticks * 10 // USER_HZ = 100 on Linux
      },
    }
  },
}

const mebibytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`

/**
 * Per-append and per-proof cost at 10^3 … 10^6 leaves on one backend: grows one log with pre-validated entries (256
 * concurrent callers), and at each size times the next `window` appends (the same count at every size) and 2000
 * random proofs. Stops early, with a note, when growing the log takes longer than `budgetMinutes`.
 */
async function scaling(backend: ScalingBackend) {
  const window = Number(argument('window') ?? 1000)
  const budgetMs = Number(argument('budget-minutes') ?? 12) * 60_000
  report(
    `\n### Scaling with log size: ${backend.name} (pre-validated entries, 256 concurrent clients, batches ≤ 512, ${window.toLocaleString('en-US')} appends timed per row)`,
  )
  // Warm up the JIT on a throwaway log so the first row is not a compile-time measurement.
  {
    const warm = await backend.open()
    const log = await openTransparencyLog({ storage: warm.storage }, passThrough)
    await appendConcurrently(log, 5000, 256, syntheticEntry)
    for (let index = 0; index < 2000; index++) await log.getEntryByIndex(index)
    await log.close()
    await warm.close()
  }
  report(
    `| leaves | append wall µs/entry | append CPU µs/entry | DB server CPU µs/entry | appends/s | GC share | proof wall µs (getEntryByIndex, random) | proof CPU µs | storage node keys + leaf reads per proof | heap bytes per entry |`,
  )
  report('|---|---|---|---|---|---|---|---|---|---|')
  let gcMs = 0
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration
  })
  observer.observe({ entryTypes: ['gc'] })
  const gcShare = (from: number, total: number) => `${Math.round(((gcMs - from) / total) * 100)}%`
  gc?.()
  const baseline = process.memoryUsage()
  const opened = await backend.open()
  const { storage, counters } = countingStorage(opened.storage)
  const log = await openTransparencyLog({ storage }, passThrough)
  const started = performance.now()
  const rows: Array<{ size: number; wallUs: number; cpuUs: number }> = []
  let size = 0
  for (const target of [1_000, 10_000, 100_000, 1_000_000].filter((value) => value <= maxSize)) {
    // Stop before a size whose growth, at the rate so far, would not fit in the budget; then grow in chunks (the
    // budget is checked between them) and time the next `window` appends.
    const elapsed = performance.now() - started
    const projected = size > 0 ? elapsed + ((target - size) * elapsed) / size : 0
    while (size < target && projected <= budgetMs && performance.now() - started < budgetMs) {
      const chunk = Math.min(10_000, target - size)
      await appendConcurrently(log, chunk, 256, syntheticEntry)
      size += chunk
    }
    if (size < target) {
      report(
        `| stopped before ${target.toLocaleString('en-US')}: growing there would exceed the ${budgetMs / 60_000}-minute budget (${(projected / 60_000).toFixed(1)} min projected at the rate so far) | | | | | | | | | |`,
      )
      break
    }
    // A full collection first, so that each window pays for its own garbage rather than for the growth before it;
    // then a turn of the event loop, so that the observer has counted that collection before the window starts.
    gc?.()
    await new Promise((resolve) => setTimeout(resolve, 10))
    const serverBefore = await opened.serverCpuMs?.()
    const gcBeforeAppends = gcMs
    const { ms, cpuMs } = await timed(() => appendConcurrently(log, window, 256, syntheticEntry))
    const serverAfter = await opened.serverCpuMs?.()
    // GC entries reach the observer asynchronously: let the window's arrive before counting them.
    await new Promise((resolve) => setTimeout(resolve, 10))
    const appendGc = gcShare(gcBeforeAppends, ms)
    const row = { size: target, wallUs: (ms * 1000) / window, cpuUs: (cpuMs * 1000) / window }
    rows.push(row)
    size += window
    const proofs = 2000
    counters.nodeKeys = 0
    counters.leafHashCalls = 0
    const proofTime = await timed(async () => {
      for (let index = 0; index < proofs; index++) await log.getEntryByIndex(Math.floor(Math.random() * size))
    })
    gc?.()
    const memory = process.memoryUsage()
    const heapPerEntry =
      (memory.heapUsed + memory.arrayBuffers - baseline.heapUsed - baseline.arrayBuffers) / size
    const serverUs =
      serverBefore === undefined || serverAfter === undefined
        ? 'n/a'
        : (((serverAfter - serverBefore) * 1000) / window).toFixed(1)
    report(
      `| ${target.toLocaleString('en-US')} | ${row.wallUs.toFixed(1)} | ${row.cpuUs.toFixed(1)} | ${serverUs} | ${rate(window, ms)} | ${appendGc} | ${((proofTime.ms * 1000) / proofs).toFixed(1)} | ${((proofTime.cpuMs * 1000) / proofs).toFixed(1)} | ${((counters.nodeKeys + counters.leafHashCalls) / proofs).toFixed(1)} (log2 n = ${Math.log2(size).toFixed(1)}) | ${gc ? Math.round(heapPerEntry) : 'n/a (run with --expose-gc)'} |`,
    )
  }
  observer.disconnect()
  const first = rows[0]
  const last = rows.at(-1)
  if (first && last && last !== first) {
    report(
      `- ${backend.name}: ratio at ${last.size.toLocaleString('en-US')} / at ${first.size.toLocaleString('en-US')}: append CPU ${(last.cpuUs / first.cpuUs).toFixed(2)}×, append wall ${(last.wallUs / first.wallUs).toFixed(2)}× (growing took ${((performance.now() - started) / 60_000).toFixed(1)} min)`,
    )
  }
  report(`- ${backend.name} storage at the end: ${await opened.describe()}`)
  await log.close()
  await opened.close()
}

function rawBaseline() {
  report('\n### Raw cost without the log (same process, same run)')
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const entries = Array.from({ length: 20_000 }, syntheticEntry)
  const batch = 512
  const hashOnly = (() => {
    const start = performance.now()
    let accumulator: Uint8Array = new Uint8Array(32)
    for (const entry of entries) {
      const leaf = hashLeaf(entry.body)
      // About one interior node per leaf (a perfect tree of n leaves has n−1 nodes).
      accumulator = hashChildren(accumulator, leaf)
    }
    for (let index = 0; index < entries.length; index += batch) sign('sha256', accumulator, privateKey)
    return performance.now() - start
  })()
  report(
    `- leaf hash + 1 node hash per entry + 1 P-256 signature per ${batch}-entry batch: ${rate(entries.length, hashOnly)} (${((hashOnly * 1000) / entries.length).toFixed(2)} µs/entry)`,
  )
  const withSet = (() => {
    const start = performance.now()
    let root: Uint8Array = new Uint8Array(32)
    entries.forEach((entry, index) => {
      root = hashChildren(root, hashLeaf(entry.body))
      signSignedEntryTimestamp(
        {
          body: Buffer.from(entry.body).toString('base64'),
          integratedTime: 1,
          logID: 'ab'.repeat(32),
          logIndex: index,
        },
        privateKey,
      )
      if (index % batch === 0)
        signCheckpoint(
          { origin: 'bench - 1', treeSize: index + 1, rootHash: root },
          { name: 'bench', privateKey },
        )
    })
    return performance.now() - start
  })()
  report(
    `- the same plus a SET (P-256 signature over JCS) per entry, as Rekor requires: ${rate(entries.length, withSet)} (${((withSet * 1000) / entries.length).toFixed(2)} µs/entry)`,
  )
}

async function postgres() {
  if (!postgresUrl) {
    report('\n### PostgreSQL: skipped (pass --postgres <url> or CERTUS_BENCH_DATABASE_URL)')
    return
  }
  const { createPostgresStorage } = await import('@certus-trust/storage-postgres')
  const { createScratchDatabase } = await import('../test/databases.js')
  // A scratch database per run, so every log starts empty with its own key.
  const open = async () => {
    const database = await createScratchDatabase(postgresUrl)
    const storage = await createPostgresStorage({
      connectionString: database.url,
      migrate: true,
      maxConnections: 8,
    })
    return {
      storage,
      close: async () => {
        await storage.close()
        await database.drop()
      },
    }
  }
  const opened: Array<() => Promise<void>> = []
  await fullPath('PostgreSQL', async () => {
    const { storage, close } = await open()
    opened.push(close)
    return storage
  })
  for (const close of opened) await close()
  report('\n### PostgreSQL append/proof path (pre-validated entries)')
  for (const concurrency of [1, 64, 256]) {
    const { storage, close } = await open()
    const log = await openTransparencyLog({ storage }, passThrough)
    const count = concurrency === 1 ? 1000 : 10_000
    const { ms } = await timed(() => appendConcurrently(log, count, concurrency, syntheticEntry))
    report(`- ${concurrency} client(s): ${count} appends in ${ms.toFixed(0)} ms → ${rate(count, ms)}`)
    if (concurrency === 256) {
      const proofTime = await timed(async () => {
        for (let index = 0; index < 1000; index++)
          await log.getEntryByIndex(Math.floor(Math.random() * count))
      })
      report(`- proofs (getEntryByIndex, random, sequential): ${rate(1000, proofTime.ms)}`)
    }
    await log.close()
    await close()
  }
}

async function main() {
  report(
    `## @certus-trust/tlog benchmark — Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), ${new Date().toISOString()}`,
  )
  if (sections.has('full')) await fullPath('in-memory', async () => createMemoryStorage())
  if (sections.has('raw')) rawBaseline()
  if (sections.has('scaling')) {
    const known = { memory: memoryBackend, sqlite: sqliteBackend, postgres: postgresBackend }
    for (const name of (argument('backends') ?? 'memory').split(',')) {
      const backend = known[name as keyof typeof known]
      if (!backend) throw new Error(`unknown backend ${name} (memory, sqlite, postgres)`)
      await scaling(backend)
    }
  }
  if (sections.has('postgres')) await postgres()
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
