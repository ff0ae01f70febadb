import { generateKeyPairSync } from 'node:crypto'
import {
  createEcdsaPresignatures,
  type EcdsaPresignature,
  readEcdsaPresignatures,
} from '@certus-trust/core/signing'
import { verifySignedEntryTimestamp } from '@certus-trust/log-protocol'
import { createMemoryStorage } from '@certus-trust/storage'
import { describe, expect, it } from 'vitest'
import { createTransparencyLog } from '../src/index.js'
import { hashedRekordEntry, verifyEntryOffline } from './helpers.js'

/** A stock of real presignatures that counts what it hands out. */
function stockOf(presignatures: EcdsaPresignature[]) {
  const stock = {
    taken: 0,
    take: () => {
      const presignature = presignatures.pop()
      if (presignature) stock.taken += 1
      return presignature
    },
  }
  return stock
}

describe('signed entry timestamps finished from presignatures', () => {
  it('uses one presignature per SET while the stock lasts, then signs whole; every SET verifies', async () => {
    const presignatures = readEcdsaPresignatures('ecdsa-p256', createEcdsaPresignatures('ecdsa-p256', 5))
    const presignedRs = new Set(presignatures.map((presignature) => presignature.r))
    const stock = stockOf(presignatures)
    const log = await createTransparencyLog({
      storage: createMemoryStorage(),
      baseUrl: 'http://127.0.0.1',
      entryTimestampPresignatures: stock,
    })
    try {
      const publicKeyPem = await log.getPublicKey()
      const entries = await Promise.all(
        Array.from({ length: 8 }, () => log.createEntry(hashedRekordEntry().proposed)),
      )
      expect(stock.taken).toBe(5)
      for (const entry of entries) verifyEntryOffline(entry, publicKeyPem, '127.0.0.1')
      // Five SETs carry the r of a presignature (each a different one); the other three were signed whole.
      const rs = entries.map((entry) => {
        const der = Buffer.from(String(entry.verification?.signedEntryTimestamp), 'base64')
        return BigInt(`0x${der.subarray(4, 4 + der[3]!).toString('hex')}`)
      })
      expect(new Set(rs.filter((r) => presignedRs.has(r))).size).toBe(5)
      // A SET with a tampered field fails: the check above is not vacuous.
      expect(() =>
        verifySignedEntryTimestamp({ ...entries[0]!, logIndex: entries[0]!.logIndex + 1 }, publicKeyPem),
      ).toThrow()
    } finally {
      await log.close()
    }
  })

  it('takes none for a log key that is not ECDSA P-256', async () => {
    const stock = stockOf(readEcdsaPresignatures('ecdsa-p256', createEcdsaPresignatures('ecdsa-p256', 3)))
    const log = await createTransparencyLog({
      storage: createMemoryStorage(),
      baseUrl: 'http://127.0.0.1',
      key: generateKeyPairSync('ed25519').privateKey,
      entryTimestampPresignatures: stock,
    })
    try {
      const entry = await log.createEntry(hashedRekordEntry().proposed)
      verifyEntryOffline(entry, await log.getPublicKey(), '127.0.0.1')
      expect(stock.taken).toBe(0)
    } finally {
      await log.close()
    }
  })
})
