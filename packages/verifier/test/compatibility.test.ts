// Issue 17: what other Sigstore clients accept or reject, built from the spec with a generated PKI
// (docs/decisions/0003-verifier-compatibility.md). Every bundle here is complete and validly signed except for the
// one property under test, so each verdict is caused by that property.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, type VerifierErrorCode, verify } from '../src/index.js'
import { ASSETS, DEFAULT_IDENTITY, DEFAULT_ISSUER, warnSkipped } from './helpers/conformance.js'
import {
  buildFixture,
  type CertificateSpec,
  ecKeys,
  extension,
  type Fixture,
  IDENTITY,
  ISSUER,
  integer,
  KEY_USAGE_DIGITAL_SIGNATURE,
  logEntry,
  oid,
  pem,
  seq,
  signTbs,
  tbsFor,
  tlv,
  utf8,
} from './helpers/fixture.js'
import { createTestTsa, type TestTsa } from './helpers/tsa.js'

type Json = Record<string, any>
const clone = <T>(value: T): T => structuredClone(value)
const policy = { identity: IDENTITY, issuer: ISSUER }
const V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1'
const V02 = 'application/vnd.dev.sigstore.bundle+json;version=0.2'
const DAY = 86_400_000

let fixture: Fixture
beforeAll(() => {
  fixture = buildFixture()
})

const b64 = (der: Buffer) => ({ rawBytes: der.toString('base64') })

async function rejects(bundle: unknown, code: VerifierErrorCode, root: Json = fixture.trustedRoot) {
  const promise = (async () =>
    createVerifier({ trustedRoot: root }).verify(bundle, fixture.artifact, policy))()
  await expect(promise).rejects.toMatchObject({ name: 'VerifierError', code })
  return promise.catch((error: Error) => error)
}

/** A v0.1/v0.2 bundle of the fixture's signature with `chain` as its x509CertificateChain. */
function chainBundle(mediaType: string, chain: Buffer[]): Json {
  const bundle = clone(fixture.bundle) as Json
  bundle.mediaType = mediaType
  delete bundle.verificationMaterial.certificate
  bundle.verificationMaterial.x509CertificateChain = { certificates: chain.map(b64) }
  return bundle
}

type Key = Fixture['keys']['root']['privateKey']

/** A CA certificate (CA:TRUE, keyCertSign; pathLen 0 unless it is self-issued) for `subject`, signed by `signer`. */
function caCertificate(subject: string, issuer: string, publicKey: Key, signer: Key) {
  const now = Date.now()
  return signTbs(
    tbsFor({
      subject,
      issuer,
      serial: 77,
      notBefore: new Date(now - 30 * DAY),
      notAfter: new Date(now + 30 * DAY),
      publicKey,
      extensions: [
        extension(
          '2.5.29.19',
          true,
          seq(tlv(0x01, Buffer.of(0xff)), ...(subject === issuer ? [] : [integer(0)])),
        ),
        extension('2.5.29.15', true, tlv(0x03, Buffer.of(1, 0x06))),
      ],
    }),
    signer,
  )
}

/**
 * A Fulcio-style leaf for the fixture's signing key (same SAN and issuer) from another issuer, and a bundle whose
 * log entry (validly signed by the trusted log) records exactly that leaf: only the certificate path can fail.
 */
function bundleWithLeafFrom(issuerName: string, issuerKey: Key, chainAfterLeaf: Buffer[]) {
  const at = fixture.integratedTime * 1000
  const spec: CertificateSpec = {
    subject: '',
    issuer: issuerName,
    serial: 99,
    notBefore: new Date(at - 300_000),
    notAfter: new Date(at + 300_000),
    publicKey: fixture.keys.leaf.publicKey,
    extensions: [
      extension('2.5.29.15', true, KEY_USAGE_DIGITAL_SIGNATURE),
      extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.3'))),
      extension('2.5.29.17', true, seq(tlv(0x86, Buffer.from(IDENTITY)))),
      extension('1.3.6.1.4.1.57264.1.8', false, utf8(ISSUER)),
    ],
  }
  const leaf = signTbs(tbsFor(spec), issuerKey)
  const bundle = chainBundle(V02, [leaf, ...chainAfterLeaf])
  const signature = bundle.messageSignature.signature as string
  const body = Buffer.from(
    JSON.stringify({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: {
          hash: { algorithm: 'sha256', value: createHash('sha256').update(fixture.artifact).digest('hex') },
        },
        signature: {
          content: signature,
          publicKey: { content: Buffer.from(pem('CERTIFICATE', leaf)).toString('base64') },
        },
      },
    }),
  )
  bundle.verificationMaterial.tlogEntries = [
    logEntry(body, 'hashedrekord', '0.0.1', fixture.keys.log, fixture.integratedTime, 2001),
  ]
  return bundle
}

