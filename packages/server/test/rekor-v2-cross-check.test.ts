import { createHash } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { createRequire } from 'node:module'
import { embeddedSigningConfig, exportEmbeddedTrustedRoot } from '@certus-trust/service'
import { fakeIdentityToken, startMockFulcio } from '@certus-trust/test-utils'
import { createVerifier } from '@certus-trust/verifier'
import { bundleFromJSON, bundleToJSON } from '@sigstore/bundle'
import { bundleBuilderFromSigningConfig, RekorWitness } from '@sigstore/sign'
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer } from './helpers.js'

/*
 * Code we did not write, against the server on a local port: upstream @sigstore/sign, configured only by the
 * SigningConfig the service exports, signs with a (mock) Fulcio certificate, writes to the embedded Rekor v2 log
 * and timestamps with the embedded TSA; upstream @sigstore/verify and ours accept the bundle with the exported
 * trusted root, and both reject it for another artifact.
 */

// protobuf-specs as @sigstore/sign and @sigstore/verify load it (their own copy).
const requireFrom = (module: string) => createRequire(createRequire(import.meta.url).resolve(module))
const signSpecs = requireFrom('@sigstore/sign')('@sigstore/protobuf-specs') as {
  SigningConfig: { fromJSON(json: unknown): never }
}
const verifySpecs = requireFrom('@sigstore/verify')('@sigstore/protobuf-specs') as {
  TrustedRoot: { fromJSON(json: unknown): never }
}

const IDENTITY = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main'
const ISSUER = 'https://token.actions.githubusercontent.com'

let fulcio: Awaited<ReturnType<typeof startMockFulcio>>
let test: Awaited<ReturnType<typeof startTestServer>>
let trustedRoot: Record<string, unknown>
let signingConfig: Awaited<ReturnType<typeof embeddedSigningConfig>>

beforeAll(async () => {
  fulcio = await startMockFulcio()
  // SQLite, the embedded default: the v2 log lives in its own file beside certus.db.
  test = await startTestServer('sqlite', {
    CERTUS_TRUST_ANONYMOUS_ROLES: 'signer,verifier',
    CERTUS_TRUST_LOG_BASE_URL: 'http://127.0.0.1',
  })
  const { log, rekorV2, tsa } = test.server.deps
  trustedRoot = (await exportEmbeddedTrustedRoot(
    { log: log!, rekorV2, tsa },
    fulcio.trustedRoot as never,
  )) as unknown as Record<string, unknown>
  signingConfig = await embeddedSigningConfig(
    { log: log!, rekorV2, tsa },
    { url: test.server.url, fulcioUrl: fulcio.url },
  )
}, 60_000)

afterAll(async () => {
  await test?.cleanup()
  await fulcio?.close()
})

async function treeSizes(): Promise<{ v1: number; v2: string }> {
  const v1 = (await (await fetch(`${test.server.url}/api/v1/log`)).json()) as { treeSize: number }
  const checkpoint = await (await fetch(`${test.server.url}/api/v2/checkpoint`)).text()
  return { v1: v1.treeSize, v2: checkpoint.split('\n')[1]! }
}

function upstreamVerifier(): Verifier {
  return new Verifier(toTrustMaterial(verifySpecs.TrustedRoot.fromJSON(trustedRoot)))
}

function signWith(bundleType: 'messageSignature' | 'dsseEnvelope') {
  return bundleBuilderFromSigningConfig({
    signingConfig: signSpecs.SigningConfig.fromJSON(signingConfig),
    identityProvider: { getToken: async () => fakeIdentityToken({ sub: IDENTITY, iss: ISSUER }) },
    bundleType,
    fetchOptions: { timeout: 20_000, retry: { retries: 0 } },
  })
}

