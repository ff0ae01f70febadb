import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RekorV2Client } from '@certus-trust/rekor'
import { createMemoryStorage } from '@certus-trust/storage'
import { serveApp } from '@certus-trust/test-utils'
import {
  createRekorApi,
  createRekorV2Api,
  createTimestampApi,
  createTimestampAuthority,
  createTransparencyLog,
  type TimestampAuthority,
  type TransparencyLog,
} from '@certus-trust/tlog'
import { RFC3161Timestamp } from '@sigstore/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSigner, createTimestampAuthorityWitness, generateKeyPair } from '../src/index.js'
import { SIGNING_CONFIG_MEDIA_TYPE } from '../src/signing-config.js'
import { verifyUpstream } from './helpers.js'

// Integration against real servers on 127.0.0.1: the embedded log in Rekor v1 and Rekor v2 mode
// (@certus-trust/tlog's createRekorApi / createRekorV2Api) and the embedded RFC 3161 TSA, behind node:http. Bundles
// are checked with upstream @sigstore/verify and the timestamps with OpenSSL and @sigstore/core's parser.

const storages = [createMemoryStorage(), createMemoryStorage()]
let server: Awaited<ReturnType<typeof serveApp>>
let v1: TransparencyLog
let v2: TransparencyLog
let tsa: TimestampAuthority
let rootJson: Record<string, unknown>

const artifact = Buffer.from('rekor v2 artifact')
const signingConfig = (rekor: Array<{ version: number; end?: string }>) => ({
  mediaType: SIGNING_CONFIG_MEDIA_TYPE,
  rekorTlogUrls: rekor.map(({ version, end }) => ({
    url: server.url,
    majorApiVersion: version,
    validFor: { start: '2020-01-01T00:00:00Z', ...(end ? { end } : {}) },
    operator: `certus-v${version}`,
  })),
  tsaUrls: [
    {
      url: `${server.url}/api/v1/timestamp`,
      majorApiVersion: 1,
      validFor: { start: '2020-01-01T00:00:00Z' },
      operator: 'certus',
    },
  ],
  rekorTlogConfig: { selector: 'ANY' },
  tsaConfig: { selector: 'ANY' },
})

beforeAll(async () => {
  server = await serveApp()
  v1 = await createTransparencyLog({ storage: storages[0]!, baseUrl: server.url })
  v2 = await createTransparencyLog({ storage: storages[1]!, baseUrl: server.url, apiVersion: 2 })
  tsa = await createTimestampAuthority()
  const [v1Api, v2Api, tsaApi] = [createRekorApi(v1), createRekorV2Api(v2), createTimestampApi(tsa)]
  server.use({
    fetch: (request) => {
      const path = new URL(request.url).pathname
      if (path.startsWith('/api/v2/')) return v2Api.fetch(request)
      return (path.startsWith('/api/v1/timestamp') ? tsaApi : v1Api).fetch(request)
    },
  })
  const base = (await v1.exportTrustedRoot()) as unknown as Record<string, unknown>
  rootJson = {
    ...(await v2.exportTrustedRoot({ base: base as never })),
    timestampAuthorities: [tsa.trustedRootEntry(`${server.url}/api/v1/timestamp`)],
  }
})
afterAll(async () => {
  await server?.close()
  await v1?.close()
  await v2?.close()
  for (const storage of storages) await storage.close()
})