describe('1. certificates after the leaf in x509CertificateChain are ignored, never anchors', () => {
  it('a v0.2 chain listing leaf, intermediate and the self-signed root verifies (path from the trusted root)', async () => {
    const { leaf, intermediate, root } = fixture.keys
    const verifier = createVerifier({ trustedRoot: fixture.trustedRoot })
    const result = await verifier.verify(
      chainBundle(V02, [leaf.der, intermediate.der, root.der]),
      fixture.artifact,
      policy,
    )
    expect(result).toMatchObject({ bundleVersion: '0.2', signer: { identity: IDENTITY } })
    expect(result.signer).toMatchObject({ certificateAuthority: 'https://fulcio.local.test' })
    // The same in the order some v0.1 bundles use (leaf, root, intermediate), and the leaf alone.
    await expect(
      verifier.verify(chainBundle(V02, [leaf.der, root.der, intermediate.der]), fixture.artifact, policy),
    ).resolves.toMatchObject({ bundleVersion: '0.2' })
    await expect(
      verifier.verify(chainBundle(V02, [leaf.der]), fixture.artifact, policy),
    ).resolves.toMatchObject({ bundleVersion: '0.2' })
  })

  it('a leaf that only chains to a root the bundle supplies (same names as the trusted CA) fails', async () => {
    const evilRoot = ecKeys()
    const evilIntermediate = ecKeys()
    const rootDer = caCertificate('test-root', 'test-root', evilRoot.publicKey, evilRoot.privateKey)
    const intermediateDer = caCertificate(
      'test-intermediate',
      'test-root',
      evilIntermediate.publicKey,
      evilRoot.privateKey,
    )
    const bundle = bundleWithLeafFrom('test-intermediate', evilIntermediate.privateKey, [
      intermediateDer,
      rootDer,
    ])
    await rejects(bundle, 'VERIFIER_UNTRUSTED_CHAIN')
    // The bundle is otherwise sound: trusting the bundle's root makes it verify (without an SCT requirement).
    const root = clone(fixture.trustedRoot) as Json
    root.certificateAuthorities[0].certChain.certificates = [b64(intermediateDer), b64(rootDer)]
    await expect(
      createVerifier({ trustedRoot: root, ctlogThreshold: 0 }).verify(bundle, fixture.artifact, policy),
    ).resolves.toMatchObject({ signer: { identity: IDENTITY } })
  })

  it('an intermediate the bundle supplies is not used even when the trusted root signed it', async () => {
    const { root } = fixture.keys
    const extra = ecKeys()
    const extraDer = caCertificate('extra-intermediate', 'test-root', extra.publicKey, root.privateKey)
    const bundle = bundleWithLeafFrom('extra-intermediate', extra.privateKey, [extraDer, root.der])
    await rejects(bundle, 'VERIFIER_UNTRUSTED_CHAIN')
  })
})

describe('2. an inclusion proof must carry its checkpoint', () => {
  it('v0.1: a SET and an inclusion proof without checkpoint is rejected, naming the field', async () => {
    const bundle = chainBundle(V01, [fixture.keys.leaf.der])
    delete bundle.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint
    const error = await rejects(bundle, 'VERIFIER_MALFORMED_BUNDLE')
    expect(String(error)).toContain('tlogEntries[0].inclusionProof lacks a checkpoint')
  })

  it('v0.1: an entry with only a SET (no inclusion proof at all) still verifies', async () => {
    const bundle = chainBundle(V01, [fixture.keys.leaf.der])
    delete bundle.verificationMaterial.tlogEntries[0].inclusionProof
    const result = await createVerifier({ trustedRoot: fixture.trustedRoot }).verify(
      bundle,
      fixture.artifact,
      policy,
    )
    expect(result.tlogEntries[0]!.verifiedBy).toEqual(['signed-entry-timestamp'])
    expect(result.checks).not.toContain('tlog-inclusion-proof')
  })

  it('v0.1: with the checkpoint, SET and proof both verify', async () => {
    const result = await createVerifier({ trustedRoot: fixture.trustedRoot }).verify(
      chainBundle(V01, [fixture.keys.leaf.der]),
      fixture.artifact,
      policy,
    )
    expect(result.tlogEntries[0]!.verifiedBy).toEqual(['signed-entry-timestamp', 'inclusion-proof'])
  })
})

