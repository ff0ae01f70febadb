import { createHash, generateKeyPairSync } from 'node:crypto'
import { createRekorClient } from '@certus-trust/rekor'
import { createMemoryStorage } from '@certus-trust/storage'
import { createRekorApi, createTransparencyLog, type TransparencyLog } from '@certus-trust/tlog'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSigner, generateKeyPair } from '../src/index.js'
import { clone, flipBase64, type Loose, verifyUpstream } from './helpers.js'
import { startMockSigstore } from './mock-services.js'

// Integration: the real embedded log (@certus-trust/tlog, in-memory storage) as the witness, and the real
// RekorClient (@certus-trust/rekor) as a remote Rekor — against the log's own Rekor v1 API and @sigstore/mock's Rekor.
let storage: Awaited<ReturnType<typeof createMemoryStorage>>
let log: TransparencyLog
let rootJson: unknown
beforeAll(async () => {
  storage = createMemoryStorage()
  log = await createTransparencyLog({ storage, baseUrl: 'https://log.certus.test' })
  rootJson = await log.exportTrustedRoot()
})
afterAll(async () => {
  await log?.close()
  await storage?.close()
})

const artifact = Buffer.from('embedded log artifact')

describe('embedded log witness (@certus-trust/tlog, in memory)', () => {
  it.each(['ecdsa-p256', 'rsa-pkcs1v15'] as const)(
    '%s message signature and DSSE verify upstream with the exported trusted root',
    async (algorithm) => {
      const { privateKey } = await generateKeyPair({ algorithm, rsaBits: 2048 })
      const signer = createSigner({ key: privateKey, witness: log })
      const message = await signer.sign(artifact)
      const publicKeys = { [message.keyHint!]: message.publicKeyPem! }
      expect(message.logEntries[0]!.uuid).toMatch(/^[0-9a-f]{64,80}$/)
      expect(() => verifyUpstream(message.bundle, artifact, { rootJson, publicKeys })).not.toThrow()
      expect(() =>
        verifyUpstream(message.bundle, Buffer.from('tampered'), { rootJson, publicKeys }),
      ).toThrow()
      const badProof = clone(message.bundle) as Loose
      const proof = badProof.verificationMaterial.tlogEntries[0].inclusionProof
      proof.checkpoint.envelope = proof.checkpoint.envelope.replace(
        /\n(\S+=)\n/,
        (_: string, root: string) => `\n${flipBase64(root)}\n`,
      )
      expect(() => verifyUpstream(badProof, artifact, { rootJson, publicKeys })).toThrow()

      const attestation = await signer.attest({
        artifact,
        name: 'artifact.txt',
        predicateType: 'https://example.com/custom/v1',
        predicate: { built: true },
      })
      expect(() => verifyUpstream(attestation.bundle, undefined, { rootJson, publicKeys })).not.toThrow()
      const statement = JSON.parse(
        Buffer.from((attestation.bundle as Loose).dsseEnvelope.payload, 'base64').toString(),
      )
      expect(statement.subject).toEqual([
        { name: 'artifact.txt', digest: { sha256: createHash('sha256').update(artifact).digest('hex') } },
      ])
    },
  )

  it('Ed25519 DSSE verifies upstream; a pure-Ed25519 message signature is accepted by the log through `artifact`', async () => {
    const signer = createSigner({ key: generateKeyPairSync('ed25519').privateKey, witness: log })
    const attestation = await signer.attest({
      subjects: [{ name: 'a', digest: { sha256: 'ef'.repeat(32) } }],
      predicateType: 'https://example.com/x',
      predicate: {},
    })
    expect(() =>
      verifyUpstream(attestation.bundle, undefined, {
        rootJson,
        publicKeys: { [attestation.keyHint!]: attestation.publicKeyPem! },
      }),
    ).not.toThrow()
    const message = await signer.sign(artifact)
    expect(message.logEntries).toHaveLength(1)
  })

  it('streamed file + digest-only ECDSA bundles verify upstream', async () => {
    const { privateKey } = await generateKeyPair({ algorithm: 'ecdsa-p384' })
    const signer = createSigner({ key: privateKey, witness: log })
    const digest = `sha256:${createHash('sha256').update(artifact).digest('hex')}`
    const result = await signer.sign({ digest })
    expect(() =>
      verifyUpstream(result.bundle, artifact, {
        rootJson,
        publicKeys: { [result.keyHint!]: result.publicKeyPem! },
      }),
    ).not.toThrow()
  })
})

