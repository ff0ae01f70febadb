/**
 * AWS KMS provider benchmark: signatures/s through the real @aws-sdk/client-kms against a local stand-in for the
 * KMS API (packages/kms-testing), with 1 to 128 calls in flight, next to the stand-in's own signing cost (the
 * floor: the same key and algorithm signed in-process) measured in the same run. AWS KMS has no batch Sign, so
 * concurrency is the only lever; the real service adds network latency (~5–20 ms per call in-region) and a
 * per-account request quota that the provider meets with backoff (`KMS_THROTTLED`).
 *
 * Run: pnpm --filter @certus-trust/kms-aws bench   (needs the workspace built: turbo run build)
 */
import { createHash } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { signLikeKms, startFakeAwsKms } from '@certus-trust/kms-testing'
import { createSigner } from '@certus-trust/signer'
import { keyProviderFromUri } from '../src/index.js'

const SECONDS = Number(process.env.CERTUS_BENCH_SECONDS ?? 2)
const digest = createHash('sha256').update('benchmark').digest()
const clientConfig = {
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
}

/** Calls/s of `fn` with `inFlight` calls outstanding at all times, for SECONDS. */
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
    `# @certus-trust/kms-aws benchmark — Node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(1)}, ${SECONDS}s per cell\n`,
  )
  const kms = await startFakeAwsKms()
  try {
    console.log(
      '| key | floor: in-process sign | 1 in flight | 8 | 32 | 128 | signer.sign → bundle, 32 in flight |',
    )
    console.log('|---|---|---|---|---|---|---|')
    for (const [keySpec, scheme, label] of [
      ['ECC_NIST_P256', 'ecdsa', 'ECC_NIST_P256'],
      ['RSA_2048', 'rsa-pkcs1v15', 'RSA_2048 PKCS#1 v1.5'],
    ] as const) {
      const alias = `alias/bench-${keySpec.toLowerCase()}`
      const id = kms.addKey(keySpec, alias)
      const privateKey = kms.keys.get(id)!.privateKey
      const floor = await rate(async () => signLikeKms(privateKey, scheme, digest), 1)
      const provider = keyProviderFromUri(`awskms://127.0.0.1:${kms.port}/${alias}`, { clientConfig })
      const cells: string[] = []
      for (const inFlight of [1, 8, 32, 128]) {
        cells.push(fmt(await rate(() => provider.signDigest(digest, 'sha256'), inFlight)))
      }
      const signer = createSigner({ key: provider, witness: 'none' })
      const bundles = await rate(() => signer.sign(`sha256:${digest.toString('hex')}`), 32)
      console.log(`| ${label} | ${fmt(floor)} | ${cells.join(' | ')} | ${fmt(bundles)} |`)
    }
  } finally {
    await kms.close()
  }
}

await main()