describe('4. trust material as other tools write it: refused with the field and the expected form', () => {
  const parse = (root: Json) => () => createVerifier({ trustedRoot: root })

  it('a CA chain listed root-first', () => {
    const root = clone(fixture.trustedRoot) as Json
    root.certificateAuthorities[0].certChain.certificates.reverse()
    expect(parse(root)).toThrow(
      expect.objectContaining({
        code: 'VERIFIER_MALFORMED_TRUSTED_ROOT',
        message: expect.stringContaining(
          'certificateAuthorities[0].certChain.certificates is listed root-first (certificates[0] is the self-signed root): list the issuing certificate first and the root last',
        ),
      }),
    )
  })

  it('a timestamp authority chain listed root-first', () => {
    const root = clone(fixture.trustedRoot) as Json
    const { root: rootCa, intermediate } = fixture.keys
    root.timestampAuthorities = [
      {
        uri: 'https://tsa.local.test',
        certChain: { certificates: [b64(rootCa.der), b64(intermediate.der)] },
      },
    ]
    expect(parse(root)).toThrow(
      expect.objectContaining({
        message: expect.stringContaining(
          'timestampAuthorities[0].certChain.certificates is listed root-first',
        ),
      }),
    )
  })

  it.each([
    ['empty', {}],
    ['end only', { end: new Date(Date.now() + DAY).toISOString() }],
    ['start null', { start: null }],
  ])('a CA validFor without start (%s)', (_name, validFor) => {
    const root = clone(fixture.trustedRoot) as Json
    root.certificateAuthorities[0].validFor = validFor
    expect(parse(root)).toThrow(
      expect.objectContaining({
        code: 'VERIFIER_MALFORMED_TRUSTED_ROOT',
        message: expect.stringContaining(
          'certificateAuthorities[0].validFor.start is required when certificateAuthorities[0].validFor is present: set it to an RFC 3339 time',
        ),
      }),
    )
  })

  it('what is unambiguous is accepted: no validFor at all (valid at all times), a single self-signed CA', async () => {
    const root = clone(fixture.trustedRoot) as Json
    delete root.certificateAuthorities[0].validFor
    await expect(
      createVerifier({ trustedRoot: root }).verify(fixture.bundle, fixture.artifact, policy),
    ).resolves.toMatchObject({ signer: { identity: IDENTITY } })
    const single = clone(fixture.trustedRoot) as Json
    single.certificateAuthorities[0].certChain.certificates = [b64(fixture.keys.root.der)]
    expect(parse(single)).not.toThrow()
  })
})