describe('signing with a SigningConfig against the embedded Rekor v1/v2 log and TSA', () => {
  it('picks Rekor v2 (highest valid version) + TSA; the bundle verifies upstream, a changed artifact does not', async () => {
    const { privateKey } = await generateKeyPair({ algorithm: 'ecdsa-p256' })
    const signer = createSigner({
      key: privateKey,
      signingConfig: signingConfig([{ version: 1 }, { version: 2 }]),
    })
    const result = await signer.sign(artifact)
    const material = result.bundle.verificationMaterial
    expect(result.bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json')
    expect(material.tlogEntries).toHaveLength(1)
    expect(material.tlogEntries[0]!.kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.2' })
    expect(material.tlogEntries[0]!.integratedTime).toBe('0')
    expect(material.tlogEntries[0]!.inclusionPromise).toBeUndefined()
    expect(material.timestampVerificationData?.rfc3161Timestamps).toHaveLength(1)
    const publicKeys = { [result.keyHint!]: result.publicKeyPem! }
    expect(() => verifyUpstream(result.bundle, artifact, { rootJson, publicKeys })).not.toThrow()
    expect(() => verifyUpstream(result.bundle, Buffer.from('changed'), { rootJson, publicKeys })).toThrow()
    // Without the TSA in the trusted root there is no trusted time, so the v2 entry alone cannot verify.
    expect(() =>
      verifyUpstream(result.bundle, artifact, {
        rootJson: { ...rootJson, timestampAuthorities: [] },
        publicKeys,
      }),
    ).toThrow()
  })

  it('with the trusted root, a re-signed identical entry (409) is read back from the tiles', async () => {
    const { privateKey } = await generateKeyPair({ algorithm: 'ecdsa-p256' })
    const config = signingConfig([{ version: 2 }])
    // ECDSA over a digest is deterministic (RFC 6979): the same digest gives the same entry, which Rekor v2 refuses.
    const digest = `sha256:${createHash('sha256').update('twice').digest('hex')}` as const
    const first = await createSigner({ key: privateKey, signingConfig: config }).sign(digest)
    const again = createSigner({ key: privateKey, signingConfig: config, trustedRoot: rootJson })
    const second = await again.sign(digest)
    const [entry1, entry2] = [first, second].map(
      (result) => result.bundle.verificationMaterial.tlogEntries[0]!,
    )
    expect(entry2!.logIndex).toBe(entry1!.logIndex)
    expect(entry2!.canonicalizedBody).toBe(entry1!.canonicalizedBody)
    expect(() =>
      verifyUpstream(second.bundle, Buffer.from('twice'), {
        rootJson,
        publicKeys: { [second.keyHint!]: second.publicKeyPem! },
      }),
    ).not.toThrow()
    // Without log keys the conflict is reported, typed.
    await expect(createSigner({ key: privateKey, signingConfig: config }).sign(digest)).rejects.toMatchObject(
      {
        code: 'SIGNER_WITNESS_FAILED',
      },
    )
  })

  it('attests (DSSE) into Rekor v2 with a dsse 0.0.2 entry that verifies upstream', async () => {
    const { privateKey } = await generateKeyPair({ algorithm: 'ecdsa-p256' })
    const signer = createSigner({ key: privateKey, signingConfig: signingConfig([{ version: 2 }]) })
    const result = await signer.attest({
      subjects: [
        { name: 'app.tgz', digest: { sha256: createHash('sha256').update(artifact).digest('hex') } },
      ],
      predicateType: 'https://example.com/predicate',
      predicate: { ok: true },
    })
    expect(result.bundle.verificationMaterial.tlogEntries[0]!.kindVersion).toEqual({
      kind: 'dsse',
      version: '0.0.2',
    })
    const publicKeys = { [result.keyHint!]: result.publicKeyPem! }
    expect(() => verifyUpstream(result.bundle, undefined, { rootJson, publicKeys })).not.toThrow()
  })

  it('follows rekorVersion 1 and the validity periods', async () => {
    const { privateKey } = await generateKeyPair({ algorithm: 'ecdsa-p256' })
    const pinned = createSigner({
      key: privateKey,
      signingConfig: signingConfig([{ version: 1 }, { version: 2 }]),
      rekorVersion: 1,
    })
    const entry = (await pinned.sign(artifact)).bundle.verificationMaterial.tlogEntries[0]!
    expect(entry.kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.1' })
    expect(entry.inclusionPromise?.signedEntryTimestamp).toBeTruthy()
    // A v2 log whose validity ended is skipped: the v1 log is the highest valid version.
    const expired = createSigner({
      key: privateKey,
      signingConfig: signingConfig([{ version: 1 }, { version: 2, end: '2021-01-01T00:00:00Z' }]),
    })
    const fallback = (await expired.sign(Buffer.from('other'))).bundle.verificationMaterial.tlogEntries[0]!
    expect(fallback.kindVersion?.version).toBe('0.0.1')
    expect(() =>
      createSigner({ key: privateKey, signingConfig: signingConfig([{ version: 1 }]), rekorVersion: 2 }),
    ).toThrow(/no Rekor v2 log/)
  })

  it('refuses Rekor v2 without a timestamp authority, before signing anything', async () => {
    const { privateKey } = await generateKeyPair({ algorithm: 'ecdsa-p256' })
    expect(() =>
      createSigner({ key: privateKey, witness: new RekorV2Client({ baseUrl: server.url }) }),
    ).toThrow(expect.objectContaining({ code: 'SIGNER_INVALID_INPUT' }))
  })
})

describe('RFC 3161 timestamp witness (DER) against the embedded TSA', () => {
  it('stamps the signature; OpenSSL and @sigstore/core verify the reply independently', async () => {
    const { privateKey } = await generateKeyPair({ algorithm: 'ecdsa-p256' })
    const result = await createSigner({
      key: privateKey,
      witness: 'none',
      timestampAuthority: `${server.url}/api/v1/timestamp`,
    }).sign(artifact)
    const reply = Buffer.from(
      result.bundle.verificationMaterial.timestampVerificationData!.rfc3161Timestamps[0]!.signedTimestamp,
      'base64',
    )
    const signature = Buffer.from(
      (result.bundle as unknown as { messageSignature: { signature: string } }).messageSignature.signature,
      'base64',
    )
    const dir = mkdtempSync(join(tmpdir(), 'certus-ts-'))
    const [leaf, ca] = tsa.certificates
    writeFileSync(join(dir, 'reply.der'), reply)
    writeFileSync(join(dir, 'sig.bin'), signature)
    writeFileSync(join(dir, 'tsa.pem'), leaf!.toString())
    writeFileSync(join(dir, 'ca.pem'), ca!.toString())
    const openssl = (data: string) =>
      execFileSync(
        'openssl',
        [
          'ts',
          '-verify',
          '-data',
          join(dir, data),
          '-in',
          join(dir, 'reply.der'),
          '-CAfile',
          join(dir, 'ca.pem'),
          '-untrusted',
          join(dir, 'tsa.pem'),
        ],
        { stdio: 'pipe' },
      ).toString()
    expect(openssl('sig.bin')).toMatch(/Verification: OK/)
    writeFileSync(join(dir, 'other.bin'), Buffer.from('not the signature'))
    expect(() => openssl('other.bin')).toThrow()
    const parsed = RFC3161Timestamp.parse(reply as Buffer<ArrayBuffer>)
    expect(() => parsed.verify(signature, leaf!.publicKey)).not.toThrow()
    expect(() => parsed.verify(Buffer.from('x'), leaf!.publicKey)).toThrow()
    expect(Math.abs(parsed.signingTime.getTime() - Date.now())).toBeLessThan(60_000)
  })

  it('refuses replies that are not for our request (other imprint, other nonce, not DER)', async () => {
    const realFetch = globalThis.fetch
    const rewriting = (rewrite: (der: Buffer) => Buffer): typeof fetch =>
      (async (input: string | URL | Request, init?: RequestInit) =>
        realFetch(input, {
          ...init,
          body: new Uint8Array(rewrite(Buffer.from(init!.body as Uint8Array))),
        })) as typeof fetch
    const { privateKey } = await generateKeyPair({ algorithm: 'ecdsa-p256' })
    const sign = (fetchImpl: typeof fetch) =>
      createSigner({
        key: privateKey,
        witness: createTimestampAuthorityWitness({
          url: `${server.url}/api/v1/timestamp`,
          retries: 0,
          fetch: fetchImpl,
        }),
      }).sign(artifact)
    // The digest is the last 32 bytes of the messageImprint, right before the nonce INTEGER (tag 02, 8 or 9 bytes).
    const otherImprint = (der: Buffer) => {
      const copy = Buffer.from(der)
      const at = copy.indexOf(Buffer.from([0x04, 0x20])) + 2
      copy[at] = copy[at]! ^ 0xff
      return copy
    }
    await expect(sign(rewriting(otherImprint))).rejects.toMatchObject({
      code: 'SIGNER_WITNESS_RESPONSE_INVALID',
    })
    const otherNonce = (der: Buffer) => {
      const copy = Buffer.from(der)
      copy[copy.length - 4] = copy[copy.length - 4]! ^ 0x01 // inside the nonce, before the certReq BOOLEAN
      return copy
    }
    await expect(sign(rewriting(otherNonce))).rejects.toMatchObject({
      code: 'SIGNER_WITNESS_RESPONSE_INVALID',
    })
    const garbage = (async () => new Response('not der', { status: 200 })) as typeof fetch
    await expect(sign(garbage)).rejects.toMatchObject({ code: 'SIGNER_WITNESS_RESPONSE_INVALID' })
    const rejected = (async () => new Response('{}', { status: 400 })) as typeof fetch
    await expect(sign(rejected)).rejects.toMatchObject({
      code: 'SIGNER_WITNESS_FAILED',
      details: { status: 400 },
    })
  })
})
