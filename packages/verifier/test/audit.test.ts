// Issue 18 item 6: RFC 3161 timestamps (TSA chain and profile, genTime vs validity, message imprint, duplicates),
// Rekor v2 bodies (hashedrekord and dsse 0.0.2) and intoto 0.0.2 entries, each checked with a valid and a
// violating case.
import { createHash } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, type VerifierErrorCode } from '../src/index.js'
import {
  buildFixture,
  ecKeys,
  extension,
  type Fixture,
  IDENTITY,
  ISSUER,
  KEY_USAGE_CERT_SIGN,
  KEY_USAGE_DIGITAL_SIGNATURE,
  logEntry,
  oid,
  pem,
  seq,
  spkiOf,
  tlv,
} from './helpers/fixture.js'
import { createTestTsa, type TestTsa } from './helpers/tsa.js'

type Json = Record<string, any>
const policy = { identity: IDENTITY, issuer: ISSUER }
const DAY = 86_400_000
let fixture: Fixture
beforeAll(() => {
  fixture = buildFixture()
})

async function outcome(bundle: Json, trustedRoot: Json = fixture.trustedRoot, options: Json = {}) {
  try {
    await createVerifier({ trustedRoot, ...options }).verify(bundle, fixture.artifact, policy)
    return { code: 'ok' as const, cause: undefined }
  } catch (error) {
    const typed = error as { code: VerifierErrorCode; cause?: { code?: string; message?: string } }
    return { code: typed.code, cause: typed.cause?.code ?? typed.cause?.message }
  }
}

describe('RFC 3161 timestamps', () => {
  const signature = () => Buffer.from((fixture.bundle as Json).messageSignature.signature, 'base64')
  const at = () => new Date(fixture.integratedTime * 1000 + 1000)
  function withTokens(tsa: TestTsa, tokens: Array<{ signedTimestamp: string }>) {
    const bundle = structuredClone(fixture.bundle) as Json
    bundle.verificationMaterial.timestampVerificationData = { rfc3161Timestamps: tokens }
    const root = structuredClone(fixture.trustedRoot) as Json
    root.timestampAuthorities = [tsa.authority]
    return { bundle, root }
  }
  const strict = { unverifiedTimestamps: 'reject' as const }
  const timeStamping = (critical: boolean) => extension('2.5.29.37', critical, seq(oid('1.3.6.1.5.5.7.3.8')))

  it('a token from a TSA leaf with the critical, exclusive timeStamping EKU verifies (control)', async () => {
    const tsa = createTestTsa('good')
    const { bundle, root } = withTokens(tsa, [tsa.stamp(signature(), at())])
    expect((await outcome(bundle, root, strict)).code).toBe('ok')
  })

  it.each<[string, Buffer[], string]>([
    ['a non-critical timeStamping EKU', [timeStamping(false)], 'X509_LEAF_EXTENDED_KEY_USAGE'],
    ['no EKU', [extension('2.5.29.15', true, KEY_USAGE_DIGITAL_SIGNATURE)], 'X509_LEAF_EXTENDED_KEY_USAGE'],
    [
      'timeStamping beside codeSigning',
      [extension('2.5.29.37', true, seq(oid('1.3.6.1.5.5.7.3.8'), oid('1.3.6.1.5.5.7.3.3')))],
      'X509_LEAF_EXTENDED_KEY_USAGE',
    ],
    [
      'a TSA leaf that is a CA',
      [timeStamping(true), extension('2.5.29.19', true, seq(tlv(0x01, Buffer.of(0xff))))],
      'X509_LEAF_IS_CA',
    ],
    [
      'a TSA leaf whose keyUsage only signs certificates',
      [timeStamping(true), extension('2.5.29.15', true, KEY_USAGE_CERT_SIGN)],
      'X509_LEAF_KEY_USAGE',
    ],
  ])('a token whose TSA certificate has %s is refused', async (_label, leafExtensions, x509Code) => {
    const tsa = createTestTsa('odd', { leafExtensions })
    const { bundle, root } = withTokens(tsa, [tsa.stamp(signature(), at())])
    expect(await outcome(bundle, root, strict)).toEqual({
      code: 'VERIFIER_TIMESTAMP_INVALID',
      cause: x509Code,
    })
    // Under the default 'ignore' the token is left out and the SET-backed time still verifies.
    expect((await outcome(bundle, root)).code).toBe('ok')
  })

  it('genTime outside the TSA certificate validity is refused', async () => {
    const tsa = createTestTsa('early')
    const { bundle, root } = withTokens(tsa, [tsa.stamp(signature(), new Date(Date.now() - 320 * DAY))])
    expect(await outcome(bundle, root, strict)).toEqual({
      code: 'VERIFIER_TIMESTAMP_INVALID',
      cause: 'X509_NOT_VALID_AT_TIME',
    })
  })

  it('a message imprint over another signature, or with SHA-1, is refused', async () => {
    const tsa = createTestTsa('imprint')
    const other = withTokens(tsa, [tsa.stamp(Buffer.from('another signature'), at())])
    expect((await outcome(other.bundle, other.root, strict)).code).toBe('VERIFIER_TIMESTAMP_INVALID')
    const sha1 = withTokens(tsa, [tsa.stamp(signature(), at(), { imprint: 'sha1' })])
    expect((await outcome(sha1.bundle, sha1.root, strict)).code).toBe('VERIFIER_TIMESTAMP_INVALID')
  })

  it('the same TSTInfo twice (re-signed, so the token bytes differ) is a duplicate, never two timestamps', async () => {
    const tsa = createTestTsa('twice')
    const first = tsa.stamp(signature(), at())
    const second = tsa.stamp(signature(), at())
    expect(first.signedTimestamp).not.toBe(second.signedTimestamp)
    const { bundle, root } = withTokens(tsa, [first, second])
    expect((await outcome(bundle, root, { timestampThreshold: 3 })).code).toBe('VERIFIER_MALFORMED_BUNDLE')
    const identical = withTokens(tsa, [first, first])
    expect((await outcome(identical.bundle, identical.root)).code).toBe('VERIFIER_MALFORMED_BUNDLE')
  })
})

