import { createRekorClient } from '@certus-trust/rekor'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSigner, createTimestampAuthorityWitness } from '../src/index.js'
import { clone, flipBase64, type Loose, verifyUpstream } from './helpers.js'
import { fakeIdentityToken, startMockSigstore } from './mock-services.js'

let mock: Awaited<ReturnType<typeof startMockSigstore>>
beforeAll(async () => {
  mock = await startMockSigstore()
})
afterAll(() => mock?.close())

const artifact = Buffer.from('keyless artifact')

describe('keyless (Fulcio) signing against @sigstore/mock services on 127.0.0.1', () => {
  it('message signature logged in Rekor verifies upstream with the mock trust material', async () => {
    const signer = createSigner({
      keyless: { identityToken: fakeIdentityToken(), fulcioUrl: mock.url, retries: 0 },
      witness: createRekorClient({ baseUrl: mock.url, retries: 0, timeout: 5000 }),
    })
    const result = await signer.sign(artifact)
    expect(result.certificatePem).toMatch(/BEGIN CERTIFICATE/)
    expect(result.bundle.verificationMaterial.certificate?.rawBytes).toBeTruthy()
    const signer_ = verifyUpstream(result.bundle, artifact, {
      root: mock.root,
      policy: { subjectAlternativeName: 'builder@example.com' },
    })
    expect(signer_.identity?.subjectAlternativeName).toBe('builder@example.com')
    expect(() =>
      verifyUpstream(result.bundle, artifact, {
        root: mock.root,
        policy: { subjectAlternativeName: 'someone@else.com' },
      }),
    ).toThrow()
    expect(() => verifyUpstream(result.bundle, Buffer.from('other'), { root: mock.root })).toThrow()
    const tampered = clone(result.bundle) as Loose
    tampered.verificationMaterial.certificate.rawBytes = flipBase64(
      tampered.verificationMaterial.certificate.rawBytes,
      200,
    )
    expect(() => verifyUpstream(tampered, artifact, { root: mock.root })).toThrow()
    // Without the mock CA in the root, the certificate is untrusted.
    expect(() =>
      verifyUpstream(result.bundle, artifact, { root: { ...mock.root, certificateAuthorities: [] } }),
    ).toThrow()
  })

  it('token from a provider function; bare digest; DSSE with an RFC 3161 timestamp and no log', async () => {
    let calls = 0
    const signer = createSigner({
      keyless: {
        identityToken: async () => {
          calls++
          return fakeIdentityToken()
        },
        fulcioUrl: mock.url,
        retries: 0,
      },
      witness: createTimestampAuthorityWitness({ url: mock.url, retries: 0 }),
    })
    const { createHash } = await import('node:crypto')
    const digestOnly = await signer.sign(`sha256:${createHash('sha256').update(artifact).digest('hex')}`)
    expect(digestOnly.bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(
      1,
    )
    expect(() =>
      verifyUpstream(digestOnly.bundle, artifact, { root: mock.root, verifier: { tlogThreshold: 0 } }),
    ).not.toThrow()

    const attestation = await signer.attest({
      subjects: [{ name: 'x', digest: { sha256: 'cd'.repeat(32) } }],
      predicateType: 'https://example.com/t',
      predicate: { a: 1 },
    })
    expect(calls).toBe(2)
    expect(() =>
      verifyUpstream(attestation.bundle, undefined, { root: mock.root, verifier: { tlogThreshold: 0 } }),
    ).not.toThrow()
    // The timestamp is over the signature: swapping in another signature must fail.
    const swapped = clone(attestation.bundle) as Loose
    swapped.verificationMaterial.timestampVerificationData =
      digestOnly.bundle.verificationMaterial.timestampVerificationData
    expect(() =>
      verifyUpstream(swapped, undefined, { root: mock.root, verifier: { tlogThreshold: 0 } }),
    ).toThrow()
  })

  it('Fulcio errors are typed: 4xx FAILED, 5xx UNREACHABLE, closed port UNREACHABLE', async () => {
    const make = (fulcioUrl: string) =>
      createSigner({
        keyless: { identityToken: fakeIdentityToken(), fulcioUrl, retries: 0, timeout: 2000 },
        witness: 'none',
      })
    mock.fail('/api/v2/signingCert', 400)
    await expect(make(mock.url).sign(artifact)).rejects.toMatchObject({
      code: 'SIGNER_FULCIO_FAILED',
      details: { status: 400 },
    })
    mock.fail('/api/v2/signingCert', 503)
    await expect(make(mock.url).sign(artifact)).rejects.toMatchObject({ code: 'SIGNER_FULCIO_UNREACHABLE' })
    mock.fail('/api/v2/signingCert', 0)
    await expect(make('http://127.0.0.1:1').sign(artifact)).rejects.toMatchObject({
      code: 'SIGNER_FULCIO_UNREACHABLE',
    })
  })

  it('a Rekor failure after Fulcio yields an error, never a bundle', async () => {
    mock.fail('/api/v1/log/entries', 500)
    try {
      const signer = createSigner({
        keyless: { identityToken: fakeIdentityToken(), fulcioUrl: mock.url, retries: 0 },
        witness: createRekorClient({ baseUrl: mock.url, retries: 0, timeout: 5000 }),
      })
      await expect(signer.sign(artifact)).rejects.toMatchObject({ code: 'SIGNER_WITNESS_UNREACHABLE' })
      mock.fail('/api/v1/log/entries', 400)
      await expect(signer.sign(artifact)).rejects.toMatchObject({ code: 'SIGNER_WITNESS_FAILED' })
    } finally {
      mock.fail('/api/v1/log/entries', 0)
    }
  })

  it('TSA failure is typed and yields no bundle', async () => {
    mock.fail('/api/v1/timestamp', 400)
    try {
      const signer = createSigner({
        keyless: { identityToken: fakeIdentityToken(), fulcioUrl: mock.url, retries: 0 },
        witness: 'none',
        timestampAuthority: { url: mock.url, retries: 0 },
      })
      await expect(signer.sign(artifact)).rejects.toMatchObject({ code: 'SIGNER_WITNESS_FAILED' })
    } finally {
      mock.fail('/api/v1/timestamp', 0)
    }
  })

  it('bad identity tokens are rejected before any request, and never echoed', async () => {
    const secretish = 'not-a-jwt-SECRET-VALUE'
    for (const identityToken of [
      secretish,
      '',
      fakeIdentityToken({ iss: 'x' }),
      fakeIdentityToken({ email: 'a@b.c', email_verified: false }),
    ]) {
      const signer = createSigner({
        keyless: { identityToken, fulcioUrl: mock.url, retries: 0 },
        witness: 'none',
      })
      const error = await signer.sign(artifact).catch((caught: unknown) => caught)
      expect(error).toMatchObject({ code: 'SIGNER_IDENTITY_TOKEN_INVALID' })
      expect(
        JSON.stringify(error) + String((error as Error).message) + String((error as Error).cause ?? ''),
      ).not.toContain('SECRET')
    }
    const failing = createSigner({
      keyless: { identityToken: () => Promise.reject(new Error('no token')), fulcioUrl: mock.url },
      witness: 'none',
    })
    await expect(failing.sign(artifact)).rejects.toMatchObject({ code: 'SIGNER_IDENTITY_TOKEN_INVALID' })
    expect(() => createSigner({ keyless: { identityToken: 42 as never }, witness: 'none' })).toThrowError(
      expect.objectContaining({ code: 'SIGNER_IDENTITY_TOKEN_INVALID' }),
    )
    expect(() =>
      createSigner({ keyless: { identityToken: 'x', fulcioUrl: 'ftp://x' }, witness: 'none' }),
    ).toThrowError(expect.objectContaining({ code: 'SIGNER_INVALID_INPUT' }))
  })
})
