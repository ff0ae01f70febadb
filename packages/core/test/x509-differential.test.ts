// Differential check against node:crypto's X509Certificate (OpenSSL) and @sigstore/core's X509Certificate on what
// each parser accepts. We must never accept what either rejects; where they accept what we reject, the difference
// is listed here on purpose (and in the verifier README's "what we check" table).
import { X509Certificate as NodeCertificate } from 'node:crypto'
import { X509Certificate as SigstoreCertificate } from '@sigstore/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { children, derOctetString, derUtf8String, readNode } from '../src/der.js'
import { parseCertificate } from '../src/x509.js'
import { basicConstraints, certificate, ext, fulcioLeafExtensions, keys, OIDS, pki } from './helpers/pki.js'

type Verdict = 'accept' | 'reject'

function ours(der: Buffer): Verdict {
  try {
    parseCertificate(der)
    return 'accept'
  } catch {
    return 'reject'
  }
}

function node(der: Buffer): Verdict {
  try {
    const parsed = new NodeCertificate(der)
    void parsed.subjectAltName
    void parsed.validTo
    return 'accept'
  } catch {
    return 'reject'
  }
}

function sigstore(der: Buffer): Verdict {
  try {
    const parsed = SigstoreCertificate.parse(der as Buffer<ArrayBuffer>)
    void parsed.version
    void parsed.notAfter
    void parsed.extensions.map((extension) => extension.subs[0]!.toOID())
    void parsed.isCA
    return 'accept'
  } catch {
    return 'reject'
  }
}

const issuerKeys = keys()
const leafKeys = keys()
const leafWith = (extensions: ReturnType<typeof ext>[], extra: Record<string, unknown> = {}) =>
  certificate({
    subject: 'leaf',
    issuer: 'ca',
    publicKey: leafKeys.publicKey,
    signer: issuerKeys.privateKey,
    extensions,
    ...extra,
  })
const base = fulcioLeafExtensions()

/** Each case: the certificate and the verdicts [ours, node, sigstore] we observed and accept as intended. */
const CASES: Array<[string, Buffer, [Verdict, Verdict, Verdict]]> = [
  ['valid Fulcio-profile leaf', leafWith(base), ['accept', 'accept', 'accept']],
  ['valid CA', pki().intermediate, ['accept', 'accept', 'accept']],
  [
    'duplicate Fulcio issuer extension',
    leafWith([...base, ext(OIDS.fulcioIssuer, derUtf8String('https://attacker.example.test'))]),
    ['reject', 'accept', 'accept'],
  ],
  [
    'unknown critical extension',
    leafWith([...base, ext('1.3.6.1.4.1.99999.1', derOctetString(Buffer.of(1)), true)]),
    ['reject', 'accept', 'accept'],
  ],
  // @sigstore/core cannot read the version of any v1 certificate (no [0] field), with or without extensions.
  ['v1 certificate with extensions', leafWith(base, { version: 1 }), ['reject', 'accept', 'reject']],
  [
    'inner and outer signature algorithms differ',
    leafWith(base, { outerAlgorithm: '1.2.840.10045.4.3.3' }),
    ['reject', 'accept', 'accept'],
  ],
  [
    'explicit critical FALSE (BER)',
    leafWith(base.map((item) => (item.oid === OIDS.fulcioIssuer ? { ...item, explicitFalse: true } : item))),
    ['reject', 'accept', 'accept'],
  ],
  [
    'basicConstraints with an explicit cA FALSE (BER)',
    leafWith([
      ...base,
      ext(OIDS.basicConstraints, Buffer.from('30030101 00'.replace(/ /g, ''), 'hex'), true),
    ]),
    ['reject', 'accept', 'accept'],
  ],
  [
    'trailing byte after the certificate',
    Buffer.concat([leafWith(base), Buffer.of(0)]),
    ['reject', 'accept', 'reject'],
  ],
]

describe('differential: ours vs node:crypto vs @sigstore/core', () => {
  for (const [label, der, expected] of CASES) {
    it(`${label}: ${expected.join(' / ')}`, () => {
      expect([ours(der), node(der), sigstore(der)]).toEqual(expected)
    })
  }

  it('sigstore-js reads the first copy of a duplicated extension; we refuse the certificate', () => {
    const der = leafWith([...base, ext(OIDS.fulcioIssuer, derUtf8String('https://second.example.test'))])
    const value = SigstoreCertificate.parse(der as Buffer<ArrayBuffer>).extension(OIDS.fulcioIssuer)?.value
    expect(Buffer.from(value!).toString('utf8')).toContain('https://issuer.example.test')
    expect(ours(der)).toBe('reject')
  })

  it('refuses a unique identifier that is not a BIT STRING (found by the property below)', () => {
    // The extensions' [3] tag turned into [1] issuerUniqueID: its content (a SEQUENCE) is no valid BIT STRING.
    const der = Buffer.from(pki().intermediate)
    const tbsFields = children(children(readNode(der))[0]!)
    der[tbsFields[tbsFields.length - 1]!.start] = 0x81
    expect([ours(der), node(der)]).toEqual(['reject', 'reject'])
  })

  it('never accepts a mutated certificate that node:crypto or @sigstore/core rejects', () => {
    const seeds = [
      leafWith(base),
      pki().intermediate,
      leafWith([...base, ext(OIDS.basicConstraints, basicConstraints(false), true)]),
    ]
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (seed, position, value) => {
          const der = Buffer.from(seed)
          der[position % der.length] = value
          if (ours(der) === 'accept') {
            expect(node(der)).toBe('accept')
            expect(sigstore(der)).toBe('accept')
          }
        },
      ),
      { numRuns: 3000 },
    )
  })
})
