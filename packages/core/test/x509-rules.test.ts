// One valid and one violating certificate per RFC 5280 / Fulcio-profile rule, each from its own generated PKI.
import { describe, expect, it } from 'vitest'
import { derOctetString, derOid, derSequence, derUtf8String, encodeTlv } from '../src/der.js'
import {
  FULCIO_LEAF_PROFILE,
  fulcioExtensions,
  identityNames,
  type LeafProfile,
  type ParsedCertificate,
  parseCertificate,
  subjectAltNames,
  TSA_LEAF_PROFILE,
  validateCertificatePath,
  X509Error,
  type X509ErrorCode,
} from '../src/x509.js'
import {
  AT,
  basicConstraints,
  caExtensions,
  certificate,
  DAY,
  ext,
  extKeyUsage,
  fulcioLeafExtensions,
  KU,
  keys,
  keyUsage,
  OIDS,
  type PkiOverrides,
  pki,
  sanUri,
} from './helpers/pki.js'

function codeOf(action: () => unknown): X509ErrorCode | 'ok' {
  try {
    action()
    return 'ok'
  } catch (error) {
    if (X509Error.is(error)) return error.code
    throw error
  }
}

function validate(overrides: PkiOverrides, times = [AT], profile: LeafProfile = FULCIO_LEAF_PROFILE) {
  const built = pki(overrides)
  return codeOf(() => {
    const path = [built.leaf, built.intermediate, built.root].map((der) => parseCertificate(der))
    validateCertificatePath(path, { times, leaf: profile })
  })
}

const leafWith = (...extra: ReturnType<typeof ext>[]) => ({
  leaf: { extensions: [...fulcioLeafExtensions(), ...extra] },
})
const leafWithout = (oid: string) => ({
  leaf: { extensions: fulcioLeafExtensions().filter((item) => item.oid !== oid) },
})
const replaceLeaf = (oid: string, replacement: ReturnType<typeof ext>) => ({
  leaf: { extensions: fulcioLeafExtensions().map((item) => (item.oid === oid ? replacement : item)) },
})

describe('the generated PKI itself', () => {
  it('validates: root → intermediate → Fulcio-profile leaf at the signing time', () => {
    expect(validate({})).toBe('ok')
  })
})

describe('strict DER (X.690)', () => {
  const { leaf } = pki()
  it('rejects trailing bytes after the certificate', () => {
    expect(codeOf(() => parseCertificate(Buffer.concat([leaf, Buffer.of(0)])))).toBe('X509_MALFORMED')
  })
  it('rejects a non-minimal (long-form) length', () => {
    // Re-encode the outer SEQUENCE length with one extra leading zero octet.
    const lengthOctets = leaf[1]! & 0x7f
    const padded = Buffer.concat([Buffer.of(0x30, 0x80 | (lengthOctets + 1), 0), leaf.subarray(2)])
    expect(codeOf(() => parseCertificate(padded))).toBe('X509_MALFORMED')
    expect(codeOf(() => parseCertificate(leaf))).toBe('ok')
  })
  it('rejects an indefinite length', () => {
    const indefinite = Buffer.concat([
      Buffer.of(0x30, 0x80),
      leaf.subarray(2 + (leaf[1]! & 0x7f)),
      Buffer.of(0, 0),
    ])
    expect(codeOf(() => parseCertificate(indefinite))).toBe('X509_MALFORMED')
  })
  it('rejects an explicit critical FALSE (DER omits DEFAULT values)', () => {
    const explicit = { ...ext(OIDS.fulcioIssuer, derUtf8String('x')), explicitFalse: true }
    expect(validate(replaceLeaf(OIDS.fulcioIssuer, explicit))).toBe('X509_MALFORMED')
  })
})