describe('deterministic signatures already in the log (409 / TLOG_ENTRY_CONFLICT)', () => {
  it('re-signing with Ed25519 or RSA PKCS#1 v1.5 reuses the existing, checked entry', async () => {
    const again = Buffer.from(`same artifact ${Date.now()}`)
    for (const key of [
      generateKeyPairSync('ed25519').privateKey,
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    ]) {
      const signer = createSigner({ key, witness: log })
      const first = await signer.sign(again)
      const second = await signer.sign(again)
      expect(second.logEntries[0]!.logIndex).toBe(first.logEntries[0]!.logIndex)
      expect(second.bundle.verificationMaterial.tlogEntries[0]!.canonicalizedBody).toBe(
        first.bundle.verificationMaterial.tlogEntries[0]!.canonicalizedBody,
      )
    }
  })
  it('through RekorClient against the Rekor v1 API (HTTP 409)', async () => {
    const app = createRekorApi(log)
    const client = createRekorClient({
      baseUrl: 'https://log.certus.test',
      retries: 0,
      fetch: async (input, init) => app.fetch(new Request(input, init)),
    })
    const signer = createSigner({
      key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
      witness: client,
    })
    const first = await signer.sign(artifact)
    const second = await signer.sign(artifact)
    expect(second.logEntries[0]!.logIndex).toBe(first.logEntries[0]!.logIndex)
    expect(() =>
      verifyUpstream(second.bundle, artifact, {
        rootJson,
        publicKeys: { [second.keyHint!]: second.publicKeyPem! },
      }),
    ).not.toThrow()
  })
})

describe('remote Rekor through RekorClient', () => {
  it("against the embedded log's Rekor v1 HTTP API", async () => {
    const app = createRekorApi(log)
    const client = createRekorClient({
      baseUrl: 'https://log.certus.test',
      retries: 0,
      fetch: async (input, init) => app.fetch(new Request(input, init)),
    })
    const signer = createSigner({
      key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      witness: client,
    })
    const result = await signer.sign(artifact)
    expect(() =>
      verifyUpstream(result.bundle, artifact, {
        rootJson,
        publicKeys: { [result.keyHint!]: result.publicKeyPem! },
      }),
    ).not.toThrow()
    const attestation = await signer.attest({
      subjects: [{ name: 'a', digest: { sha256: '01'.repeat(32) } }],
      predicateType: 'https://example.com/x',
      predicate: { n: 1 },
    })
    expect(() =>
      verifyUpstream(attestation.bundle, undefined, {
        rootJson,
        publicKeys: { [attestation.keyHint!]: attestation.publicKeyPem! },
      }),
    ).not.toThrow()
  })

  it("against @sigstore/mock's Rekor on 127.0.0.1, and unreachable/failed Rekor gives typed errors", async () => {
    const mock = await startMockSigstore()
    try {
      const client = createRekorClient({ baseUrl: mock.url, retries: 0, timeout: 2000 })
      const signer = createSigner({
        key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
        witness: client,
      })
      const result = await signer.sign(artifact)
      expect(() =>
        verifyUpstream(result.bundle, artifact, {
          root: mock.root,
          publicKeys: { [result.keyHint!]: result.publicKeyPem! },
        }),
      ).not.toThrow()
      mock.fail('/api/v1/log/entries', 400)
      await expect(signer.sign(artifact)).rejects.toMatchObject({ code: 'SIGNER_WITNESS_FAILED' })
      mock.fail('/api/v1/log/entries', 503)
      await expect(signer.sign(artifact)).rejects.toMatchObject({ code: 'SIGNER_WITNESS_UNREACHABLE' })
      const down = createSigner({
        key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
        witness: createRekorClient({ baseUrl: 'http://127.0.0.1:1', retries: 0, timeout: 2000 }),
      })
      await expect(down.sign(artifact)).rejects.toMatchObject({ code: 'SIGNER_WITNESS_UNREACHABLE' })
    } finally {
      await mock.close()
    }
  })

  it('a log whose storage is down is unreachable (retry later), not a rejection', async () => {
    for (const code of ['TLOG_STORAGE_FAILED', 'TLOG_CLOSED', 'STORAGE_UNAVAILABLE']) {
      const signer = createSigner({
        key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
        witness: {
          createEntry: async () => {
            throw Object.assign(new Error('storage failed while appending'), { code })
          },
        },
      })
      await expect(signer.sign(artifact)).rejects.toMatchObject({
        code: 'SIGNER_WITNESS_UNREACHABLE',
        details: { causeCode: code },
      })
    }
  })
})
