import { generateKeyPairSync } from 'node:crypto'
import { canonicalJson } from '@certus-trust/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { logIdFromPublicKey } from './keys.js'
import type { LogEntry } from './log-entry.js'
import {
  signedEntryTimestampPayload,
  signSignedEntryTimestamp,
  signSignedEntryTimestampOffThread,
  verifySignedEntryTimestamp,
} from './signed-entry-timestamp.js'

describe('signed entry timestamps', () => {
  const input = {
    body: 'eyJhIjoxfQ==',
    integratedTime: 1710869186,
    logID: 'c0'.repeat(32),
    logIndex: 79571823,
  }
  it.each([
    ['P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['Ed25519', () => generateKeyPairSync('ed25519')],
    ['RSA', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ])(
    'signs off the main thread with %s: the SET verifies like the one signed inline',
    async (_name, generate) => {
      const { privateKey, publicKey } = generate()
      const fields = { ...input, logID: logIdFromPublicKey(publicKey) }
      const signature = await signSignedEntryTimestampOffThread(fields, privateKey)
      const entry: LogEntry = {
        uuid: 'ab'.repeat(32),
        ...fields,
        verification: { signedEntryTimestamp: Buffer.from(signature).toString('base64') },
      }
      expect(() => verifySignedEntryTimestamp(entry, publicKey)).not.toThrow()
      expect(() => verifySignedEntryTimestamp({ ...entry, logIndex: 1 }, publicKey)).toThrowError(
        expect.objectContaining({ code: 'REKOR_SET_INVALID' }),
      )
      // A key that cannot sign is a rejection with a typed error, never a throw.
      const rejected = signSignedEntryTimestampOffThread(fields, publicKey)
      await expect(rejected).rejects.toMatchObject({ code: 'REKOR_KEY_INVALID' })
    },
  )

  it('builds the canonical payload with keys in body, integratedTime, logID, logIndex order', () => {
    expect(new TextDecoder().decode(signedEntryTimestampPayload(input))).toBe(
      `{"body":"eyJhIjoxfQ==","integratedTime":1710869186,"logID":"${'c0'.repeat(32)}","logIndex":79571823}`,
    )
    expect(() => signedEntryTimestampPayload({ ...input, logIndex: 1.5 })).toThrowError(
      expect.objectContaining({ code: 'REKOR_INVALID_INPUT' }),
    )
  })

  it('writes exactly what canonicalJson writes for any strings and safe integers', () => {
    const safeInteger = fc.oneof(
      fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
      fc.constantFrom(0, -0, Number.MAX_SAFE_INTEGER),
    )
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('"\\\n\u2028\u0000\uD800'),
    )
    fc.assert(
      fc.property(text, safeInteger, text, safeInteger, (body, integratedTime, logID, logIndex) => {
        const fields = { body, integratedTime, logID, logIndex }
        expect(new TextDecoder().decode(signedEntryTimestampPayload(fields))).toBe(canonicalJson(fields))
      }),
      { numRuns: 2000 },
    )
  })

  it.each([
    ['P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['P-384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' })],
    ['Ed25519', () => generateKeyPairSync('ed25519')],
    ['RSA', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ])('signs and verifies with %s; tampering any field fails', (_name, generate) => {
    const { privateKey, publicKey } = generate()
    const fields = { ...input, logID: logIdFromPublicKey(publicKey) }
    const entry: LogEntry = {
      uuid: 'ab'.repeat(32),
      ...fields,
      verification: {
        signedEntryTimestamp: Buffer.from(signSignedEntryTimestamp(fields, privateKey)).toString('base64'),
      },
    }
    expect(() => verifySignedEntryTimestamp(entry, publicKey)).not.toThrow()
    const invalid = expect.objectContaining({ code: 'REKOR_SET_INVALID' })
    expect(() => verifySignedEntryTimestamp({ ...entry, body: 'eyJhIjoyfQ==' }, publicKey)).toThrowError(
      invalid,
    )
    expect(() =>
      verifySignedEntryTimestamp({ ...entry, integratedTime: entry.integratedTime + 1 }, publicKey),
    ).toThrowError(invalid)
    expect(() =>
      verifySignedEntryTimestamp({ ...entry, logIndex: entry.logIndex - 1 }, publicKey),
    ).toThrowError(invalid)
    expect(() => verifySignedEntryTimestamp({ ...entry, verification: {} }, publicKey)).toThrowError(invalid)
    expect(() =>
      verifySignedEntryTimestamp({ ...entry, verification: { signedEntryTimestamp: '!!' } }, publicKey),
    ).toThrowError(invalid)
    const other = generateKeyPairSync('ed25519').publicKey
    expect(() => verifySignedEntryTimestamp(entry, other)).toThrowError(invalid)
    expect(() => verifySignedEntryTimestamp(entry, 'not a pem')).toThrowError(invalid)
  })
})
