import { spawnSync } from 'node:child_process'
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { signEcdsaDigest } from '@certus-trust/core/signature'
import { afterAll, describe, expect, it } from 'vitest'
import { SignerError } from './errors.js'
import { createLocalKeyProvider } from './key-provider.js'
import { createSigningThreads } from './signing-threads.js'

const scalarOf = (privateKey: ReturnType<typeof generateKeyPairSync>['privateKey']) =>
  Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url')

describe('signing threads', () => {
  const threads = createSigningThreads(2)
  afterAll(() => threads.close())

  it.each([
    ['ecdsa-p256', 'P-256'],
    ['ecdsa-p384', 'P-384'],
  ] as const)(
    '%s: 200 concurrent signatures, each byte-identical to signing inline',
    async (algorithm, curve) => {
      const secret = scalarOf(generateKeyPairSync('ec', { namedCurve: curve }).privateKey)
      const digests = Array.from({ length: 200 }, () => randomBytes(32))
      const offThread = await Promise.all(
        digests.map((digest) => threads.signEcdsaDigest(algorithm, secret, digest)),
      )
      offThread.forEach((signature, index) => {
        expect(Buffer.from(signature)).toEqual(
          Buffer.from(signEcdsaDigest(algorithm, secret, digests[index]!)),
        )
      })
    },
  )

  it('one turn with several keys and curves and a failing item: each answer is its own, in order', async () => {
    const p256Secret = scalarOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
    const p384Secret = scalarOf(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey)
    const zero = Buffer.alloc(32)
    const items = Array.from({ length: 60 }, (_, index) => {
      const algorithm = index % 2 === 0 ? ('ecdsa-p256' as const) : ('ecdsa-p384' as const)
      const secret = index === 31 ? zero : algorithm === 'ecdsa-p256' ? p256Secret : p384Secret
      return { algorithm, secret, digest: randomBytes(32) }
    })
    const outcomes = await Promise.allSettled(
      items.map((item) => threads.signEcdsaDigest(item.algorithm, item.secret, item.digest)),
    )
    outcomes.forEach((outcome, index) => {
      const item = items[index]!
      if (index === 31) {
        expect(outcome.status).toBe('rejected')
        return
      }
      expect(outcome.status).toBe('fulfilled')
      const expected = signEcdsaDigest(item.algorithm, item.secret, item.digest)
      expect(Buffer.from((outcome as PromiseFulfilledResult<Uint8Array>).value)).toEqual(
        Buffer.from(expected),
      )
    })
  })

  it('a local key provider signs digests on the threads with the same result', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const inline = createLocalKeyProvider(privateKey)
    const threaded = createLocalKeyProvider(privateKey, { signingThreads: threads })
    const digest = createHash('sha256').update('artifact').digest()
    expect(Buffer.from(await threaded.signDigest(digest, 'sha256'))).toEqual(
      Buffer.from(await inline.signDigest(digest, 'sha256')),
    )
  })

  it('a failure on a thread is a typed error that does not carry the key, and the thread keeps serving', async () => {
    const secret = Buffer.alloc(32) // zero: out of range
    const failure = await threads
      .signEcdsaDigest('ecdsa-p256', secret, randomBytes(32))
      .catch((error) => error)
    expect(SignerError.is(failure, 'SIGNER_SIGNING_FAILED')).toBe(true)
    expect(String((failure as Error).message)).toMatch(/out of range/)
    const good = scalarOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
    await expect(threads.signEcdsaDigest('ecdsa-p256', good, randomBytes(32))).resolves.toBeInstanceOf(
      Uint8Array,
    )
  })

  it('refuses a bad size, and work after close', async () => {
    expect(() => createSigningThreads(0)).toThrow(SignerError)
    const closing = createSigningThreads(1)
    const secret = scalarOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
    await closing.signEcdsaDigest('ecdsa-p256', secret, randomBytes(32)) // a thread is running
    await closing.close()
    const after = await closing.signEcdsaDigest('ecdsa-p256', secret, randomBytes(32)).catch((error) => error)
    expect(SignerError.is(after, 'SIGNER_SIGNING_FAILED')).toBe(true)
  })

  it('keeps the process alive while a signature is in flight and lets it exit when idle', () => {
    // A separate process that never closes its pool: it must print the signature (a busy thread holds the
    // process open) and then exit by itself (idle threads do not).
    const module = fileURLToPath(new URL('./signing-threads.ts', import.meta.url))
    const script = `
      import { createSigningThreads } from ${JSON.stringify(module)}
      import { generateKeyPairSync, randomBytes } from 'node:crypto'
      const d = Buffer.from(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }).d, 'base64url')
      createSigningThreads(1).signEcdsaDigest('ecdsa-p256', d, randomBytes(32)).then((s) => console.log('signed', s.length))
    `
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(child.error).toBeUndefined()
    expect(child.stdout).toMatch(/^signed \d+$/m)
    expect(child.status).toBe(0)
  })

  it('on demand: small turns sign inline without a thread, a large turn starts the threads, idle threads exit', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const secret = scalarOf(privateKey)
    const onDemand = createSigningThreads(2, { minBatch: 8, idleTimeoutMs: 2_000 })
    try {
      const small = Array.from({ length: 7 }, () => randomBytes(32))
      const inline = await Promise.all(
        small.map((digest) => onDemand.signEcdsaDigest('ecdsa-p256', secret, digest)),
      )
      inline.forEach((signature, index) => {
        expect(Buffer.from(signature)).toEqual(
          Buffer.from(signEcdsaDigest('ecdsa-p256', secret, small[index]!)),
        )
      })
      expect(onDemand.running).toBe(0) // 7 < minBatch: no thread was started

      const large = Array.from({ length: 8 }, () => randomBytes(32))
      const threaded = await Promise.all(
        large.map((digest) => onDemand.signEcdsaDigest('ecdsa-p256', secret, digest)),
      )
      threaded.forEach((signature, index) => {
        expect(Buffer.from(signature)).toEqual(
          Buffer.from(signEcdsaDigest('ecdsa-p256', secret, large[index]!)),
        )
      })
      expect(onDemand.running).toBe(2)

      // Idle for longer than idleTimeoutMs: both threads exit; the next small turn signs inline again.
      await waitFor(() => onDemand.running === 0)
      const again = randomBytes(32)
      expect(Buffer.from(await onDemand.signEcdsaDigest('ecdsa-p256', secret, again))).toEqual(
        Buffer.from(signEcdsaDigest('ecdsa-p256', secret, again)),
      )
      expect(onDemand.running).toBe(0)
    } finally {
      await onDemand.close()
    }
  })

  it('a thread that got no share of its first turn idles out too', async () => {
    const pool = createSigningThreads(2, { idleTimeoutMs: 200 })
    try {
      const secret = scalarOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
      await pool.signEcdsaDigest('ecdsa-p256', secret, randomBytes(32)) // one digest: one thread's share
      expect(pool.running).toBeGreaterThan(0)
      await waitFor(() => pool.running === 0)
    } finally {
      await pool.close()
    }
  })

  it('on demand: an item that fails inline fails alone, with the typed error', async () => {
    const onDemand = createSigningThreads(1, { minBatch: 100 })
    try {
      const good = scalarOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
      const [failed, signed] = await Promise.allSettled([
        onDemand.signEcdsaDigest('ecdsa-p256', Buffer.alloc(32), randomBytes(32)),
        onDemand.signEcdsaDigest('ecdsa-p256', good, randomBytes(32)),
      ])
      expect(failed.status).toBe('rejected')
      expect(SignerError.is((failed as PromiseRejectedResult).reason, 'SIGNER_SIGNING_FAILED')).toBe(true)
      expect(String((failed as PromiseRejectedResult).reason.message)).toMatch(/out of range/)
      expect(signed.status).toBe('fulfilled')
    } finally {
      await onDemand.close()
    }
  })
})

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 500 && !condition(); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  expect(condition()).toBe(true)
}
