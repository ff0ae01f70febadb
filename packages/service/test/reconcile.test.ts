import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildHashedRekordProposedEntry } from '@certus-trust/log-protocol/entries'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defaultStorageConfig } from '../src/entries/storage.js'
import {
  type OpenedTrustService,
  openTrustService,
  RECONCILED_ARTIFACT_TYPE,
  RECORD_DUE_SEARCH_KEY,
  type ServiceConfig,
} from '../src/index.js'
import { dataDirLayout } from '../src/layout.js'

const context = { requestId: 'test', caller: 'anonymous' }
const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}` as const

function configFor(dataDir: string, storage: ServiceConfig['storage']): ServiceConfig {
  const layout = dataDirLayout(dataDir)
  return {
    dataDir,
    storage,
    signingKeyPath: layout.signingKeyPath,
    logKeyPath: layout.logKeyPath,
    keyless: { enabled: false },
    transparency: { mode: 'embedded' },
    databasePoolSize: 2,
    upstreamTimeoutMs: 5_000,
    upstreamRetries: 0,
  }
}

// Each backend: the signer appends through the service's witness (marked), and no record is written — exactly
// what a kill between the append and the record leaves behind.
for (const backend of ['memory', 'sqlite'] as const) {
  describe(`reconcileOrphans (${backend})`, () => {
    let dataDir: string
    let opened: OpenedTrustService
    beforeEach(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'certus-reconcile-'))
      const storage = backend === 'memory' ? { kind: 'memory' as const } : defaultStorageConfig(dataDir)
      opened = await openTrustService(configFor(dataDir, storage))
    })
    afterEach(async () => {
      await opened.close()
      await rm(dataDir, { recursive: true, force: true })
    })

    it('writes the missing record of an entry signed here, from the entry alone; its bundle verifies', async () => {
      const artifact = digestOf('orphan')
      const recorded = await opened.service.sign(
        { artifact: digestOf('recorded'), artifact_type: 'sbom', subject: 'recorded.json' },
        context,
      )
      const orphan = await opened.signer.sign(artifact)
      const entry = orphan.logEntries[0]!
      await expect(opened.storage.getSignedArtifactByEntryUuid(entry.uuid)).rejects.toMatchObject({
        code: 'STORAGE_NOT_FOUND',
      })

      // Within the grace period the signing may still be writing its record: left alone.
      expect(await opened.reconcile({ graceSeconds: 3600 })).toEqual({
        orphans: 0,
        reconciled: 0,
        failed: 0,
        supported: true,
      })
      expect(await opened.reconcile()).toEqual({ orphans: 1, reconciled: 1, failed: 0, supported: true })
      expect(await opened.reconcile()).toEqual({ orphans: 0, reconciled: 0, failed: 0, supported: true })
      // Once recorded, entries lose their mark: the next run examines only what was signed since.
      expect(await opened.storage.findLeavesBySearchKey(RECORD_DUE_SEARCH_KEY)).toEqual([])

      const record = await opened.storage.getSignedArtifactByEntryUuid(entry.uuid)
      expect(record).toMatchObject({
        artifactHash: artifact,
        artifactType: RECONCILED_ARTIFACT_TYPE,
        subject: artifact,
        signature: (orphan.bundle as unknown as { messageSignature: { signature: string } }).messageSignature
          .signature,
        publicKey: opened.signingPublicKeyPem,
        logIndex: entry.logIndex,
        integratedTime: entry.integratedTime,
      })
      // The rebuilt bundle is a real one: it verifies against the artifact, the log's key and our key.
      const verified = await opened.service.verify({ artifact, bundle: record.bundle }, context)
      expect(verified).toMatchObject({ valid: true, transparency_index: entry.logIndex })
      // The recorded signing kept its own record.
      const kept = await opened.storage.getSignedArtifactByEntryUuid(recorded.entry_id)
      expect(kept).toMatchObject({ artifactType: 'sbom', subject: 'recorded.json' })
    })

    it('leaves entries that were not signed here (Rekor API clients) without records', async () => {
      const { generateKeyPairSync, sign } = await import('node:crypto')
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      const data = Buffer.from('uploaded by a Rekor client')
      await opened.log!.createEntry(
        buildHashedRekordProposedEntry({
          digest: createHash('sha256').update(data).digest('hex'),
          signature: sign('sha256', data, privateKey),
          publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        }),
      )
      expect(await opened.reconcile()).toMatchObject({ orphans: 0, reconciled: 0 })
      expect((await opened.storage.listSignedArtifacts()).items).toHaveLength(0)
    })

    it('an attestation orphan gets a record with the log-backed bundle (the envelope is not in the log)', async () => {
      const attested = await opened.signer.attest({
        subjects: [{ name: 'app', digest: { sha256: 'ab'.repeat(32) } }],
        predicateType: 'https://slsa.dev/provenance/v1',
        predicate: { builder: { id: 'test' } },
      })
      expect(await opened.reconcile()).toMatchObject({ orphans: 1, reconciled: 1, failed: 0 })
      const record = await opened.storage.getSignedArtifactByEntryUuid(attested.logEntries[0]!.uuid)
      expect(record.artifactType).toBe(RECONCILED_ARTIFACT_TYPE)
      expect(record.bundle).not.toHaveProperty('dsseEnvelope')
      expect(record.bundle).toHaveProperty('verificationMaterial.tlogEntries')
    })
  })
}

describe('openDataDirLog (the certus command) reconciles what a killed server left', () => {
  it('an orphan of the server gets its record when the CLI opens the data directory', async () => {
    const { openDataDirLog } = await import('../src/entries/data-dir.js')
    const dataDir = await mkdtemp(join(tmpdir(), 'certus-reconcile-cli-'))
    try {
      const server = await openTrustService(configFor(dataDir, defaultStorageConfig(dataDir)))
      const orphan = await server.signer.sign(digestOf('left by a killed server'))
      await server.close()
      const opened = await openDataDirLog({ path: dataDir })
      try {
        const record = await opened.storage.getSignedArtifactByEntryUuid(orphan.logEntries[0]!.uuid)
        expect(record.artifactType).toBe(RECONCILED_ARTIFACT_TYPE)
      } finally {
        await opened.close()
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
