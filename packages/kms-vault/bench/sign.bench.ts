/**
 * Vault transit provider benchmark: signatures/s against a local stand-in for the transit API (packages/kms-testing)
 * with 1 to 128 calls in flight, with batching (`batch_input`, the default) and without (`maxBatchSize: 1`), next
 * to the stand-in's in-process signing cost (the floor) in the same run. Against a real Vault each request also
 * pays a network round trip, which batching pays once per batch.
 *
 * Run: pnpm --filter @certus-trust/kms-vault bench   (needs the workspace built: turbo run build)
 */
import { createHash } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { signLikeKms, startFakeVault } from '@certus-trust/kms-testing'
import { keyProviderFromUri } from '../src/index.js'

const SECONDS = Number(process.env.CERTUS_BENCH_SECONDS ?? 2)
const digest = createHash('sha256').update('benchmark').digest()

async function rate(fn: () => Promise<unknown>, inFlight: number): Promise<number> {
  for (let warm = 0; warm < 10; warm++) await fn()
  let count = 0
  const end = performance.now() + SECONDS * 1000
  const start = performance.now()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        await fn()
        count++
      }
    }),
  )
  return count / ((performance.now() - start) / 1000)
}

const fmt = (value: number) => Math.round(value).toLocaleString('en-US')

async function main() {
  console.log(
    `# @certus-trust/kms-vault benchmark — Node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(1)}, ${SECONDS}s per cell\n`,
  )
  const vault = await startFakeVault()
  try {
    const key = vault.addKey('bench', 'ecdsa-p256')
    const floor = await rate(async () => signLikeKms(key.privateKey, 'ecdsa', digest), 1)
    console.log(`ECDSA P-256, floor (in-process sign): ${fmt(floor)}/s\n`)
    console.log('| in flight | batched: signatures/s | requests/s | unbatched: signatures/s |')
    console.log('|---|---|---|---|')
    const env = { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.token }
    const batched = keyProviderFromUri('hashivault://bench', { env })
    const unbatched = keyProviderFromUri('hashivault://bench', { env, maxBatchSize: 1 })
    for (const inFlight of [1, 8, 32, 128]) {
      const before = vault.signRequests
      const started = performance.now()
      const withBatch = await rate(() => batched.signDigest(digest, 'sha256'), inFlight)
      const requests = (vault.signRequests - before) / ((performance.now() - started) / 1000)
      // On an overloaded machine 128 unbatched calls can exceed the 10 s per-call timeout: report, do not crash.
      const without = await rate(() => unbatched.signDigest(digest, 'sha256'), inFlight).then(
        fmt,
        (error: unknown) => `failed (${(error as { code?: string }).code ?? 'error'})`,
      )
      console.log(`| ${inFlight} | ${fmt(withBatch)} | ${fmt(requests)} | ${without} |`)
    }
  } finally {
    await vault.close()
  }
}

await main()
