import { createHash, generateKeyPairSync, randomBytes, verify } from 'node:crypto'
import { signEcdsaDigest, signWithEcdsaPresignature } from '@certus-trust/core/signing'
import { afterAll, describe, expect, it } from 'vitest'
import { createSigningThreads } from './signing-threads.js'

async function eventually<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('presignature supply of the signing threads', () => {
  const threads = createSigningThreads(2, { minBatch: 16 })
  afterAll(() => threads.close())
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const secret = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url')

  it('makes none while no thread runs, then keeps a stock of fresh, usable presignatures while they do', async () => {
    const supply = threads.presignatures('ecdsa-p256')
    expect(threads.presignatures('ecdsa-p256')).toBe(supply)
    // No thread runs yet: nothing is made, nothing is started, and the caller signs the usual way.
    expect(supply.take()).toBeUndefined()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(threads.running).toBe(0)
    expect(supply.take()).toBeUndefined()

    // A busy turn starts the threads; signatures still come back byte-identical (a refill shares their messages).
    const digests = Array.from({ length: 32 }, () => randomBytes(32))
    const signed = await Promise.all(
      digests.map((digest) => threads.signEcdsaDigest('ecdsa-p256', secret, digest)),
    )
    signed.forEach((signature, index) => {
      expect(Buffer.from(signature)).toEqual(
        Buffer.from(signEcdsaDigest('ecdsa-p256', secret, digests[index]!)),
      )
    })
    expect(threads.running).toBe(2)

    const taken = [await eventually(() => supply.take())]
    for (let index = 0; index < 200; index++) taken.push(await eventually(() => supply.take()))
    // Each presignature is handed out once: every r differs.
    expect(new Set(taken.map((presignature) => presignature.r)).size).toBe(taken.length)
    for (const [index, presignature] of taken.entries()) {
      expect(presignature.algorithm).toBe('ecdsa-p256')
      const message = Buffer.from(`SET payload ${index}`)
      const signature = signWithEcdsaPresignature(
        presignature,
        secret,
        createHash('sha256').update(message).digest(),
      )
      expect(verify('sha256', message, publicKey, signature)).toBe(true)
    }
  })

  it('stops refilling once the threads are closed', async () => {
    const closing = createSigningThreads(1, { minBatch: 1 })
    const supply = closing.presignatures('ecdsa-p384')
    await closing.signEcdsaDigest('ecdsa-p256', secret, randomBytes(32))
    const first = await eventually(() => supply.take())
    expect(first.algorithm).toBe('ecdsa-p384')
    await closing.close()
    while (supply.take() !== undefined) {}
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(supply.take()).toBeUndefined()
  })
})