describe('upstream @sigstore/sign → certus serve (Rekor v2 + TSA) → upstream and our verifiers', () => {
  it('signs a message through the SigningConfig, and both verifiers accept it; a changed artifact fails both', async () => {
    // The first entry of the log: index 0, which upstream's bundleToJSON leaves out (protobuf JSON omits zeros).
    const before = await treeSizes()
    const artifact = Buffer.from('release artifact for Rekor v2')
    const bundle = await signWith('messageSignature').create({ data: artifact })
    const json = bundleToJSON(bundle) as unknown as {
      verificationMaterial: {
        tlogEntries: Array<Record<string, unknown>>
        timestampVerificationData: { rfc3161Timestamps: unknown[] }
      }
    }
    const [entry] = json.verificationMaterial.tlogEntries
    expect(entry?.kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.2' })
    expect(entry?.logIndex).toBeUndefined() // index 0, omitted as protobuf JSON does
    // No SET (protobuf-JSON leaves out the zero integratedTime); the proof's checkpoint has the bare C2SP origin.
    expect(entry?.inclusionPromise).toBeUndefined()
    expect(entry?.integratedTime ?? '0').toBe('0')
    const proof = entry?.inclusionProof as { checkpoint: { envelope: string } }
    expect(proof.checkpoint.envelope.split('\n')[0]).toBe('127.0.0.1')
    expect(json.verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1)
    expect(await treeSizes()).toEqual({ v1: before.v1, v2: String(Number(before.v2) + 1) })

    upstreamVerifier().verify(toSignedEntity(bundleFromJSON(json), artifact), {
      subjectAlternativeName: IDENTITY,
      extensions: { issuer: ISSUER },
    })
    const ours = createVerifier({ trustedRoot })
    const result = await ours.verify(json, new Uint8Array(artifact), { identity: IDENTITY, issuer: ISSUER })
    expect(result.signer.kind).toBe('certificate')
    expect(result.timestamps.length).toBeGreaterThan(0)

    const changed = Buffer.from('release artifact for Rekor v3')
    expect(() => upstreamVerifier().verify(toSignedEntity(bundleFromJSON(json), changed))).toThrow()
    await expect(
      ours.verify(json, new Uint8Array(changed), { identity: IDENTITY, issuer: ISSUER }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^VERIFIER_/) })
  }, 60_000)

  it('signs a DSSE envelope (dsseRequestV002) that both verifiers accept', async () => {
    const artifact = new Uint8Array(Buffer.from('attested artifact'))
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'a.txt', digest: { sha256: createHash('sha256').update(artifact).digest('hex') } }],
      predicateType: 'https://example.com/test/v1',
      predicate: {},
    }
    const bundle = await signWith('dsseEnvelope').create({
      data: Buffer.from(JSON.stringify(statement)),
      type: 'application/vnd.in-toto+json',
    })
    const json = bundleToJSON(bundle) as unknown as {
      verificationMaterial: { tlogEntries: Array<Record<string, unknown>> }
    }
    expect(json.verificationMaterial.tlogEntries[0]?.kindVersion).toEqual({ kind: 'dsse', version: '0.0.2' })
    upstreamVerifier().verify(toSignedEntity(bundleFromJSON(json)))
    const ours = createVerifier({ trustedRoot })
    const result = await ours.verify(json, artifact, { identity: IDENTITY, issuer: ISSUER })
    expect(result.contentType).toBe('dsse')
    await expect(
      ours.verify(json, new Uint8Array(Buffer.from('other')), { identity: IDENTITY, issuer: ISSUER }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^VERIFIER_/) })
  }, 60_000)

  it('refuses a key-only signer that labels its key as a certificate (as @sigstore/sign 5 does) with 400', async () => {
    const before = await treeSizes()
    const witness = new RekorWitness({
      rekorBaseURL: test.server.url,
      majorApiVersion: 2,
      retry: { retries: 0 },
    })
    const { generateKeyPairSync, sign } = await import('node:crypto')
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const data = Buffer.from('key-signed')
    const content = {
      $case: 'messageSignature' as const,
      messageSignature: {
        messageDigest: { algorithm: 1, digest: createHash('sha256').update(data).digest() },
        signature: sign('sha256', data, privateKey),
      },
    }
    await expect(
      witness.testify(content as never, publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    ).rejects.toThrow(/400|invalid/i)
    expect(await treeSizes()).toEqual(before)
  })
})