/** The bundle with its log entry replaced by one (validly logged) for `body`. */
function withBody(bundle: Json, body: unknown, kind: string, version: string): Json {
  const copy = structuredClone(bundle) as Json
  const bytes = Buffer.from(JSON.stringify(body))
  copy.verificationMaterial.tlogEntries = [
    logEntry(bytes, kind, version, fixture.keys.log, fixture.integratedTime, 4001),
  ]
  return copy
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')

describe('Rekor v2 hashedrekord 0.0.2', () => {
  function body(verifier: Json, digest: Buffer = createHash('sha256').update(fixture.artifact).digest()) {
    return {
      apiVersion: '0.0.2',
      kind: 'hashedrekord',
      spec: {
        hashedRekordV002: {
          data: { algorithm: 'SHA2_256', digest: b64(digest) },
          signature: { content: (fixture.bundle as Json).messageSignature.signature, verifier },
        },
      },
    }
  }
  const check = async (value: unknown) =>
    (await outcome(withBody(fixture.bundle, value, 'hashedrekord', '0.0.2'))).code
  const certificate = () => ({ x509Certificate: { rawBytes: b64(fixture.keys.leaf.der) } })

  it('binds the bundle certificate (or its key) and the artifact digest', async () => {
    expect(await check(body(certificate()))).toBe('ok')
    expect(await check(body({ publicKey: { rawBytes: b64(spkiOf(fixture.keys.leaf.publicKey)) } }))).toBe(
      'ok',
    )
  })
  it('refuses a key passed off as a certificate, both at once, another key, another digest', async () => {
    const spki = b64(spkiOf(fixture.keys.leaf.publicKey))
    expect(await check(body({ x509Certificate: { rawBytes: spki } }))).toBe('VERIFIER_TLOG_BODY_MISMATCH')
    expect(await check(body({ ...certificate(), publicKey: { rawBytes: spki } }))).toBe(
      'VERIFIER_TLOG_BODY_MISMATCH',
    )
    expect(await check(body({ publicKey: { rawBytes: b64(spkiOf(ecKeys().publicKey)) } }))).toBe(
      'VERIFIER_TLOG_BODY_MISMATCH',
    )
    expect(await check(body({}))).toBe('VERIFIER_TLOG_BODY_MISMATCH')
    expect(await check(body(certificate(), createHash('sha256').update('other').digest()))).toBe(
      'VERIFIER_ARTIFACT_MISMATCH',
    )
  })
})

describe('Rekor v2 dsse 0.0.2', () => {
  const envelope = () => (fixture.dsseBundle as Json).dsseEnvelope
  function body(overrides: { payloadHash?: Json; signatures?: Json[] } = {}) {
    const payload = Buffer.from(envelope().payload, 'base64')
    return {
      apiVersion: '0.0.2',
      kind: 'dsse',
      spec: {
        dsseV002: {
          payloadHash: overrides.payloadHash ?? {
            algorithm: 'SHA2_256',
            digest: b64(createHash('sha256').update(payload).digest()),
          },
          signatures: overrides.signatures ?? [
            {
              content: envelope().signatures[0].sig,
              verifier: { x509Certificate: { rawBytes: b64(fixture.keys.leaf.der) } },
            },
          ],
        },
      },
    }
  }
  const check = async (value: unknown) =>
    (await outcome(withBody(fixture.dsseBundle, value, 'dsse', '0.0.2'))).code

  it('binds the envelope signature, the certificate and the payload hash', async () => {
    expect(await check(body())).toBe('ok')
  })
  it('refuses another payload hash, another algorithm, two signatures', async () => {
    expect(await check(body({ payloadHash: { algorithm: 'SHA2_256', digest: b64(Buffer.alloc(32)) } }))).toBe(
      'VERIFIER_TLOG_BODY_MISMATCH',
    )
    const hash = body().spec.dsseV002.payloadHash
    expect(await check(body({ payloadHash: { ...hash, algorithm: 'SHA2_384' } }))).toBe(
      'VERIFIER_TLOG_BODY_MISMATCH',
    )
    const one = body().spec.dsseV002.signatures[0]!
    expect(await check(body({ signatures: [one, one] }))).toBe('VERIFIER_TLOG_BODY_MISMATCH')
  })
})

describe('intoto 0.0.2', () => {
  const envelope = () => (fixture.dsseBundle as Json).dsseEnvelope
  function body(signature: Json, algorithm = 'sha256') {
    const payload = Buffer.from(envelope().payload, 'base64')
    return {
      apiVersion: '0.0.2',
      kind: 'intoto',
      spec: {
        content: {
          envelope: { payloadType: envelope().payloadType, signatures: [signature] },
          payloadHash: { algorithm, value: createHash('sha256').update(payload).digest('hex') },
        },
      },
    }
  }
  // intoto 0.0.2 stores the signature base64 twice over, and the verifier as base64 of a PEM.
  const sig = () => Buffer.from(envelope().signatures[0].sig).toString('base64')
  const certificatePem = () => Buffer.from(pem('CERTIFICATE', fixture.keys.leaf.der)).toString('base64')
  const check = async (value: unknown) =>
    (await outcome(withBody(fixture.dsseBundle, value, 'intoto', '0.0.2'))).code

  it('binds signature, certificate and payload hash', async () => {
    expect(await check(body({ sig: sig(), publicKey: certificatePem() }))).toBe('ok')
  })
  it('refuses an entry without a public key (the key check is no longer skipped)', async () => {
    expect(await check(body({ sig: sig() }))).toBe('VERIFIER_TLOG_BODY_MISMATCH')
  })
  it('refuses another key and a payload hash that is not sha256', async () => {
    const otherPem = Buffer.from(
      ecKeys().publicKey.export({ type: 'spki', format: 'pem' }) as string,
    ).toString('base64')
    expect(await check(body({ sig: sig(), publicKey: otherPem }))).toBe('VERIFIER_TLOG_BODY_MISMATCH')
    expect(await check(body({ sig: sig(), publicKey: certificatePem() }, 'sha512'))).toBe(
      'VERIFIER_TLOG_BODY_MISMATCH',
    )
  })
})
