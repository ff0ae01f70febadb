/**
 * What an ECDSA signature made in JavaScript costs, next to OpenSSL's in the same run (issue 12): one digest
 * signature (`signEcdsaDigest`, RFC 6979), the same in a batch of 16 sharing one inversion (`signEcdsaDigests`, per
 * signature), a SET-sized payload signed whole by OpenSSL against one finished from a presignature (payload hash
 * included), and the DER encoding of a signature.
 *
 *   pnpm --filter @certus-trust/core bench      (after the workspace is built)
 */
import { createHash, generateKeyPairSync, hash, sign } from 'node:crypto'
import { Bench } from 'tinybench'
import { derInteger, derSequence } from '../src/der.js'
import {
  createEcdsaPresignatures,
  ecPrivateScalar,
  readEcdsaPresignatures,
  signEcdsaDigest,
  signEcdsaDigests,
  signWithEcdsaPresignature,
} from '../src/signing.js'

const SECONDS = Number(process.env.CERTUS_BENCH_SECONDS ?? 1)
const BATCH = 16
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const secret = ecPrivateScalar(privateKey)
const digests = Array.from({ length: 4096 }, (_, index) => createHash('sha256').update(`d${index}`).digest())
const payload = Buffer.from(
  `{"body":"${'A'.repeat(800)}","integratedTime":1796680000,"logID":"${'c0'.repeat(32)}","logIndex":1}`,
)
// Made before the clock starts; the benchmark cycles through them (timing only: a real signer uses each once).
const presignatures = readEcdsaPresignatures('ecdsa-p256', createEcdsaPresignatures('ecdsa-p256', 4096))
let next = 0
const r = 0xc0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456789n

const bench = new Bench({ time: SECONDS * 1000, warmupIterations: 20, throws: true })
bench
  .add('signEcdsaDigest (one digest)', () => signEcdsaDigest('ecdsa-p256', secret, digests[next++ % 4096]!))
  .add(`signEcdsaDigests (batch of ${BATCH})`, () => {
    next += BATCH
    const start = next % (4096 - BATCH)
    signEcdsaDigests(
      digests.slice(start, start + BATCH).map((digest) => ({ algorithm: 'ecdsa-p256', secret, digest })),
    )
  })
  .add('SET payload: OpenSSL sign (whole)', () => sign('sha256', payload, privateKey))
  .add('SET payload: finished from a presignature', () =>
    signWithEcdsaPresignature(presignatures[next++ % 4096]!, secret, hash('sha256', payload, 'buffer')),
  )
  .add('DER-encode (r, s)', () => derSequence(derInteger(r), derInteger(r >> 3n)))
await bench.run()
const rows = bench.tasks.map((task) => {
  const perCall = task.result.state === 'completed' ? task.result.period * 1000 : Number.NaN
  const perSignature = task.name.startsWith('signEcdsaDigests') ? perCall / BATCH : perCall
  return `| ${task.name} | ${perSignature.toFixed(1)} µs |`
})
console.log(['| operation | per signature |', '|---|---:|', ...rows].join('\n'))
