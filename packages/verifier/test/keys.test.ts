import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, type Verifier } from '../src/index.js'
import { buildFixture, type Fixture, logEntry } from './helpers/fixture.js'

let fixture: Fixture
let verifier: Verifier
beforeAll(() => {
  fixture = buildFixture()
  verifier = createVerifier({ trustedRoot: fixture.trustedRoot })
})

const HASHES = { sha256: 'SHA2_256', sha384: 'SHA2_384', sha512: 'SHA2_512' } as const

/** A managed-key hashedrekord bundle over the fixture artifact, logged in the fixture's log. */
function keyBundle(privateKey: KeyObject, publicKey: KeyObject, hash: keyof typeof HASHES, logIndex: number) {
  const digest = createHash(hash).update(fixture.artifact).digest()
  const signature = sign(
    privateKey.asymmetricKeyType === 'ed25519' ? null : hash,
    fixture.artifact,
    privateKey,
  )
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string
  const body = Buffer.from(
    JSON.stringify({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: hash, value: digest.toString('hex') } },
        signature: {
          content: signature.toString('base64'),
          publicKey: { content: Buffer.from(pem).toString('base64') },
        },
      },
    }),
  )
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      publicKey: { hint: '' },
      tlogEntries: [
        logEntry(body, 'hashedrekord', '0.0.1', fixture.keys.log, fixture.integratedTime, logIndex),
      ],
    },
    messageSignature: {
      messageDigest: { algorithm: HASHES[hash], digest: digest.toString('base64') },
      signature: signature.toString('base64'),
    },
  }
}

const sha256Digest = () => `sha256:${createHash('sha256').update(fixture.artifact).digest('hex')}` as const

describe('managed keys of several algorithms', () => {
  it('RSA PKCS#1 v1.5 verifies over bytes and over a digest only', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const bundle = keyBundle(privateKey, publicKey, 'sha256', 2001)
    await expect(verifier.verify(bundle, fixture.artifact, { publicKey })).resolves.toBeTruthy()
    await expect(verifier.verify(bundle, sha256Digest(), { publicKey })).resolves.toBeTruthy()
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey
    await expect(verifier.verify(bundle, sha256Digest(), { publicKey: other })).rejects.toMatchObject({
      code: 'VERIFIER_SIGNATURE_MISMATCH',
    })
  })

  it('ECDSA P-384 with SHA-384 verifies over bytes; a sha256 digest cannot stand in for it', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const bundle = keyBundle(privateKey, publicKey, 'sha384', 2002)
    await expect(verifier.verify(bundle, fixture.artifact, { publicKey })).resolves.toBeTruthy()
    await expect(verifier.verify(bundle, sha256Digest(), { publicKey })).rejects.toMatchObject({
      code: 'VERIFIER_INVALID_ARTIFACT',
    })
  })

  it('ECDSA P-256 digest-only verification (noble path) accepts the right key and rejects another', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const bundle = keyBundle(privateKey, publicKey, 'sha256', 2003)
    await expect(verifier.verify(bundle, sha256Digest(), { publicKey })).resolves.toBeTruthy()
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
    await expect(verifier.verify(bundle, sha256Digest(), { publicKey: other })).rejects.toMatchObject({
      code: 'VERIFIER_SIGNATURE_MISMATCH',
    })
  })

  it('Ed25519 verifies over bytes and needs them', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const bundle = keyBundle(privateKey, publicKey, 'sha256', 2004)
    await expect(verifier.verify(bundle, fixture.artifact, { publicKey })).resolves.toBeTruthy()
    await expect(verifier.verify(bundle, sha256Digest(), { publicKey })).rejects.toMatchObject({
      code: 'VERIFIER_UNSUPPORTED',
    })
  })

  it('the log entry must name the same key as the policy', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const bundle = keyBundle(privateKey, publicKey, 'sha256', 2005) as any
    // Same signature and key, but the body is rebuilt naming another key and re-logged (validly signed by the log).
    const body = JSON.parse(
      Buffer.from(bundle.verificationMaterial.tlogEntries[0].canonicalizedBody, 'base64').toString(),
    )
    const otherPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      type: 'spki',
      format: 'pem',
    }) as string
    body.spec.signature.publicKey.content = Buffer.from(otherPem).toString('base64')
    bundle.verificationMaterial.tlogEntries = [
      logEntry(
        Buffer.from(JSON.stringify(body)),
        'hashedrekord',
        '0.0.1',
        fixture.keys.log,
        fixture.integratedTime,
        2006,
      ),
    ]
    await expect(verifier.verify(bundle, fixture.artifact, { publicKey })).rejects.toMatchObject({
      code: 'VERIFIER_TLOG_BODY_MISMATCH',
    })
  })
})
