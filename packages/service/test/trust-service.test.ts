import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSigner, type SignResult } from '@certus-trust/signer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultStorageConfig } from '../src/entries/storage.js'
import { type OpenedTrustService, openTrustService, type ServiceConfig, ServiceError } from '../src/index.js'
import { dataDirLayout } from '../src/layout.js'

const context = { requestId: 'test', caller: 'anonymous' }
const signatureOf = (result: SignResult) =>
  (result.bundle as unknown as { messageSignature: { signature: string } }).messageSignature
const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}` as const

function configFor(dataDir: string, overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  const layout = dataDirLayout(dataDir)
  return {
    dataDir,
    storage: { kind: 'memory' },
    signingKeyPath: layout.signingKeyPath,
    logKeyPath: layout.logKeyPath,
    keyless: { enabled: false },
    transparency: { mode: 'embedded' },
    databasePoolSize: 2,
    upstreamTimeoutMs: 5_000,
    upstreamRetries: 0,
    ...overrides,
  }
}

describe('openTrustService with the embedded log', () => {
  let dataDir: string
  let opened: OpenedTrustService

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'certus-service-'))
    opened = await openTrustService(configFor(dataDir))
  })
  afterAll(async () => {
    await opened?.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('generates the signing and log keys in the data directory with mode 0600', async () => {
    for (const path of [dataDirLayout(dataDir).signingKeyPath, dataDirLayout(dataDir).logKeyPath]) {
      expect((await stat(path)).mode & 0o777).toBe(0o600)
    }
    expect(opened.signingPublicKeyPem).toContain('BEGIN PUBLIC KEY')
  })

  it('signs, records, and answers an idempotent retry with the first result', async () => {
    const request = {
      artifact: digestOf('one'),
      artifact_type: 'sbom',
      subject: 'one.json',
      idempotency_key: 'retry-key-0001',
    }
    const first = await opened.service.sign(request, context)
    expect(first.transparency_entry?.index).toBeTypeOf('number')
    const again = await opened.service.sign(request, context)
    expect(again).toEqual(first)
    const records = await opened.storage.listSignedArtifactsByHash(request.artifact, { limit: 10 })
    expect(records.items).toHaveLength(1)
    await expect(opened.service.sign({ ...request, subject: 'other.json' }, context)).rejects.toSatisfy(
      (error: unknown) => ServiceError.is(error, 'SERVICE_IDEMPOTENCY_CONFLICT'),
    )
  })

  it('verifies its own bundle and a bare signature found in the log, and rejects a wrong digest', async () => {
    const artifact = digestOf('two')
    const signed = await opened.service.sign({ artifact, artifact_type: 'binary', subject: 'two' }, context)
    const bundle = await opened.service.verify({ artifact, bundle: signed.bundle }, context)
    expect(bundle).toMatchObject({ valid: true, transparency_index: signed.transparency_entry?.index })
    const bare = await opened.service.verify({ artifact, signature: signed.signature }, context)
    expect(bare).toMatchObject({ valid: true, signer: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) })
    const wrong = await opened.service.verify({ artifact: digestOf('three'), bundle: signed.bundle }, context)
    expect(wrong.valid).toBe(false)
    expect(wrong.failure?.code).toMatch(/^VERIFIER_/)
  })

  it('says a correct signature with no log entry is not valid', async () => {
    const artifact = digestOf('never logged')
    // The service's own key, but a signer that records nothing.
    const unlogged = createSigner({
      key: await readFile(dataDirLayout(dataDir).signingKeyPath, 'utf8'),
      witness: 'none',
    })
    const { signature } = signatureOf(await unlogged.sign(artifact))
    const response = await opened.service.verify({ artifact, signature }, context)
    expect(response.failure?.code).toBe('VERIFIER_TLOG_ENTRY_MISSING')
  })

  it('shows an entry with its proof and lists the entries of an artifact', async () => {
    const artifact = digestOf('four')
    const signed = await opened.service.sign({ artifact, artifact_type: 'sbom', subject: 'four' }, context)
    const entry = await opened.service.getEntry(signed.entry_id, { includeProof: true })
    expect(entry).toMatchObject({ artifact, kind: 'hashedrekord', signature: signed.signature })
    expect(entry.proof?.hashes).toBeInstanceOf(Array)
    const list = await opened.service.listEntries(artifact, { limit: 10 })
    expect(list.entries.map((item) => item.entry_id)).toEqual([signed.entry_id])
    await expect(opened.service.getEntry('0'.repeat(64), { includeProof: false })).rejects.toSatisfy(
      (error: unknown) => ServiceError.is(error, 'SERVICE_NOT_FOUND'),
    )
    expect(await opened.service.checkReady()).toEqual({ storage: { ok: true }, log: { ok: true } })
  })
})

describe('openTrustService with signing threads', () => {
  it('signs on worker threads with the same signatures as the main thread, all logged and recorded', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'certus-service-threads-'))
    const threaded = await openTrustService(configFor(dataDir, { signingThreads: 2 }))
    try {
      const requests = Array.from({ length: 40 }, (_, index) => ({
        artifact: digestOf(`threaded ${index}`),
        artifact_type: 'file',
        subject: `threaded ${index}`,
      }))
      const results = await Promise.all(requests.map((request) => threaded.service.sign(request, context)))
      // The same key on the main thread (RFC 6979: deterministic) makes byte-identical signatures.
      const inline = createSigner({
        key: await readFile(dataDirLayout(dataDir).signingKeyPath, 'utf8'),
        witness: 'none',
      })
      for (const [index, result] of results.entries()) {
        expect(result.signature).toBe(signatureOf(await inline.sign(requests[index]!.artifact)).signature)
        const verified = await threaded.service.verify(
          { artifact: requests[index]!.artifact, bundle: result.bundle },
          context,
        )
        expect(verified.valid).toBe(true)
      }
      expect(Number((await threaded.log?.getLogInfo())?.treeSize)).toBe(40)
      const records = await threaded.storage.listSignedArtifacts({ limit: 100 })
      expect(records.items).toHaveLength(40)
    } finally {
      await threaded.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('openTrustService with verification threads', () => {
  it('verifies its bundles on worker threads, the log answering their online lookups, and rejects wrong digests', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'certus-service-verify-threads-'))
    const threaded = await openTrustService(configFor(dataDir, { verifyThreads: 2 }))
    try {
      const requests = Array.from({ length: 8 }, (_, index) => ({
        artifact: digestOf(`verified on a thread ${index}`),
        artifact_type: 'file',
        subject: `verified ${index}`,
      }))
      const signed = await Promise.all(requests.map((request) => threaded.service.sign(request, context)))
      // 16 verifications in one turn: past the threads' minBatch, so they start. valid: true needs the online
      // check, which the threads ask of this thread (the embedded log lives here).
      const verdicts = await Promise.all([
        ...signed.map((result, index) =>
          threaded.service.verify({ artifact: requests[index]!.artifact, bundle: result.bundle }, context),
        ),
        ...signed.map((result) =>
          threaded.service.verify({ artifact: digestOf('someone else'), bundle: result.bundle }, context),
        ),
      ])
      expect(verdicts.slice(0, 8).map((verdict) => verdict.valid)).toEqual(Array(8).fill(true))
      expect(verdicts.slice(0, 8).map((verdict) => verdict.transparency_index)).toEqual(
        signed.map((result) => result.transparency_entry?.index),
      )
      expect(verdicts.slice(8).map((verdict) => [verdict.valid, verdict.failure?.code])).toEqual(
        Array(8).fill([false, 'VERIFIER_ARTIFACT_MISMATCH']),
      )
    } finally {
      await threaded.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('openTrustService with transparency off', () => {
  it('signs without an entry, verifies by signature alone, and refuses entry lookups', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'certus-service-off-'))
    const opened = await openTrustService(configFor(dataDir, { transparency: { mode: 'off' } }))
    try {
      const artifact = digestOf('five')
      const signed = await opened.service.sign({ artifact, artifact_type: 'sbom', subject: 'five' }, context)
      expect(signed.transparency_entry).toBeUndefined()
      expect((await opened.service.verify({ artifact, bundle: signed.bundle }, context)).valid).toBe(true)
      expect((await opened.service.verify({ artifact, signature: signed.signature }, context)).valid).toBe(
        true,
      )
      await expect(opened.service.getEntry('0'.repeat(64), { includeProof: false })).rejects.toSatisfy(
        (error: unknown) => ServiceError.is(error, 'SERVICE_FEATURE_DISABLED'),
      )
    } finally {
      await opened.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('configuration errors', () => {
  it('names an unreadable trusted root and closes what it opened', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'certus-service-bad-'))
    try {
      await expect(
        openTrustService(configFor(dataDir, { trustedRootPath: join(dataDir, 'missing.json') })),
      ).rejects.toSatisfy((error: unknown) => ServiceError.is(error, 'SERVICE_CONFIG_INVALID'))
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })

  it('defaults storage to the SQLite database inside the data directory', () => {
    expect(defaultStorageConfig('/data')).toEqual({ kind: 'sqlite', path: '/data/certus.db' })
  })
})
