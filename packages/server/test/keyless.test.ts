import { createHash, X509Certificate } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fakeIdentityToken, startMockFulcio } from '@certus-trust/test-utils'
import { createVerifier } from '@certus-trust/verifier'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, digestOf, SIGNER_KEY, startTestServer, VERIFIER_KEY } from './helpers.js'

/*
 * Keyless signing end to end: the server gets its certificate from @sigstore/mock's Fulcio on 127.0.0.1, logs
 * the signature in its embedded log, and the bundle verifies against a trusted root that holds the mock CA and
 * CT log (given to the server through CERTUS_TRUST_TRUSTED_ROOT) plus the embedded log's key.
 */

const IDENTITY = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main'
const ISSUER = 'https://token.actions.githubusercontent.com'

function pemOf(der: Buffer): string {
  return new X509Certificate(der).toString()
}

describe('keyless signing through /v1/sign with a local Fulcio', () => {
  let fulcio: Awaited<ReturnType<typeof startMockFulcio>>
  let test: Awaited<ReturnType<typeof startTestServer>>
  let rootDir: string

  beforeAll(async () => {
    fulcio = await startMockFulcio()
    rootDir = await mkdtemp(join(tmpdir(), 'certus-keyless-root-'))
    const rootPath = join(rootDir, 'trusted_root.json')
    await writeFile(rootPath, JSON.stringify(fulcio.trustedRoot))
    test = await startTestServer('memory', {
      CERTUS_TRUST_ENABLE_KEYLESS: 'true',
      CERTUS_TRUST_FULCIO_ADDR: fulcio.url,
      CERTUS_TRUST_OIDC_TOKEN: fakeIdentityToken({ sub: IDENTITY, iss: ISSUER }),
      CERTUS_TRUST_TRUSTED_ROOT: rootPath,
      CERTUS_TRUST_UPSTREAM_RETRIES: '0',
    })
  }, 30_000)
  afterAll(async () => {
    await test?.cleanup()
    await fulcio?.close()
    if (rootDir) await rm(rootDir, { recursive: true, force: true })
  })

  it('signs with a Fulcio certificate and verifies with the token identity and issuer', async () => {
    const artifact = digestOf('keyless through the server')
    const signed = await call(test.server.url, 'POST', '/v1/sign', SIGNER_KEY, {
      artifact,
      artifact_type: 'file',
      subject: 'app.tgz',
    })
    expect(signed.status).toBe(201)
    expect(signed.json.public_key).toBeUndefined()
    const certificate = new X509Certificate(signed.json.certificate)
    expect(certificate.subjectAltName).toContain(IDENTITY)
    // Issued by the mock CA, not self-made.
    expect(certificate.verify(new X509Certificate(fulcio.rootCertificateDer).publicKey)).toBe(true)
    expect(signed.json.bundle.verificationMaterial.certificate.rawBytes).toBe(
      certificate.raw.toString('base64'),
    )
    expect(signed.json.transparency_entry.index).toBeGreaterThanOrEqual(0)

    const verified = await call(test.server.url, 'POST', '/v1/verify', VERIFIER_KEY, {
      artifact,
      bundle: signed.json.bundle,
      policy: { certificate_identity: IDENTITY, certificate_oidc_issuer: ISSUER },
    })
    expect(verified.status).toBe(200)
    expect(verified.json.failure).toBeUndefined()
    expect(verified.json.valid).toBe(true)
    expect(verified.json.signer).toBe(IDENTITY)
    expect(verified.json.issuer).toBe(ISSUER)
    expect(verified.json.transparency_index).toBe(signed.json.transparency_entry.index)
    // The validated chain, leaf first: the signing certificate, then the mock root it chains to.
    expect(verified.json.certificate_chain).toEqual([
      pemOf(certificate.raw),
      pemOf(fulcio.rootCertificateDer),
    ])
  })

  it('the bundle also verifies offline with the verifier library and the same trust material', async () => {
    const artifact = digestOf('keyless offline check')
    const signed = await call(test.server.url, 'POST', '/v1/sign', SIGNER_KEY, {
      artifact,
      artifact_type: 'file',
      subject: 'offline.tgz',
    })
    expect(signed.status).toBe(201)
    // The embedded log's key joined to the mock CA and CT log: the trust material a client would be given.
    const root = await test.server.deps.log!.exportTrustedRoot({ base: fulcio.trustedRoot as never })
    const verifier = createVerifier({ trustedRoot: root as unknown as Record<string, unknown> })
    const result = await verifier.verify(
      signed.json.bundle,
      { digest: artifact },
      { identity: IDENTITY, issuer: ISSUER },
    )
    expect(result.signer.kind).toBe('certificate')
    expect(result.signer.kind === 'certificate' && result.signer.identity).toBe(IDENTITY)
    await expect(
      verifier.verify(
        signed.json.bundle,
        { digest: artifact },
        { identity: 'https://other.example', issuer: ISSUER },
      ),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^VERIFIER_/) })
    await expect(
      verifier.verify(
        signed.json.bundle,
        { digest: digestOf('another artifact') },
        { identity: IDENTITY, issuer: ISSUER },
      ),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^VERIFIER_/) })
  })

  it('a wrong identity policy answers valid: false with no chain', async () => {
    const artifact = digestOf('keyless wrong identity')
    const signed = await call(test.server.url, 'POST', '/v1/sign', SIGNER_KEY, {
      artifact,
      artifact_type: 'file',
      subject: 'x',
    })
    const verified = await call(test.server.url, 'POST', '/v1/verify', VERIFIER_KEY, {
      artifact,
      bundle: signed.json.bundle,
      policy: { certificate_identity: 'https://someone.else/workflow', certificate_oidc_issuer: ISSUER },
    })
    expect(verified.status).toBe(200)
    expect(verified.json.valid).toBe(false)
    expect(verified.json.failure.code).toMatch(/^VERIFIER_/)
    expect(verified.json.certificate_chain).toBeUndefined()
  })
})

