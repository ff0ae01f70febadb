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

describe('SETs and checkpoints finished from presignatures', () => {
  it('uses one presignature per SET while the stock lasts, then signs whole; every SET verifies', async () => {
    const presignatures = readEcdsaPresignatures('ecdsa-p256', createEcdsaPresignatures('ecdsa-p256', 5))
    const presignedRs = new Set(presignatures.map((presignature) => presignature.r))
    const stock = stockOf(presignatures)
    const log = await createTransparencyLog({
      storage: createMemoryStorage(),
      baseUrl: 'http://127.0.0.1',
      presignatures: stock,
    })
    try {
      // The size-0 checkpoint the log signs when it starts took one already.
      const atStart = stock.taken
      expect(atStart).toBe(1)
      const publicKeyPem = await log.getPublicKey()
      const entries = await Promise.all(
        Array.from({ length: 8 }, () => log.createEntry(hashedRekordEntry().proposed)),
      )
      expect(stock.taken).toBe(5)
      for (const entry of entries) verifyEntryOffline(entry, publicKeyPem, '127.0.0.1')
      // The other four presignatures signed SETs, or the checkpoint of the batch(es), each a different one; the
      // rest were signed whole.
      const rOf = (der: Buffer) => BigInt(`0x${der.subarray(4, 4 + der[3]!).toString('hex')}`)
      const setRs = entries.map((entry) =>
        rOf(Buffer.from(String(entry.verification?.signedEntryTimestamp), 'base64')),
      )
      const checkpointRs = [
        ...new Set(entries.map((entry) => String(entry.verification?.inclusionProof?.checkpoint))),
      ].map((note) => {
        const signatureLine = note.trimEnd().split('\n').at(-1)!
        return rOf(Buffer.from(signatureLine.split(' ').at(-1)!, 'base64').subarray(4))
      })
      const presigned = [...setRs, ...checkpointRs].filter((r) => presignedRs.has(r))
      expect(new Set(presigned).size).toBe(5 - atStart)
      expect(presigned).toHaveLength(5 - atStart)
      // A SET with a tampered field fails: the check above is not vacuous.
      expect(() =>
        verifySignedEntryTimestamp({ ...entries[0]!, logIndex: entries[0]!.logIndex + 1 }, publicKeyPem),
      ).toThrow()
    } finally {
      await log.close()
    }
  })

  it('signs the batch checkpoint from one too; it verifies', async () => {
    const stock = stockOf(readEcdsaPresignatures('ecdsa-p256', createEcdsaPresignatures('ecdsa-p256', 20)))
    const log = await createTransparencyLog({
      storage: createMemoryStorage(),
      baseUrl: 'http://127.0.0.1',
      presignatures: stock,
    })
    try {
      const before = stock.taken
      const entries = await Promise.all(
        Array.from({ length: 3 }, () => log.createEntry(hashedRekordEntry().proposed)),
      )
      // One batch: three SETs and its checkpoint.
      expect(new Set(entries.map((entry) => entry.verification?.inclusionProof?.treeSize)).size).toBe(1)
      expect(stock.taken - before).toBe(4)
      const publicKeyPem = await log.getPublicKey()
      for (const entry of entries) verifyEntryOffline(entry, publicKeyPem, '127.0.0.1')
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
      presignatures: stock,
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