describe('version (§4.1.2.1)', () => {
  it('accepts v3 with extensions and v1 without', () => {
    expect(validate({})).toBe('ok')
    const root = keys()
    const v1 = certificate({
      subject: 'a',
      issuer: 'a',
      publicKey: root.publicKey,
      signer: root.privateKey,
      version: 1,
    })
    expect(parseCertificate(v1).version).toBe(1)
  })
  it('rejects v1 and v2 certificates carrying extensions', () => {
    expect(validate({ leaf: { version: 1 } })).toBe('X509_VERSION')
    expect(validate({ leaf: { version: 2 } })).toBe('X509_VERSION')
    expect(validate({ intermediate: { version: 2 } })).toBe('X509_VERSION')
  })
  it('rejects an explicitly encoded v1 and unknown versions', () => {
    const root = keys()
    const spec = { subject: 'a', issuer: 'a', publicKey: root.publicKey, signer: root.privateKey }
    expect(codeOf(() => parseCertificate(certificate({ ...spec, version: 1, explicitV1: true })))).toBe(
      'X509_VERSION',
    )
    expect(codeOf(() => parseCertificate(certificate({ ...spec, version: 4 })))).toBe('X509_VERSION')
  })
})

describe('algorithms (§4.1.1.2)', () => {
  it('rejects an inner signature algorithm that differs from the outer one', () => {
    expect(validate({ leaf: { innerAlgorithm: OIDS.ecdsaSha256, outerAlgorithm: OIDS.ecdsaSha384 } })).toBe(
      'X509_ALGORITHM_MISMATCH',
    )
    expect(validate({ leaf: { innerAlgorithm: OIDS.ecdsaSha256, outerAlgorithm: OIDS.ecdsaSha256 } })).toBe(
      'ok',
    )
  })
})

describe('duplicate extensions (§4.2)', () => {
  it('rejects a second copy of Fulcio issuer (no first-wins / last-wins differential)', () => {
    const second = ext(OIDS.fulcioIssuer, derUtf8String('https://attacker.example.test'))
    expect(validate(leafWith(second))).toBe('X509_DUPLICATE_EXTENSION')
  })
  it('rejects duplicate basicConstraints on an issuer', () => {
    const extensions = [...caExtensions(0), ext(OIDS.basicConstraints, basicConstraints(true), true)]
    expect(validate({ intermediate: { extensions } })).toBe('X509_DUPLICATE_EXTENSION')
  })
})

describe('critical extensions (§4.2)', () => {
  const privateOid = '1.3.6.1.4.1.99999.1'
  it('accepts an unknown non-critical extension', () => {
    expect(validate(leafWith(ext(privateOid, derOctetString(Buffer.of(1)))))).toBe('ok')
  })
  it('rejects an unknown critical extension, on the leaf and on an issuer', () => {
    expect(validate(leafWith(ext(privateOid, derOctetString(Buffer.of(1)), true)))).toBe(
      'X509_UNKNOWN_CRITICAL_EXTENSION',
    )
    const nameConstraints = ext(OIDS.nameConstraints, derSequence(), true)
    expect(validate({ intermediate: { extensions: [...caExtensions(0), nameConstraints] } })).toBe(
      'X509_UNKNOWN_CRITICAL_EXTENSION',
    )
  })
})

describe('issuers: basicConstraints (§6.1.4(k)) and keyCertSign (§6.1.4(n))', () => {
  it('rejects an intermediate without basicConstraints, or with cA absent', () => {
    const keyUsageOnly = [ext(OIDS.keyUsage, keyUsage(KU.keyCertSign), true)]
    expect(validate({ intermediate: { extensions: keyUsageOnly } })).toBe('X509_ISSUER_NOT_CA')
    const notCa = [...keyUsageOnly, ext(OIDS.basicConstraints, basicConstraints(false), true)]
    expect(validate({ intermediate: { extensions: notCa } })).toBe('X509_ISSUER_NOT_CA')
  })
  it('rejects an issuer whose keyUsage lacks keyCertSign (only digitalSignature)', () => {
    const extensions = [
      ext(OIDS.keyUsage, keyUsage(KU.digitalSignature), true),
      ext(OIDS.basicConstraints, basicConstraints(true, 0), true),
    ]
    expect(validate({ intermediate: { extensions } })).toBe('X509_ISSUER_KEY_USAGE')
  })
  it('accepts a CA without keyUsage (the extension is optional)', () => {
    const extensions = [ext(OIDS.basicConstraints, basicConstraints(true, 0), true)]
    expect(validate({ intermediate: { extensions } })).toBe('ok')
  })
  it('holds the trust anchor to the same rules', () => {
    expect(validate({ root: { extensions: [ext(OIDS.keyUsage, keyUsage(KU.cRLSign), true)] } })).toBe(
      'X509_ISSUER_NOT_CA',
    )
  })
})