describe('certificate_chain for key-signed bundles', () => {
  it('is absent: a key-based bundle has no certificate to chain', async () => {
    const { server, cleanup } = await startTestServer('memory')
    try {
      const artifact = digestOf('key-based chain check')
      const signed = await call(server.url, 'POST', '/v1/sign', SIGNER_KEY, {
        artifact,
        artifact_type: 'file',
        subject: 'k.tgz',
      })
      expect(signed.status).toBe(201)
      expect(signed.json.public_key).toMatch(/BEGIN PUBLIC KEY/)
      const verified = await call(server.url, 'POST', '/v1/verify', VERIFIER_KEY, {
        artifact,
        bundle: signed.json.bundle,
      })
      expect(verified.json.valid).toBe(true)
      expect(verified.json.signer).toMatch(/^sha256:[0-9a-f]{64}$/)
      expect('certificate_chain' in verified.json).toBe(false)
    } finally {
      await cleanup()
    }
  }, 30_000)
})

const ASSETS = process.env.SIGSTORE_CONFORMANCE_ASSETS
if (!ASSETS) {
  console.warn(
    '\n*** server certificate_chain conformance test: SIGSTORE_CONFORMANCE_ASSETS is not set — it DID NOT RUN ***\n',
  )
}

describe.skipIf(!ASSETS)('certificate_chain for a public-good bundle (conformance happy-path-v0.3)', () => {
  it('returns the leaf, then the public-good intermediate and root it chains to', async () => {
    const dir = join(ASSETS!, 'happy-path-v0.3')
    expect(existsSync(dir)).toBe(true)
    const bundle = JSON.parse(readFileSync(join(dir, 'bundle.sigstore.json'), 'utf8'))
    const artifact = `sha256:${createHash('sha256')
      .update(readFileSync(join(ASSETS!, 'a.txt')))
      .digest('hex')}`
    const { server, cleanup } = await startTestServer('memory')
    try {
      const verified = await call(server.url, 'POST', '/v1/verify', VERIFIER_KEY, {
        artifact,
        bundle,
        policy: {
          certificate_identity:
            'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
          certificate_oidc_issuer: 'https://token.actions.githubusercontent.com',
        },
      })
      expect(verified.json.failure).toBeUndefined()
      expect(verified.json.valid).toBe(true)
      const chain = (verified.json.certificate_chain as string[]).map((pem) => new X509Certificate(pem))
      expect(chain.length).toBeGreaterThanOrEqual(2)
      expect(chain[0]!.raw.toString('base64')).toBe(bundle.verificationMaterial.certificate.rawBytes)
      // Each certificate is signed by the next; the last is a self-signed root.
      for (let index = 0; index + 1 < chain.length; index++) {
        expect(chain[index]!.verify(chain[index + 1]!.publicKey)).toBe(true)
      }
      const root = chain.at(-1)!
      expect(root.subject).toBe(root.issuer)
      expect(root.verify(root.publicKey)).toBe(true)
    } finally {
      await cleanup()
    }
  }, 30_000)
})
