// Issue 18 end to end: certificates that break an RFC 5280 / Fulcio-profile rule, issued under the trusted CA
// (or a CA the trusted root lists), are refused with the verifier code and `details.x509Code` naming the rule;
// and the identity policy's matching semantics (docs/decisions/0004-strict-x509-and-identity-matching.md).
import { createHash } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, type VerifierErrorCode } from '../src/index.js'
import {
  buildFixture,
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
  signTbs,
  tbsFor,
  tlv,
  utf8,
} from './helpers/fixture.js'

type Json = Record<string, any>
type Key = Fixture['keys']['root']['privateKey']
let fixture: Fixture
beforeAll(() => {
  fixture = buildFixture()
})

const CODE_SIGNING = extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.3')))
const DIGITAL_SIGNATURE = extension('2.5.29.15', true, KEY_USAGE_DIGITAL_SIGNATURE)
const SAN = extension('2.5.29.17', true, seq(tlv(0x86, Buffer.from(IDENTITY))))
const FULCIO_ISSUER = extension('1.3.6.1.4.1.57264.1.8', false, utf8(ISSUER))
const PROFILE = [DIGITAL_SIGNATURE, CODE_SIGNING, SAN, FULCIO_ISSUER]

/** A leaf for the fixture's signing key with `extensions`, and a bundle whose (validly logged) entry records it. */
function bundleFor(extensions: Buffer[], issuer: { name: string; key: Key } = intermediateIssuer()): Json {
  const at = fixture.integratedTime * 1000
  const leaf = signTbs(
    tbsFor({
      subject: '',
      issuer: issuer.name,
      serial: 4242,
      notBefore: new Date(at - 300_000),
      notAfter: new Date(at + 300_000),
      publicKey: fixture.keys.leaf.publicKey,
      extensions,
    }),
    issuer.key,
  )
  const bundle = structuredClone(fixture.bundle) as Json
  bundle.verificationMaterial.certificate = { rawBytes: leaf.toString('base64') }
  const body = Buffer.from(
    JSON.stringify({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: {
          hash: { algorithm: 'sha256', value: createHash('sha256').update(fixture.artifact).digest('hex') },
        },
        signature: {
          content: bundle.messageSignature.signature,
          publicKey: { content: Buffer.from(pem('CERTIFICATE', leaf)).toString('base64') },
        },
      },
    }),
  )
  bundle.verificationMaterial.tlogEntries = [
    logEntry(body, 'hashedrekord', '0.0.1', fixture.keys.log, fixture.integratedTime, 3001),
  ]
  return bundle
}

function intermediateIssuer() {
  return { name: 'test-intermediate', key: fixture.keys.intermediate.privateKey }
}

/** A second intermediate under the fixture root with `extensions`, and a trusted root that lists it. */
function rootWithIntermediate(extensions: Buffer[]) {
  const now = Date.now()
  const der = signTbs(
    tbsFor({
      subject: 'odd-intermediate',
      issuer: 'test-root',
      serial: 5150,
      notBefore: new Date(now - 100 * 86_400_000),
      notAfter: new Date(now + 100 * 86_400_000),
      publicKey: fixture.keys.intermediate.publicKey,
      extensions,
    }),
    fixture.keys.root.privateKey,
  )
  const root = structuredClone(fixture.trustedRoot) as Json
  root.certificateAuthorities[0].certChain.certificates = [
    { rawBytes: der.toString('base64') },
    { rawBytes: fixture.keys.root.der.toString('base64') },
  ]
  return { root, issuer: { name: 'odd-intermediate', key: fixture.keys.intermediate.privateKey } }
}

async function outcome(bundle: Json, trustedRoot: Json = fixture.trustedRoot, policy: Json = {}) {
  try {
    // Inside the try: a trusted root that does not parse fails here, as a typed error too.
    const verifier = createVerifier({ trustedRoot, ctlogThreshold: 0 })
    const result = await verifier.verify(bundle, fixture.artifact, {
      identity: IDENTITY,
      issuer: ISSUER,
      ...policy,
    })
    return {
      code: 'ok' as const,
      identity: result.signer.kind === 'certificate' ? result.signer.identity : '',
    }
  } catch (error) {
    const typed = error as { code: VerifierErrorCode; details: Record<string, unknown> }
    return { code: typed.code, x509Code: typed.details.x509Code, identity: undefined }
  }
}