describe('path length (§6.1.4(l), (m))', () => {
  it('rejects an intermediate below a root with pathLen 0', () => {
    expect(validate({ root: { extensions: caExtensions(0) } })).toBe('X509_PATH_LENGTH')
  })
  it('accepts pathLen 0 on the last intermediate and pathLen 1 on the root', () => {
    expect(
      validate({ root: { extensions: caExtensions(1) }, intermediate: { extensions: caExtensions(0) } }),
    ).toBe('ok')
  })
  it('rejects pathLenConstraint without cA as malformed', () => {
    const extensions = [ext(OIDS.basicConstraints, derSequence(encodeTlv(0x02, [Buffer.of(0)])), true)]
    expect(validate({ intermediate: { extensions } })).toBe('X509_MALFORMED_EXTENSION')
  })
})

describe('leaf: Fulcio profile', () => {
  it('rejects a leaf that is itself a CA', () => {
    expect(validate(leafWith(ext(OIDS.basicConstraints, basicConstraints(true), true)))).toBe(
      'X509_LEAF_IS_CA',
    )
    expect(validate(leafWith(ext(OIDS.basicConstraints, basicConstraints(false), true)))).toBe('ok')
  })
  it('requires keyUsage with digitalSignature', () => {
    expect(validate(leafWithout(OIDS.keyUsage))).toBe('X509_LEAF_KEY_USAGE')
    expect(validate(replaceLeaf(OIDS.keyUsage, ext(OIDS.keyUsage, keyUsage(KU.keyEncipherment), true)))).toBe(
      'X509_LEAF_KEY_USAGE',
    )
    const both = ext(OIDS.keyUsage, keyUsage(KU.digitalSignature, KU.keyEncipherment), true)
    expect(validate(replaceLeaf(OIDS.keyUsage, both))).toBe('ok')
  })
  it('requires the codeSigning purpose, decoded (no byte search), and an extKeyUsage at all', () => {
    expect(validate(leafWithout(OIDS.extKeyUsage))).toBe('X509_LEAF_EXTENDED_KEY_USAGE')
    // A private OID whose encoding contains the whole DER of id-kp-codeSigning (06 08 2b 06 01 05 05 07 03 03),
    // which the old byte search accepted.
    const trap = '1.3.6.1.4.1.57264.99.6.8.43.6.1.5.5.7.3.3'
    expect(Buffer.from(derOid(trap)).includes(Buffer.from(derOid(OIDS.codeSigning)))).toBe(true)
    expect(validate(replaceLeaf(OIDS.extKeyUsage, ext(OIDS.extKeyUsage, extKeyUsage(trap))))).toBe(
      'X509_LEAF_EXTENDED_KEY_USAGE',
    )
    const serverAuth = ext(OIDS.extKeyUsage, extKeyUsage('1.3.6.1.5.5.7.3.1'))
    expect(validate(replaceLeaf(OIDS.extKeyUsage, serverAuth))).toBe('X509_LEAF_EXTENDED_KEY_USAGE')
    const several = ext(OIDS.extKeyUsage, extKeyUsage('1.3.6.1.5.5.7.3.1', OIDS.codeSigning))
    expect(validate(replaceLeaf(OIDS.extKeyUsage, several))).toBe('ok')
  })
})

