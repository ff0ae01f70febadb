import { verifyCheckpoint, verifyConsistencyProof } from '@certus-trust/log-protocol'
import { parseEntryBody } from '@certus-trust/log-protocol/entries'
import type { LogStorage } from '@certus-trust/storage'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTransparencyLog, TlogError, type TransparencyLog } from '../src/index.js'
import {
  dsseEntry,
  ed25519Signer,
  hashedRekordEntry,
  p256Signer,
  rsaSigner,
  verifyEntryOffline,
} from './helpers.js'

/** What a backend test provides. */
export interface LogSuiteBackend {
  name: string
  create: () => Promise<LogStorage & { close?: () => Promise<void> }>
  destroy?: (storage: LogStorage) => Promise<void>
}

const KEY_NAME = 'tlog.test.example'
const BASE_URL = `https://${KEY_NAME}`

/** The behaviour every storage backend must give the log (run against memory, PGlite and PostgreSQL). */
export function runLogSuite(backend: LogSuiteBackend): void {
  describe(`transparency log over ${backend.name}`, () => {
    let storage: LogStorage & { close?: () => Promise<void> }
    let log: TransparencyLog

    beforeEach(async () => {
      storage = await backend.create()
      log = await createTransparencyLog({ storage, baseUrl: BASE_URL, maxBatchSize: 64 })
    })

    afterEach(async () => {
      await log.close()
      if (backend.destroy) await backend.destroy(storage)
      else await storage.close?.()
    })

    it('appends entries of every supported kind and proves them with the log-protocol offline checks', async () => {
      const publicKey = await log.getPublicKey()
      const made = [
        hashedRekordEntry(p256Signer()),
        hashedRekordEntry(rsaSigner()),
        dsseEntry(p256Signer()),
        dsseEntry(ed25519Signer()),
      ]
      const pure = hashedRekordEntry(ed25519Signer())
      const entries = []
      for (const item of made) entries.push(await log.createEntry(item.proposed))
      entries.push(await log.createEntry(pure.proposed, { artifact: pure.artifact }))
      expect(entries.map((entry) => entry.logIndex)).toEqual([0, 1, 2, 3, 4])
      for (const entry of entries) {
        verifyEntryOffline(entry, publicKey, KEY_NAME)
        expect(entry.uuid).toMatch(/^[0-9a-f]{80}$/)
      }
      expect(parseEntryBody(entries[2]!.body).kind).toBe('dsse')
      // Re-reading gives proofs against the latest head, which still verify.
      for (const entry of entries) {
        const again = await log.getEntryByUuid(entry.uuid)
        expect(again?.body).toBe(entry.body)
        expect(again?.verification?.inclusionProof?.treeSize).toBe(5)
        verifyEntryOffline(again!, publicKey, KEY_NAME)
        expect((await log.getEntryByUuid(entry.uuid.slice(16)))?.uuid).toBe(entry.uuid)
        expect((await log.getEntryByIndex(entry.logIndex))?.uuid).toBe(entry.uuid)
      }
    })

    it('batches concurrent appends: gapless unique indexes, fewer checkpoints than entries, every proof valid', async () => {
      const items = Array.from({ length: 150 }, () => hashedRekordEntry())
      const entries = await Promise.all(items.map((item) => log.createEntry(item.proposed)))
      const indexes = entries.map((entry) => entry.logIndex).sort((a, b) => a - b)
      expect(indexes).toEqual(Array.from({ length: 150 }, (_, index) => index))
      const sizes = new Set(entries.map((entry) => entry.verification!.inclusionProof!.treeSize))
      expect(sizes.size).toBeLessThan(150)
      expect(sizes.size).toBeGreaterThanOrEqual(Math.ceil(150 / 64))
      const publicKey = await log.getPublicKey()
      for (const entry of entries) verifyEntryOffline(entry, publicKey, KEY_NAME)
      // Consistency between every pair of consecutive batch heads, checked against their signed checkpoints.
      const heads = [...sizes].sort((a, b) => a - b)
      const info = await log.getLogInfo()
      expect(info.treeSize).toBe(150)
      const latest = verifyCheckpoint(info.signedTreeHead, { publicKey })
      const checkpointOf = (size: number) =>
        entries.find((entry) => entry.verification!.inclusionProof!.treeSize === size)!.verification!
          .inclusionProof!.checkpoint
      for (const size of heads) {
        const old = verifyCheckpoint(checkpointOf(size), { publicKey })
        const proof = await log.getConsistencyProof({ firstSize: size, lastSize: 150 })
        expect(proof.rootHash).toBe(info.rootHash)
        verifyConsistencyProof({
          oldSize: size,
          newSize: 150,
          oldRoot: old.rootHash,
          newRoot: latest.rootHash,
          proof: proof.hashes.map((hash) => new Uint8Array(Buffer.from(hash, 'hex'))),
        })
      }
    })

    it('rejects duplicates with a conflict naming the existing entry, and bad entries with typed errors', async () => {
      const item = hashedRekordEntry()
      const first = await log.createEntry(item.proposed)
      const error = await log.createEntry(item.proposed).catch((caught: unknown) => caught)
      expect(TlogError.is(error, 'TLOG_ENTRY_CONFLICT')).toBe(true)
      expect((error as TlogError).details.entryId).toBe(first.uuid)
      // Two identical proposals in one batch: one wins, one conflicts.
      const twin = hashedRekordEntry()
      const results = await Promise.allSettled([
        log.createEntry(twin.proposed),
        log.createEntry(twin.proposed),
      ])
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1)

      const other = hashedRekordEntry()
      const tampered = structuredClone(item.proposed) as typeof item.proposed & {
        spec: { data: { hash: { value: string } } }
      }
      tampered.spec.data.hash.value = other.digest
      await expect(log.createEntry(tampered)).rejects.toMatchObject({ code: 'TLOG_SIGNATURE_INVALID' })
      await expect(log.createEntry({ kind: 'rekord', apiVersion: '0.0.1', spec: {} })).rejects.toMatchObject({
        code: 'TLOG_ENTRY_UNSUPPORTED',
      })
      await expect(
        log.createEntry({ kind: 'hashedrekord', apiVersion: '0.0.1', spec: { data: {} } }),
      ).rejects.toMatchObject({
        code: 'TLOG_ENTRY_INVALID',
      })
      // Pure Ed25519 without the artifact is checked as Ed25519ph and fails, as on Rekor.
      const pure = hashedRekordEntry(ed25519Signer())
      await expect(log.createEntry(pure.proposed)).rejects.toMatchObject({ code: 'TLOG_SIGNATURE_INVALID' })
      await expect(
        log.createEntry(pure.proposed, { artifact: new Uint8Array([1, 2, 3]) }),
      ).rejects.toMatchObject({ code: 'TLOG_ENTRY_INVALID' })
      expect((await log.getLogInfo()).treeSize).toBe(2)
    })

    it('searches by artifact hash, public key, and in-toto subject', async () => {
      const signer = p256Signer()
      const a = await log.createEntry(hashedRekordEntry(signer).proposed)
      const made = hashedRekordEntry(signer)
      const b = await log.createEntry(made.proposed)
      const d = dsseEntry(p256Signer())
      const c = await log.createEntry(d.proposed)
      expect(await log.searchIndex({ hash: `sha256:${made.digest}` })).toEqual([b.uuid])
      const content = Buffer.from(signer.publicKeyPem).toString('base64')
      expect((await log.searchIndex({ publicKey: { format: 'x509', content } })).sort()).toEqual(
        [a.uuid, b.uuid].sort(),
      )
      expect(
        await log.searchIndex({ publicKey: { format: 'x509', content }, hash: made.digest, operator: 'and' }),
      ).toEqual([b.uuid])
      expect(await log.searchIndex({ hash: `sha256:${d.subjectDigest}` })).toEqual([c.uuid])
      expect(await log.searchIndex({ hash: `sha256:${'0'.repeat(64)}` })).toEqual([])
      await expect(log.searchIndex({ hash: 'sha256:zz' })).rejects.toMatchObject({
        code: 'TLOG_INVALID_REQUEST',
      })
      const retrieved = await log.retrieveEntries({
        entryUUIDs: [a.uuid],
        logIndexes: [1],
        entries: [d.proposed],
      })
      expect(retrieved.map((entry) => entry.uuid)).toEqual([a.uuid, b.uuid, c.uuid])
    })

    it('rotates keys: new shard and tree ID, old shard frozen, every entry stays retrievable and provable', async () => {
      const oldKey = await log.getPublicKey()
      const before = await log.createEntry(hashedRekordEntry().proposed)
      const oldTree = (await log.getLogInfo()).treeID
      const shard = await log.rotateKey({ algorithm: 'ed25519' })
      expect(shard.keyAlgorithm).toBe('ed25519')
      expect(shard.startIndex).toBe(1)
      const after = await log.createEntry(hashedRekordEntry().proposed)
      expect(after.logIndex).toBe(1)
      expect(after.verification!.inclusionProof!.logIndex).toBe(0)
      const newKey = await log.getPublicKey()
      expect(newKey).not.toBe(oldKey)
      verifyEntryOffline(after, newKey, KEY_NAME)
      verifyEntryOffline((await log.getEntryByUuid(before.uuid))!, oldKey, KEY_NAME)
      verifyEntryOffline((await log.getEntryByIndex(0))!, oldKey, KEY_NAME)
      expect((await log.getEntryByIndex(1))?.uuid).toBe(after.uuid)
      const info = await log.getLogInfo()
      expect(info.treeID).toBe(shard.treeId)
      expect(info.inactiveShards?.map((inactive) => inactive.treeID)).toEqual([oldTree])
      expect(await log.getPublicKey({ treeId: oldTree })).toBe(oldKey)
      const root = await log.exportTrustedRoot()
      expect(root.tlogs).toHaveLength(2)
      expect(root.tlogs[0]!.publicKey.validFor.end).toBeDefined()
      expect(root.tlogs[1]!.publicKey.keyDetails).toBe('PKIX_ED25519')
      // A duplicate of an entry in the frozen shard is still a conflict.
      await expect(log.createEntry(parseProposedFrom(before))).rejects.toMatchObject({
        code: 'TLOG_ENTRY_CONFLICT',
      })
    })

    it('proves inclusion against an older committed size', async () => {
      const first = await log.createEntry(hashedRekordEntry().proposed)
      const sizeAfterFirst = first.verification!.inclusionProof!.treeSize
      await log.createEntry(hashedRekordEntry().proposed)
      await log.createEntry(hashedRekordEntry().proposed)
      const old = await log.getEntryByUuid(first.uuid, { treeSize: sizeAfterFirst })
      expect(old!.verification!.inclusionProof!.treeSize).toBe(sizeAfterFirst)
      verifyEntryOffline(old!, await log.getPublicKey(), KEY_NAME)
      await expect(log.getEntryByUuid(first.uuid, { treeSize: 99 })).rejects.toMatchObject({
        code: 'TLOG_INVALID_REQUEST',
      })
      await expect(log.getConsistencyProof({ firstSize: 3, lastSize: 2 })).rejects.toMatchObject({
        code: 'TLOG_INVALID_REQUEST',
      })
      await expect(log.getConsistencyProof({ firstSize: 1, lastSize: 4 })).rejects.toMatchObject({
        code: 'TLOG_INVALID_REQUEST',
      })
      expect(await log.getEntryByIndex(3)).toBeUndefined()
      expect(await log.getEntryByUuid('ab'.repeat(32))).toBeUndefined()
    })
  })
}

// The stored body is enough to rebuild a hashedrekord proposal that canonicalizes to the same leaf.
function parseProposedFrom(entry: { body: string }): unknown {
  return JSON.parse(Buffer.from(entry.body, 'base64').toString('utf8')) as unknown
}
