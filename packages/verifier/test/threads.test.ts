import { createHash } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, type Verifier, VerifierError } from '../src/index.js'
import { createVerifierThreads, type VerifierThreads } from '../src/threads.js'
import { buildFixture, type Fixture, IDENTITY, ISSUER } from './helpers/fixture.js'

const policy = { identity: IDENTITY, issuer: ISSUER }
let fixture: Fixture
let plain: Verifier
let threads: VerifierThreads
let digest: { digest: string }

beforeAll(() => {
  fixture = buildFixture()
  plain = createVerifier({ trustedRoot: fixture.trustedRoot })
  // minBatch 1: every verification goes to a thread.
  threads = createVerifierThreads({ trustedRoot: fixture.trustedRoot, size: 2 })
  digest = { digest: `sha256:${createHash('sha256').update(fixture.artifact).digest('hex')}` }
})
afterAll(() => threads.close())

/** The bundle with its message signature's first byte flipped. */
function tamperedSignature(bundle: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(bundle) as { messageSignature: { signature: string } }
  const bytes = Buffer.from(copy.messageSignature.signature, 'base64')
  bytes[8] = bytes[8]! ^ 0xff
  copy.messageSignature.signature = bytes.toString('base64')
  return copy
}

/** The outcome of a verification as comparable data: the result, or the error's class, code and message. */
async function outcome(verifier: Verifier, ...args: Parameters<Verifier['verify']>) {
  try {
    const result = await verifier.verify(...args)
    // Buffers cross threads as Uint8Arrays: compare bytes, not classes.
    return JSON.parse(
      JSON.stringify(result, (_, value) =>
        value instanceof Uint8Array ? Array.from(value) : value?.type === 'Buffer' ? value.data : value,
      ),
    )
  } catch (error) {
    return {
      error: error instanceof VerifierError,
      code: (error as VerifierError).code,
      message: (error as Error).message,
    }
  }
}

describe('verifier threads', () => {
  it('reach the plain verifier’s verdict for valid and tampered bundles, on threads', async () => {
    const cases: Array<Parameters<Verifier['verify']>> = [
      [fixture.bundle, digest, policy],
      [JSON.stringify(fixture.dsseBundle), fixture.artifact, policy],
      [fixture.keyBundle, digest, { publicKey: fixture.keyPem }],
      [fixture.bundle, { digest: `sha256:${'0'.repeat(64)}` }, policy],
      [tamperedSignature(fixture.bundle), digest, policy],
      [fixture.bundle, digest, { identity: 'someone@else.example', issuer: ISSUER }],
      [fixture.keyBundle, digest, policy],
      [{ mediaType: 'nonsense' }, digest, policy],
    ]
    const expected = await Promise.all(cases.map((args) => outcome(plain, ...args)))
    const actual = await Promise.all(cases.map((args) => outcome(threads, ...args)))
    expect(threads.running).toBe(2)
    expect(actual).toEqual(expected)
    expect(actual.slice(0, 3).every((each) => !('error' in each))).toBe(true)
    // Each failure is a VerifierError rebuilt on this thread with the failed check's code and message.
    expect(actual.slice(3).map((each) => each.code)).toEqual([
      'VERIFIER_ARTIFACT_MISMATCH',
      'VERIFIER_SIGNATURE_MISMATCH',
      'VERIFIER_IDENTITY_MISMATCH',
      'VERIFIER_KEY_MISMATCH',
      'VERIFIER_UNSUPPORTED_BUNDLE',
    ])
    expect(actual.slice(3).every((each) => each.error === true)).toBe(true)
    // The same trust material (CAs carry a chain-checked mark once used, so compare the logs and CA URIs).
    expect(threads.trustMaterial.tlogs).toEqual(plain.trustMaterial.tlogs)
    expect(threads.trustMaterial.certificateAuthorities.map((ca) => ca.uri)).toEqual(
      plain.trustMaterial.certificateAuthorities.map((ca) => ca.uri),
    )
  })

  it('a verification result keeps its dates and bytes across the thread boundary', async () => {
    const result = await threads.verify(fixture.bundle, digest, policy)
    expect(result.signedAt).toBeInstanceOf(Date)
    expect(result.signer.kind === 'certificate' && result.signer.certificateChain[0]).toBeInstanceOf(
      Uint8Array,
    )
  })

  it('online lookups are answered by the calling thread; "not found" fails with VERIFIER_ONLINE_CHECK_FAILED', async () => {
    const body = (fixture.bundle as any).verificationMaterial.tlogEntries[0].canonicalizedBody as string
    const asked: string[] = []
    let known = true
    const online = createVerifierThreads({
      trustedRoot: fixture.trustedRoot,
      size: 1,
      online: {
        getEntry: async (uuid) => {
          asked.push(uuid)
          return known ? { body, other: 'fields stay here' } : undefined
        },
      },
    })
    try {
      const result = await online.verify(fixture.bundle, digest, policy)
      expect(online.running).toBe(1)
      expect(result.checks).toContain('online-entry')
      expect(asked).toEqual([result.tlogEntries[0]!.uuid])
      known = false
      await expect(online.verify(fixture.bundle, digest, policy)).rejects.toMatchObject({
        code: 'VERIFIER_ONLINE_CHECK_FAILED',
      })
      expect(asked).toHaveLength(2)
    } finally {
      await online.close()
    }
  })

  it('below minBatch with no thread running, and for a file path, verifies inline with the same verdict', async () => {
    const onDemand = createVerifierThreads({ trustedRoot: fixture.trustedRoot, size: 1, minBatch: 4 })
    try {
      const file = join(mkdtempSync(join(tmpdir(), 'certus-verifier-threads-')), 'artifact')
      writeFileSync(file, fixture.artifact)
      expect(await outcome(onDemand, fixture.bundle, digest, policy)).toEqual(
        await outcome(plain, fixture.bundle, digest, policy),
      )
      expect(onDemand.running).toBe(0)
      const paths = Array.from({ length: 4 }, () => onDemand.verify(fixture.bundle, { path: file }, policy))
      expect((await Promise.all(paths)).every((result) => result.artifact.sha256)).toBe(true)
      expect(onDemand.running).toBe(0) // a path never goes to a thread
      const batch = await onDemand.verifyBatch(
        Array.from({ length: 4 }, (_, index) => ({
          bundle: fixture.bundle,
          artifact: index === 2 ? { digest: `sha256:${'1'.repeat(64)}` } : digest,
          policy,
        })),
      )
      expect(batch.map((each) => each.ok)).toEqual([true, true, false, true])
      expect(onDemand.running).toBe(1)
    } finally {
      await onDemand.close()
    }
  })

  it('close() rejects later calls with a typed error; refuses a bad size', async () => {
    const closing = createVerifierThreads({ trustedRoot: fixture.trustedRoot, size: 1 })
    await closing.verify(fixture.bundle, digest, policy)
    await closing.close()
    expect(closing.running).toBe(0)
    await expect(closing.verify(fixture.bundle, digest, policy)).rejects.toBeInstanceOf(VerifierError)
    expect(() => createVerifierThreads({ trustedRoot: fixture.trustedRoot, size: 0 })).toThrow(VerifierError)
  })
})
