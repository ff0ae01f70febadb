import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StorageError } from '@certus-trust/storage'
import { afterAll, describe, expect, it } from 'vitest'
import { createPGliteStorage, migrate } from '../src/index.js'

const dataDir = mkdtempSync(join(tmpdir(), 'certus-pglite-durable-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('PGlite storage', () => {
  // Three PGlite start-ups on disk: seconds each on a busy machine.
  it('is durable in its data directory and migrates idempotently', { timeout: 120_000 }, async () => {
    expect(await migrate({ dataDir })).toEqual({ applied: [1, 2], version: 2 })
    const first = await createPGliteStorage({ dataDir, migrate: true })
    expect(await first.migrate()).toEqual({ applied: [], version: 2 })
    const saved = await first.saveSignedArtifact({
      artifactHash: `sha256:${'12'.repeat(32)}`,
      artifactType: 'sbom',
      subject: 'app.cdx.json',
      signature: 'c2ln',
      bundle: { z: 1, a: 2 },
    })
    await first.createTree({
      treeId: '5',
      origin: 'o',
      publicKeyPem: 'pem',
      keyAlgorithm: 'ed25519',
      logId: 'e5'.repeat(32),
      startIndex: 0,
      active: true,
      createdAt: new Date(),
    })
    await first.withTreeLock('5', (tx) =>
      tx.appendLeaves([
        {
          treeId: '5',
          leafIndex: 0,
          leafHash: new Uint8Array(32).fill(3),
          body: new Uint8Array([1]),
          integratedTime: 2,
          signedEntryTimestamp: new Uint8Array([3]),
          searchKeys: ['k'],
        },
      ]),
    )
    await first.close()

    const reopened = await createPGliteStorage({ dataDir })
    try {
      expect(await reopened.schemaVersion()).toEqual({ current: 2, latest: 2 })
      expect(JSON.stringify(await reopened.getSignedArtifact(saved.id))).toBe(JSON.stringify(saved))
      expect(await reopened.getLeafCount('5')).toBe(1)
      expect(await reopened.findLeavesBySearchKey('k')).toEqual([{ treeId: '5', leafIndex: 0 }])
    } finally {
      await reopened.close()
    }
  })

  it('rejects bad options with STORAGE_INVALID_OPTIONS', async () => {
    const error = await createPGliteStorage({ dataDir: '' }).catch((caught: unknown) => caught)
    expect(StorageError.is(error, 'STORAGE_INVALID_OPTIONS')).toBe(true)
  })
})

describe('PGlite storage inside a lock callback', () => {
  it('answers plain storage reads issued from inside withTreeLock instead of deadlocking', async () => {
    const storage = await createPGliteStorage({ migrate: true })
    try {
      await storage.createTree({
        treeId: '8',
        origin: 'o',
        publicKeyPem: 'pem',
        keyAlgorithm: 'ed25519',
        logId: 'f6'.repeat(32),
        startIndex: 0,
        active: true,
        createdAt: new Date(),
      })
      const trees = await storage.withTreeLock('8', async () =>
        (await storage.listTrees()).map((tree) => tree.treeId),
      )
      expect(trees).toEqual(['8'])
    } finally {
      await storage.close()
    }
  }, 60_000)
})
