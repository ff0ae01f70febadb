import { createHash, createPrivateKey, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildHashedRekordProposedEntry, parseEntryBody } from '@certus-trust/log-protocol/entries'
import { createMemoryStorage } from '@certus-trust/storage'
import { describe, expect, it } from 'vitest'
import { createTransparencyLog } from '../src/index.js'
import { verifyEntryOffline } from './helpers.js'
import { runLogSuite } from './log-suite.js'

runLogSuite({ name: 'in-memory storage', create: async () => createMemoryStorage() })

describe('certificate-based entries (self-signed test certificate with email and URI SANs)', () => {
  const fixtures = join(import.meta.dirname, 'fixtures')
  const certificatePem = readFileSync(join(fixtures, 'signer-cert.pem'), 'utf8')
  const privateKey = createPrivateKey(readFileSync(join(fixtures, 'signer-key.pem'), 'utf8'))

  it('accepts a hashedrekord signed by a certificate key and indexes its SANs', async () => {
    const log = await createTransparencyLog({ storage: createMemoryStorage() })
    const artifact = Buffer.from('release-1.0.tgz contents')
    const digest = createHash('sha256').update(artifact).digest('hex')
    const proposed = buildHashedRekordProposedEntry({
      digest,
      signature: sign('sha256', artifact, privateKey),
      certificatePem,
    })
    const entry = await log.createEntry(proposed)
    verifyEntryOffline(entry, await log.getPublicKey())
    const body = parseEntryBody(entry.body)
    expect(body.kind).toBe('hashedrekord')
    expect(
      Buffer.from(
        (body as { spec: { signature: { publicKey: { content: string } } } }).spec.signature.publicKey
          .content,
        'base64',
      ).toString(),
    ).toContain('BEGIN CERTIFICATE')
    expect(await log.searchIndex({ email: 'alice@example.com' })).toEqual([entry.uuid])
    expect(await log.searchIndex({ subject: 'https://github.com/certus/ci' })).toEqual([entry.uuid])
    expect(
      await log.searchIndex({
        publicKey: { format: 'x509', content: Buffer.from(certificatePem).toString('base64') },
      }),
    ).toEqual([entry.uuid])
    expect(await log.searchIndex({ email: 'bob@example.com' })).toEqual([])
    await log.close()
  })
})

describe('lifecycle', () => {
  it('rejects aborted requests with TLOG_ABORTED and calls after close with TLOG_CLOSED, after flushing queued entries', async () => {
    const { hashedRekordEntry } = await import('./entries.js')
    const log = await createTransparencyLog({ storage: createMemoryStorage() })
    await expect(
      log.createEntry(hashedRekordEntry().proposed, { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: 'TLOG_ABORTED' })
    // An entry aborted while queued is skipped by its batch, not logged.
    const controller = new AbortController()
    const queued = log.createEntry(hashedRekordEntry().proposed, { signal: controller.signal })
    controller.abort()
    await expect(queued).rejects.toMatchObject({ code: 'TLOG_ABORTED' })
    const pending = log.createEntry(hashedRekordEntry().proposed)
    await log.close()
    await log.close()
    expect((await pending).logIndex).toBe(0)
    await expect(log.createEntry(hashedRekordEntry().proposed)).rejects.toMatchObject({ code: 'TLOG_CLOSED' })
    await expect(log.getEntryByIndex(0)).rejects.toMatchObject({ code: 'TLOG_CLOSED' })
  })

  it('rejects bad options', async () => {
    await expect(
      createTransparencyLog({ storage: createMemoryStorage(), baseUrl: 'not a url' }),
    ).rejects.toMatchObject({ code: 'TLOG_INVALID_REQUEST' })
    await expect(
      createTransparencyLog({ storage: createMemoryStorage(), maxBatchSize: 0 }),
    ).rejects.toMatchObject({ code: 'TLOG_INVALID_REQUEST' })
    await expect(createTransparencyLog(undefined as never)).rejects.toMatchObject({
      code: 'TLOG_INVALID_REQUEST',
    })
  })
})

describe('rotation by another process', () => {
  it('a log whose shard was rotated elsewhere refuses to append instead of writing to the frozen shard', async () => {
    const { hashedRekordEntry } = await import('./entries.js')
    const { generateKeyPairSync } = await import('node:crypto')
    const storage = createMemoryStorage()
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    const first = await createTransparencyLog({ storage, key })
    const second = await createTransparencyLog({ storage, key })
    await first.createEntry(hashedRekordEntry().proposed)
    await second.rotateKey()
    await expect(first.createEntry(hashedRekordEntry().proposed)).rejects.toMatchObject({
      code: 'TLOG_KEY_MISMATCH',
    })
    expect((await second.createEntry(hashedRekordEntry().proposed)).logIndex).toBe(1)
    const [frozen] = await storage.listTrees()
    expect(await storage.getLeafCount(frozen!.treeId)).toBe(1)
  })
})

describe('in-process hooks', () => {
  it('stores extra search keys with the leaf, and reports each inclusion proof it builds', async () => {
    const { hashedRekordEntry } = await import('./entries.js')
    const storage = createMemoryStorage()
    const proofs: number[] = []
    const log = await createTransparencyLog({ storage, onInclusionProof: (seconds) => proofs.push(seconds) })
    const marked = await log.createEntry(hashedRekordEntry().proposed, { searchKeys: ['certus:record'] })
    await log.createEntry(hashedRekordEntry().proposed)
    const hits = await storage.findLeavesBySearchKey('certus:record')
    expect(hits.map((hit) => hit.leafIndex)).toEqual([marked.logIndex])
    // Appends return the proof the batch computed anyway; reads build one.
    expect(proofs).toHaveLength(0)
    await log.getEntryByUuid(marked.uuid)
    await log.getEntryByIndex(marked.logIndex)
    expect(proofs).toHaveLength(2)
    expect(proofs.every((seconds) => seconds >= 0 && seconds < 60)).toBe(true)
    await log.close()
  })
})