describe('bad input to certus serve: 4xx JSON, nothing appended', () => {
  /**
   * POSTs with node:http: a server that refuses an oversized body answers before reading all of it, and fetch
   * reports that as a failed request; here the answer is read even if the rest of the upload is cut off.
   */
  function send(path: string, body: string | Uint8Array, contentType = 'application/json') {
    // biome-ignore lint/suspicious/noExplicitAny: tests read response fields freely
    return new Promise<{ status: number; type: string; body: Record<string, any> }>((resolve, reject) => {
      const url = new URL(path, test.server.url)
      const request = httpRequest(
        url,
        {
          method: 'POST',
          headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              type: String(response.headers['content-type'] ?? ''),
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            }),
          )
        },
      )
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error)
      })
      request.end(body)
    })
  }

  it('answers malformed v2 requests, mismatched key details and bad timestamp requests with 4xx JSON', async () => {
    const before = await treeSizes()
    const digest = createHash('sha256').update('x').digest('base64')
    const requests: Array<[string, string, string | Uint8Array, string?]> = [
      ['/api/v2/log/entries', 'not JSON', '{'],
      ['/api/v2/log/entries', 'empty request', '{}'],
      [
        '/api/v2/log/entries',
        'mismatched key details',
        JSON.stringify({
          hashedRekordRequestV002: {
            digest,
            signature: {
              content: Buffer.from('sig').toString('base64'),
              verifier: {
                keyDetails: 'PKIX_ECDSA_P384_SHA_384',
                x509Certificate: { rawBytes: fulcio.rootCertificateDer.toString('base64') },
              },
            },
          },
        }),
      ],
      ['/api/v2/log/entries', 'oversized', JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) })],
      [
        '/api/v1/timestamp',
        'unknown hash algorithm',
        JSON.stringify({ artifactHash: digest, hashAlgorithm: 'md5' }),
      ],
      [
        '/api/v1/timestamp',
        'digest of the wrong size',
        JSON.stringify({ artifactHash: Buffer.alloc(1000).toString('base64'), hashAlgorithm: 'sha256' }),
      ],
      [
        '/api/v1/timestamp',
        'absurd body',
        JSON.stringify({ artifactHash: 'A'.repeat(3 * 1024 * 1024), hashAlgorithm: 'sha256' }),
      ],
      [
        '/api/v1/timestamp',
        'garbage DER',
        new Uint8Array([0x30, 0x82, 0xff, 0xff, 0x01]),
        'application/timestamp-query',
      ],
    ]
    for (const [path, what, body, type] of requests) {
      const response = await send(path, body, type)
      expect(response.status, what).toBeGreaterThanOrEqual(400)
      expect(response.status, what).toBeLessThan(500)
      expect(response.type, what).toMatch(/application\/json/)
      expect(typeof (response.body.message ?? response.body.error?.message), what).toBe('string')
    }
    expect(await treeSizes()).toEqual(before)
  })

  it('serves the tiles of the v2 log on the same port', async () => {
    const size = Number((await treeSizes()).v2)
    expect(size).toBeGreaterThan(0)
    const tile = await fetch(`${test.server.url}/api/v2/tile/0/000.p/${size}`)
    expect(tile.status).toBe(200)
    expect(tile.headers.get('cache-control')).toContain('immutable')
    expect((await tile.arrayBuffer()).byteLength).toBe(32 * size)
    const bundle = await fetch(`${test.server.url}/api/v2/tile/entries/000.p/${size}`)
    expect(bundle.status).toBe(200)
  })
})

describe('a server whose /v1/sign follows a SigningConfig (CERTUS_TRUST_SIGNING_CONFIG)', () => {
  it('signs through the Rekor v2 log and TSA the config names, and verifies with the trusted root that names them', async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dir = await mkdtemp(join(tmpdir(), 'certus-signing-config-'))
    await writeFile(join(dir, 'signing_config.json'), JSON.stringify(signingConfig))
    await writeFile(join(dir, 'trusted_root.json'), JSON.stringify(trustedRoot))
    const follower = await startTestServer('memory', {
      CERTUS_TRUST_SIGNING_CONFIG: join(dir, 'signing_config.json'),
      CERTUS_TRUST_REKOR_VERSION: '2',
      CERTUS_TRUST_TRUSTED_ROOT: join(dir, 'trusted_root.json'),
      CERTUS_TRUST_ANONYMOUS_ROLES: 'signer,verifier',
      CERTUS_TRUST_API_KEYS: '',
    })
    try {
      const before = await treeSizes()
      const artifact = `sha256:${createHash('sha256').update('followed the signing config').digest('hex')}`
      const post = (path: string, body: unknown) =>
        fetch(`${follower.server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then(async (response) => ({ status: response.status, json: (await response.json()) as any }))
      const signed = await post('/v1/sign', { artifact, artifact_type: 'file', subject: 'followed.txt' })
      expect(signed.status, JSON.stringify(signed.json)).toBe(201)
      const material = signed.json.bundle.verificationMaterial
      expect(material.tlogEntries[0].kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.2' })
      expect(material.timestampVerificationData.rfc3161Timestamps).toHaveLength(1)
      // The entry is in the configured server's v2 log, not in the follower's own logs.
      expect(Number((await treeSizes()).v2)).toBe(Number(before.v2) + 1)
      const verified = await post('/v1/verify', { artifact, bundle: signed.json.bundle })
      expect(verified.json).toMatchObject({ valid: true })
      const other = await post('/v1/verify', {
        artifact: `sha256:${'0'.repeat(64)}`,
        bundle: signed.json.bundle,
      })
      expect(other.json).toMatchObject({ valid: false })
    } finally {
      await follower.cleanup()
      await rm(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