describe('3. several RFC 3161 timestamps, some of which do not verify', () => {
  let tsa: TestTsa
  let root: Json
  beforeAll(() => {
    tsa = createTestTsa('tsa')
    root = clone(fixture.trustedRoot) as Json
    root.timestampAuthorities = [tsa.authority]
  })
  const signature = () => Buffer.from((fixture.bundle as Json).messageSignature.signature, 'base64')
  const at = () => new Date(fixture.integratedTime * 1000 + 1000)
  const withTokens = (...tokens: Array<{ signedTimestamp: string }>) => {
    const bundle = clone(fixture.bundle) as Json
    bundle.verificationMaterial.timestampVerificationData = { rfc3161Timestamps: tokens }
    return bundle
  }
  /** Good, over another signature (imprint mismatch), from an untrusted TSA, and not DER at all. */
  const mixed = () =>
    withTokens(
      tsa.stamp(signature(), at()),
      tsa.stamp(Buffer.from('another signature'), at()),
      createTestTsa('rogue').stamp(signature(), at()),
      { signedTimestamp: Buffer.from('not a timestamp').toString('base64') },
    )

  it('a generated token verifies and counts (the builder is sound)', async () => {
    const result = await createVerifier({ trustedRoot: root }).verify(
      withTokens(tsa.stamp(signature(), at())),
      fixture.artifact,
      policy,
    )
    expect(result.timestamps).toEqual([
      expect.objectContaining({ kind: 'transparency-log' }),
      {
        kind: 'timestamp-authority',
        time: new Date(Math.floor(at().getTime() / 1000) * 1000),
        source: tsa.uri,
      },
    ])
    expect(result.ignoredTimestamps).toEqual([])
    expect(result.checks).toContain('rfc3161-timestamp')
  })

  it("default 'ignore': bad tokens are left out, reported with index and reason; the good ones count", async () => {
    const result = await createVerifier({ trustedRoot: root }).verify(mixed(), fixture.artifact, policy)
    expect(result.timestamps.map((item) => item.kind)).toEqual(['transparency-log', 'timestamp-authority'])
    expect(result.ignoredTimestamps).toEqual([
      { index: 1, code: 'VERIFIER_TIMESTAMP_INVALID', message: 'RFC 3161 timestamp does not verify' },
      {
        index: 2,
        code: 'VERIFIER_TIMESTAMP_INVALID',
        message: 'RFC 3161 timestamp is not from a timestamp authority trusted at that time',
      },
      { index: 3, code: 'VERIFIER_TIMESTAMP_INVALID', message: 'RFC 3161 timestamp is malformed' },
    ])
  })

  it('ignored tokens never count toward timestampThreshold', async () => {
    const verifier = createVerifier({ trustedRoot: root, timestampThreshold: 3 })
    const error = await verifier.verify(mixed(), fixture.artifact, policy).catch((caught: Error) => caught)
    expect(error).toMatchObject({ code: 'VERIFIER_TIMESTAMP_INVALID' })
    expect(String(error)).toContain('got 2 (3 RFC 3161 timestamp(s) ignored')
    await expect(
      createVerifier({ trustedRoot: root, timestampThreshold: 2 }).verify(mixed(), fixture.artifact, policy),
    ).resolves.toMatchObject({ ignoredTimestamps: expect.arrayContaining([expect.anything()]) })
  })

  it("'reject' fails closed on the first token that does not verify", async () => {
    const verifier = createVerifier({ trustedRoot: root, unverifiedTimestamps: 'reject' })
    await expect(verifier.verify(mixed(), fixture.artifact, policy)).rejects.toMatchObject({
      code: 'VERIFIER_TIMESTAMP_INVALID',
      message: 'RFC 3161 timestamp does not verify',
    })
    await expect(
      verifier.verify(withTokens(tsa.stamp(signature(), at())), fixture.artifact, policy),
    ).resolves.toMatchObject({ ignoredTimestamps: [] })
  })

  it('a repeated token is a malformed bundle under either policy', async () => {
    const token = tsa.stamp(signature(), at())
    for (const unverifiedTimestamps of ['ignore', 'reject'] as const) {
      await expect(
        createVerifier({ trustedRoot: root, unverifiedTimestamps }).verify(
          withTokens(token, token),
          fixture.artifact,
          policy,
        ),
      ).rejects.toMatchObject({ code: 'VERIFIER_MALFORMED_BUNDLE' })
    }
  })

  it('a verified token outside the signing certificate validity still fails (it is not "unverified")', async () => {
    const late = new Date(fixture.integratedTime * 1000 + 3_600_000)
    await expect(
      createVerifier({ trustedRoot: root }).verify(
        withTokens(tsa.stamp(signature(), late)),
        fixture.artifact,
        policy,
      ),
    ).rejects.toMatchObject({ code: 'VERIFIER_CERTIFICATE_EXPIRED' })
  })
})

warnSkipped('compatibility on a real public-good bundle with the root in its chain')
describe.skipIf(!ASSETS)('a real 2023 public-good bundle (leaf, root, intermediate in its chain)', () => {
  it('verifies for its own identity once its checkpoint-less proof is gone; with the proof it is malformed', async () => {
    const bundle = JSON.parse(
      readFileSync(join(ASSETS!, 'bundle-with-root-cert_fail', 'bundle.sigstore.json'), 'utf8'),
    )
    const artifact = readFileSync(join(ASSETS!, 'bundle-with-root-cert_fail', 'artifact'))
    const own = { identity: 'a@tny.town', issuer: 'https://github.com/login/oauth' }
    expect(bundle.verificationMaterial.x509CertificateChain.certificates).toHaveLength(3)
    await expect(verify(bundle, artifact, own)).rejects.toMatchObject({ code: 'VERIFIER_MALFORMED_BUNDLE' })
    delete bundle.verificationMaterial.tlogEntries[0].inclusionProof
    const result = await verify(bundle, artifact, own)
    expect(result).toMatchObject({ bundleVersion: '0.1', signer: { identity: 'a@tny.town' } })
    // The conformance case still fails as it must: the identity it expects is not this certificate's.
    await expect(
      verify(bundle, artifact, { identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER }),
    ).rejects.toMatchObject({ code: 'VERIFIER_IDENTITY_MISMATCH' })
  })
})