describe('issue 18 rules through the verifier', () => {
  it('a Fulcio-profile leaf from the trusted intermediate verifies (control)', async () => {
    expect((await outcome(bundleFor(PROFILE))).code).toBe('ok')
  })

  it.each<[string, Buffer[], VerifierErrorCode, string]>([
    [
      '2. a duplicate Fulcio issuer extension',
      [...PROFILE, extension('1.3.6.1.4.1.57264.1.8', false, utf8('https://attacker.example'))],
      'VERIFIER_UNTRUSTED_CHAIN',
      'X509_DUPLICATE_EXTENSION',
    ],
    [
      '3. an EKU whose only OID contains the bytes of codeSigning',
      [
        DIGITAL_SIGNATURE,
        extension('2.5.29.37', false, seq(oid('1.3.6.1.4.1.57264.99.6.8.43.6.1.5.5.7.3.3'))),
        SAN,
        FULCIO_ISSUER,
      ],
      'VERIFIER_UNTRUSTED_CHAIN',
      'X509_LEAF_EXTENDED_KEY_USAGE',
    ],
    [
      '3. no EKU at all',
      [DIGITAL_SIGNATURE, SAN, FULCIO_ISSUER],
      'VERIFIER_UNTRUSTED_CHAIN',
      'X509_LEAF_EXTENDED_KEY_USAGE',
    ],
    [
      '4. an unknown critical extension',
      [...PROFILE, extension('1.3.6.1.4.1.99999.1', true, tlv(0x05, Buffer.alloc(0)))],
      'VERIFIER_UNTRUSTED_CHAIN',
      'X509_UNKNOWN_CRITICAL_EXTENSION',
    ],
    [
      '4. a signing leaf that is a CA',
      [...PROFILE, extension('2.5.29.19', true, seq(tlv(0x01, Buffer.of(0xff))))],
      'VERIFIER_UNTRUSTED_CHAIN',
      'X509_LEAF_IS_CA',
    ],
    [
      '4. a signing leaf without digitalSignature',
      [extension('2.5.29.15', true, tlv(0x03, Buffer.of(5, 0x20))), CODE_SIGNING, SAN, FULCIO_ISSUER],
      'VERIFIER_UNTRUSTED_CHAIN',
      'X509_LEAF_KEY_USAGE',
    ],
    [
      'a SAN that is not DER',
      [DIGITAL_SIGNATURE, CODE_SIGNING, extension('2.5.29.17', true, seq()), FULCIO_ISSUER],
      'VERIFIER_MALFORMED_BUNDLE',
      'X509_MALFORMED_EXTENSION',
    ],
  ])('%s is refused', async (_label, extensions, code, x509Code) => {
    expect(await outcome(bundleFor(extensions))).toMatchObject({ code, x509Code })
  })

  it('1. an issuing CA whose keyUsage lacks keyCertSign cannot issue leaves', async () => {
    const basic = extension('2.5.29.19', true, seq(tlv(0x01, Buffer.of(0xff)), tlv(0x02, Buffer.of(0))))
    const good = rootWithIntermediate([extension('2.5.29.15', true, KEY_USAGE_CERT_SIGN), basic])
    expect((await outcome(bundleFor(PROFILE, good.issuer), good.root)).code).toBe('ok')
    const bad = rootWithIntermediate([extension('2.5.29.15', true, KEY_USAGE_DIGITAL_SIGNATURE), basic])
    expect(await outcome(bundleFor(PROFILE, bad.issuer), bad.root)).toMatchObject({
      code: 'VERIFIER_UNTRUSTED_CHAIN',
      x509Code: 'X509_ISSUER_KEY_USAGE',
    })
  })

  it('an issuing certificate that is not a CA cannot issue leaves', async () => {
    const bad = rootWithIntermediate([extension('2.5.29.15', true, KEY_USAGE_CERT_SIGN)])
    expect(await outcome(bundleFor(PROFILE, bad.issuer), bad.root)).toMatchObject({
      code: 'VERIFIER_UNTRUSTED_CHAIN',
      x509Code: 'X509_ISSUER_NOT_CA',
    })
  })

  it('a trusted root holding a certificate that breaks a parse rule is a malformed trusted root', async () => {
    const dup = extension('2.5.29.15', true, KEY_USAGE_CERT_SIGN)
    const bad = rootWithIntermediate([dup, dup])
    expect(await outcome(bundleFor(PROFILE), bad.root)).toMatchObject({
      code: 'VERIFIER_MALFORMED_TRUSTED_ROOT',
      x509Code: 'X509_DUPLICATE_EXTENSION',
    })
  })
})

describe('5. identity matching: any identity SAN (URI, email, Fulcio username), never dNSName', () => {
  const multi = extension(
    '2.5.29.17',
    true,
    seq(
      tlv(0x82, Buffer.from('build.example.test')),
      tlv(0x86, Buffer.from(IDENTITY)),
      tlv(0x81, Buffer.from('release@example.test')),
    ),
  )
  const bundle = () => bundleFor([DIGITAL_SIGNATURE, CODE_SIGNING, multi, FULCIO_ISSUER])

  it('matches a later SAN and reports the SAN that matched as the signer', async () => {
    expect(await outcome(bundle(), undefined, { identity: 'release@example.test' })).toEqual({
      code: 'ok',
      identity: 'release@example.test',
    })
    expect(await outcome(bundle(), undefined, { identity: IDENTITY })).toEqual({
      code: 'ok',
      identity: IDENTITY,
    })
  })

  it('never matches a dNSName, exactly or by regex', async () => {
    expect((await outcome(bundle(), undefined, { identity: 'build.example.test' })).code).toBe(
      'VERIFIER_IDENTITY_MISMATCH',
    )
    expect(
      (await outcome(bundle(), undefined, { identity: undefined, identityRegex: '.*\\.example\\.test' }))
        .code,
    ).toBe('VERIFIER_IDENTITY_MISMATCH')
  })

  it('identity and identityRegex must hold for the same SAN', async () => {
    expect(
      (await outcome(bundle(), undefined, { identity: IDENTITY, identityRegex: 'release@.*' })).code,
    ).toBe('VERIFIER_IDENTITY_MISMATCH')
    expect(await outcome(bundle(), undefined, { identity: undefined, identityRegex: 'release@.*' })).toEqual({
      code: 'ok',
      identity: 'release@example.test',
    })
  })

  it('under allowAnyIdentity the first identity SAN (not the dNSName) is reported', async () => {
    const verifier = createVerifier({ trustedRoot: fixture.trustedRoot, ctlogThreshold: 0 })
    const result = await verifier.verify(bundle(), fixture.artifact, { allowAnyIdentity: true })
    expect(result.signer.kind === 'certificate' && result.signer.identity).toBe(IDENTITY)
  })
})