describe('RFC 3161 TSA leaf profile', () => {
  const tsaLeaf = (critical: boolean, ...purposes: string[]) => ({
    leaf: {
      extensions: [
        ext(OIDS.keyUsage, keyUsage(KU.digitalSignature), true),
        ext(OIDS.extKeyUsage, extKeyUsage(...purposes), critical),
      ],
    },
  })
  it('accepts a critical extKeyUsage with timeStamping only', () => {
    expect(validate(tsaLeaf(true, OIDS.timeStamping), [AT], TSA_LEAF_PROFILE)).toBe('ok')
  })
  it('rejects it non-critical, with another purpose, or absent', () => {
    expect(validate(tsaLeaf(false, OIDS.timeStamping), [AT], TSA_LEAF_PROFILE)).toBe(
      'X509_LEAF_EXTENDED_KEY_USAGE',
    )
    expect(validate(tsaLeaf(true, OIDS.timeStamping, OIDS.codeSigning), [AT], TSA_LEAF_PROFILE)).toBe(
      'X509_LEAF_EXTENDED_KEY_USAGE',
    )
    expect(validate({}, [AT], TSA_LEAF_PROFILE)).toBe('X509_LEAF_EXTENDED_KEY_USAGE')
  })
})

describe('signatures and validity (§6.1.3(a))', () => {
  it('rejects a leaf not signed by the intermediate', () => {
    expect(validate({ leaf: { signer: keys().privateKey } })).toBe('X509_SIGNATURE_INVALID')
  })
  it('requires every certificate valid at every time', () => {
    expect(validate({}, [AT, AT + 500_000])).toBe('ok')
    expect(validate({}, [AT, AT + 700_000])).toBe('X509_NOT_VALID_AT_TIME')
    expect(validate({}, [AT - 700_000])).toBe('X509_NOT_VALID_AT_TIME')
    expect(validate({ intermediate: { notAfter: AT - DAY } })).toBe('X509_NOT_VALID_AT_TIME')
  })
  it('names the failing certificate by position', () => {
    try {
      const built = pki({ intermediate: { notAfter: AT - DAY } })
      const path = [built.leaf, built.intermediate, built.root].map((der) => parseCertificate(der))
      validateCertificatePath(path, { times: [AT], leaf: FULCIO_LEAF_PROFILE })
      expect.unreachable()
    } catch (error) {
      expect(X509Error.is(error, 'X509_NOT_VALID_AT_TIME')).toBe(true)
      expect((error as X509Error).details.position).toBe(1)
    }
  })
})

describe('names and Fulcio extensions', () => {
  function parsedLeaf(extensions: ReturnType<typeof ext>[]): ParsedCertificate {
    return parseCertificate(pki({ leaf: { extensions } }).leaf)
  }
  it('decodes SANs in order and keeps dNSName out of the identity names', () => {
    const san = derSequence(
      encodeTlv(0x82, [Buffer.from('host.example.test')]),
      encodeTlv(0x86, [Buffer.from('https://a.example.test')]),
      encodeTlv(0x81, [Buffer.from('b@example.test')]),
    )
    const names = subjectAltNames(parsedLeaf([ext(OIDS.subjectAltName, san, true)]))
    expect(names.entries.map((entry) => entry.kind)).toEqual(['dns', 'uri', 'email'])
    expect(identityNames(names)).toEqual(['https://a.example.test', 'b@example.test'])
  })
  it('rejects an empty or non-ASCII SAN and a Fulcio v2 extension that is not one UTF8String', () => {
    // SANs are decoded while parsing, so a malformed one rejects the certificate itself.
    expect(codeOf(() => parsedLeaf([ext(OIDS.subjectAltName, derSequence(), true)]))).toBe(
      'X509_MALFORMED_EXTENSION',
    )
    expect(codeOf(() => parsedLeaf([ext(OIDS.subjectAltName, sanUri('https://ä.test'), true)]))).toBe(
      'X509_MALFORMED_EXTENSION',
    )
    const universalTag = derSequence(encodeTlv(0x13, [Buffer.from('https://a.test')]))
    expect(codeOf(() => parsedLeaf([ext(OIDS.subjectAltName, universalTag, true)]))).toBe(
      'X509_MALFORMED_EXTENSION',
    )
    const raw = parsedLeaf([ext(OIDS.fulcioIssuer, Buffer.from('https://raw.example.test'))])
    expect(codeOf(() => fulcioExtensions(raw))).toBe('X509_MALFORMED_EXTENSION')
    const good = parsedLeaf([ext(OIDS.fulcioIssuer, derUtf8String('https://issuer.example.test'))])
    expect(fulcioExtensions(good).issuer).toBe('https://issuer.example.test')
  })
})
