/**
 * Signer benchmark: signatures/s per algorithm next to raw node:crypto.sign in the same run, the digest-only
 * (prehash) path, whole-bundle signing, and end-to-end sign + log entries/s with the embedded log (in memory, and
 * PostgreSQL when CERTUS_BENCH_DATABASE_URL or a local server at 127.0.0.1:5432 is reachable).
 *
 * Run: pnpm --filter @certus-trust/signer bench   (needs the workspace built: turbo run build)
 */
import { execFileSync } from 'node:child_process'
import { createHash, generateKeyPairSync, type KeyObject, sign as nodeSign } from 'node:crypto'
import { cpus } from 'node:os'
import { buildHashedRekordProposedEntry } from '@certus-trust/log-protocol/entries'
import { createMemoryStorage } from '@certus-trust/storage'
import { createPostgresStorage } from '@certus-trust/storage-postgres'
import { createTransparencyLog } from '@certus-trust/tlog'
import { Bench } from 'tinybench'
import { createLocalKeyProvider, createSigner } from '../src/index.js'

const SECONDS = Number(process.env.CERTUS_BENCH_SECONDS ?? 1)
const message = Buffer.alloc(1024, 7)
const digest = createHash('sha256').update(message).digest()

/**
 * Operations/s of each task (one call at a time), measured by tinybench: SECONDS per task after a warm-up, reported
 * as runs / total time with the relative margin of error of the mean latency. A task that throws fails the run.
 */
async function measure(tasks: Array<[string, () => unknown]>): Promise<Map<string, string>> {
  const bench = new Bench({ time: SECONDS * 1000, warmupIterations: 20, throws: true })
  for (const [name, fn] of tasks) bench.add(name, fn)
  await bench.run()
  const cells = new Map<string, string>()
  for (const task of bench.tasks) {
    const result = task.result
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`)
    cells.set(task.name, `${fmt(1000 / result.period)} ±${result.latency.rme.toFixed(1)}%`)
  }
  return cells
}

const keys: Array<[string, KeyObject, string | null]> = [
  ['ECDSA P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'sha256'],
  ['ECDSA P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, 'sha256'],
  ['Ed25519', generateKeyPairSync('ed25519').privateKey, null],
  ['RSA-2048 PKCS#1 v1.5', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'sha256'],
  [
    'RSA-2048 PSS',
    generateKeyPairSync('rsa-pss', {
      modulusLength: 2048,
      hashAlgorithm: 'sha256',
      mgf1HashAlgorithm: 'sha256',
      saltLength: 32,
    } as never as { modulusLength: number }).privateKey,
    'sha256',
  ],
  ['RSA-3072 PKCS#1 v1.5', generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey, 'sha256'],
]

const fmt = (value: number | undefined) =>
  value === undefined ? 'n/a' : Math.round(value).toLocaleString('en-US')

async function main() {
  console.log(
    `# @certus-trust/signer benchmark — Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${SECONDS}s per cell\n`,
  )
  console.log(
    '## Signatures/s (1 KiB message, one at a time; tinybench, ± = 95 % margin of error of the mean)\n',
  )
  console.log(
    '| algorithm | raw crypto.sign | provider.sign (bytes) | provider.signDigest (prehash) | signer.sign → bundle (witness none) |',
  )
  console.log('|---|---:|---:|---:|---:|')
  for (const [name, key, hash] of keys) {
    const provider = createLocalKeyProvider(key)
    const signer = createSigner({ key: provider, witness: 'none' })
    const cells = await measure([
      ['raw', () => nodeSign(hash, message, key)],
      ['provider', () => provider.sign(message)],
      ...(name === 'Ed25519'
        ? []
        : ([['digest', () => provider.signDigest(digest, 'sha256')]] as Array<[string, () => unknown]>)),
      ['bundle', () => signer.sign(message)],
    ])
    const cell = (task: string) => cells.get(task) ?? 'n/a'
    console.log(`| ${name} | ${cell('raw')} | ${cell('provider')} | ${cell('digest')} | ${cell('bundle')} |`)
  }

  console.log('\n## End-to-end sign + embedded log (ECDSA P-256, signBatch concurrency 32)\n')
  console.log('| storage | entries | seconds | entries/s |')
  console.log('|---|---:|---:|---:|')
  const entries = Number(process.env.CERTUS_BENCH_ENTRIES ?? 2000)
  const memory = createMemoryStorage()
  await endToEnd('in-memory', memory, entries)
  await memory.close()
  const logOnlyStorage = createMemoryStorage()
  await logOnly('in-memory, log alone (pre-signed entries, no signer)', logOnlyStorage, entries)
  await logOnlyStorage.close()

  const database = `certus_signer_bench_${process.pid}`
  const base = process.env.CERTUS_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432'
  let created = false
  try {
    execFileSync('createdb', ['-h', '127.0.0.1', '-U', 'postgres', database], { stdio: 'ignore' })
    created = true
    const postgres = await createPostgresStorage({ connectionString: `${base}/${database}`, migrate: true })
    try {
      await endToEnd('PostgreSQL 127.0.0.1', postgres, entries)
    } finally {
      await postgres.close()
    }
  } catch (error) {
    console.log(`| PostgreSQL | not measured: ${(error as Error).message.split('\n')[0]} | | |`)
  } finally {
    if (created)
      execFileSync('dropdb', ['-h', '127.0.0.1', '-U', 'postgres', '--if-exists', database], {
        stdio: 'ignore',
      })
  }
}

async function endToEnd(
  label: string,
  storage: Parameters<typeof createTransparencyLog>[0]['storage'],
  count: number,
) {
  const log = await createTransparencyLog({ storage, baseUrl: 'https://bench.certus.test' })
  const signer = createSigner({
    key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    witness: log,
  })
  const items = Array.from({ length: count }, (_, index) => Buffer.from(`artifact ${index} ${label}`))
  const start = performance.now()
  const results = await signer.signBatch(items, { concurrency: 32 })
  const seconds = (performance.now() - start) / 1000
  const failed = results.filter((result) => !result.ok)
  if (failed.length > 0)
    throw new Error(`${failed.length} entries failed: ${(failed[0] as { error: Error }).error.message}`)
  await log.close()
  console.log(`| ${label} | ${count} | ${seconds.toFixed(2)} | ${fmt(count / seconds)} |`)
}

/** The log's share: createEntry with entries signed beforehand, 32 in flight, no signer work in the timed part. */
async function logOnly(
  label: string,
  storage: Parameters<typeof createTransparencyLog>[0]['storage'],
  count: number,
) {
  const log = await createTransparencyLog({ storage, baseUrl: 'https://bench.certus.test' })
  const provider = createLocalKeyProvider(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
  const proposed = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const data = Buffer.from(`log-only ${index}`)
      return buildHashedRekordProposedEntry({
        digest: `sha256:${createHash('sha256').update(data).digest('hex')}`,
        signature: await provider.sign(data),
        publicKeyPem: provider.info.publicKeyPem,
      })
    }),
  )
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < proposed.length) await log.createEntry(proposed[next++]!)
    }),
  )
  const seconds = (performance.now() - start) / 1000
  await log.close()
  console.log(`| ${label} | ${count} | ${seconds.toFixed(2)} | ${fmt(count / seconds)} |`)
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
