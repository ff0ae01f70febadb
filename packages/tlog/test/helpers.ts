import {
  hashLeaf,
  type LogEntry,
  verifyCheckpoint,
  verifyInclusionProof,
  verifySignedEntryTimestamp,
} from '@certus-trust/log-protocol'
import { expect } from 'vitest'

export type { TestSigner } from './entries.js'
export { dsseEntry, ed25519Signer, hashedRekordEntry, p256Signer, rsaSigner } from './entries.js'

/**
 * Checks an entry with log-protocol's functions only: SET, checkpoint signature (with the log's key name),
 * inclusion of SHA-256(0x00 ‖ body) under the checkpoint's root and size.
 */
export function verifyEntryOffline(entry: LogEntry, publicKeyPem: string, keyName?: string): void {
  verifySignedEntryTimestamp(entry, publicKeyPem)
  const proof = entry.verification?.inclusionProof
  expect(proof).toBeDefined()
  const checkpoint = verifyCheckpoint(proof!.checkpoint, {
    publicKey: publicKeyPem,
    ...(keyName ? { name: keyName } : {}),
  })
  expect(Number(checkpoint.treeSize)).toBe(proof!.treeSize)
  expect(Buffer.from(checkpoint.rootHash).toString('hex')).toBe(proof!.rootHash)
  verifyInclusionProof({
    leafIndex: proof!.logIndex,
    treeSize: checkpoint.treeSize,
    leafHash: hashLeaf(new Uint8Array(Buffer.from(entry.body, 'base64'))),
    proof: proof!.hashes.map((hash) => new Uint8Array(Buffer.from(hash, 'hex'))),
    rootHash: checkpoint.rootHash,
  })
  expect(entry.uuid.slice(-64)).toBe(
    Buffer.from(hashLeaf(new Uint8Array(Buffer.from(entry.body, 'base64')))).toString('hex'),
  )
}
