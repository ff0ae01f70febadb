// Property test: random extension sets on a generated leaf and intermediate; the validator's verdict must be "ok"
// exactly when the model below finds no RFC 5280 / Fulcio-profile violation, and otherwise one of the violated rules.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { derOctetString, derUtf8String } from '../src/der.js'
import {
  FULCIO_LEAF_PROFILE,
  parseCertificate,
  validateCertificatePath,
  X509Error,
  type X509ErrorCode,
} from '../src/x509.js'
import {
  AT,
  basicConstraints,
  type ExtensionSpec,
  ext,
  extKeyUsage,
  KU,
  keyUsage,
  OIDS,
  pki,
  sanUri,
} from './helpers/pki.js'

const PURPOSES = [
  OIDS.codeSigning,
  '1.3.6.1.5.5.7.3.1',
  OIDS.timeStamping,
  '1.3.6.1.4.1.57264.99.6.8.43.6.1.5.5.7.3.3',
]
const KEY_USAGE_BITS = [
  KU.digitalSignature,
  KU.nonRepudiation,
  KU.keyEncipherment,
  KU.keyCertSign,
  KU.cRLSign,
]
const PRIVATE_OID = '1.3.6.1.4.1.99999.7'

/** `value` most of the time, otherwise anything from `other` (so valid paths are common, violations too). */
function mostly<T>(value: T, other: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: fc.constant(value), weight: 4 }, { arbitrary: other, weight: 1 })
}
const rarely = fc.oneof(
  { arbitrary: fc.constant(false), weight: 9 },
  { arbitrary: fc.constant(true), weight: 1 },
)
const anyKeyUsage = fc.option(fc.subarray(KEY_USAGE_BITS, { minLength: 1 }), { nil: undefined })
const anyBasic = fc.constantFrom<'absent' | 'ca' | 'not-ca' | 'ca-pathlen-0'>(
  'absent',
  'ca',
  'not-ca',
  'ca-pathlen-0',
)
const anyEku = fc.option(fc.subarray(PURPOSES, { minLength: 1 }), { nil: undefined })

function shapeArb(role: 'leaf' | 'issuer') {
  return fc.record({
    keyUsage: mostly<number[] | undefined>(
      role === 'leaf' ? [KU.digitalSignature] : [KU.keyCertSign],
      anyKeyUsage,
    ),
    basic: mostly(role === 'leaf' ? ('absent' as const) : ('ca-pathlen-0' as const), anyBasic),
    eku: mostly<string[] | undefined>(role === 'leaf' ? [OIDS.codeSigning] : undefined, anyEku),
    san: fc.boolean(),
    privateExtension: mostly(
      'absent' as const,
      fc.constantFrom<'absent' | 'plain' | 'critical'>('plain', 'critical'),
    ),
    duplicate: rarely,
    version: mostly(3, fc.constantFrom(1, 2)),
    algorithmMismatch: rarely,
  })
}
const certificateArb = shapeArb('leaf')
type Shape = typeof certificateArb extends fc.Arbitrary<infer T> ? T : never

function extensionsOf(shape: Shape): ExtensionSpec[] {
  const list: ExtensionSpec[] = []
  if (shape.keyUsage) list.push(ext(OIDS.keyUsage, keyUsage(...shape.keyUsage), true))
  if (shape.basic === 'ca') list.push(ext(OIDS.basicConstraints, basicConstraints(true), true))
  if (shape.basic === 'ca-pathlen-0') list.push(ext(OIDS.basicConstraints, basicConstraints(true, 0), true))
  if (shape.basic === 'not-ca') list.push(ext(OIDS.basicConstraints, basicConstraints(false), true))
  if (shape.eku) list.push(ext(OIDS.extKeyUsage, extKeyUsage(...shape.eku)))
  if (shape.san) list.push(ext(OIDS.subjectAltName, sanUri('https://example.test/x'), true))
  if (shape.privateExtension !== 'absent')
    list.push(ext(PRIVATE_OID, derOctetString(Buffer.of(1)), shape.privateExtension === 'critical'))
  list.push(ext(OIDS.fulcioIssuer, derUtf8String('https://issuer.example.test')))
  if (shape.duplicate) list.push(list[0]!)
  return list
}

/** Rules a certificate breaks on its own (parse time). */
function encodingViolations(shape: Shape): X509ErrorCode[] {
  const found: X509ErrorCode[] = []
  if (shape.version < 3) found.push('X509_VERSION')
  if (shape.algorithmMismatch) found.push('X509_ALGORITHM_MISMATCH')
  if (shape.duplicate) found.push('X509_DUPLICATE_EXTENSION')
  if (shape.privateExtension === 'critical') found.push('X509_UNKNOWN_CRITICAL_EXTENSION')
  return found
}

function leafViolations(shape: Shape): X509ErrorCode[] {
  const found = encodingViolations(shape)
  if (shape.basic === 'ca' || shape.basic === 'ca-pathlen-0') found.push('X509_LEAF_IS_CA')
  if (!shape.keyUsage?.includes(KU.digitalSignature)) found.push('X509_LEAF_KEY_USAGE')
  if (!shape.eku?.includes(OIDS.codeSigning)) found.push('X509_LEAF_EXTENDED_KEY_USAGE')
  return found
}

function issuerViolations(shape: Shape): X509ErrorCode[] {
  const found = encodingViolations(shape)
  if (shape.basic === 'absent' || shape.basic === 'not-ca') found.push('X509_ISSUER_NOT_CA')
  if (shape.keyUsage && !shape.keyUsage.includes(KU.keyCertSign)) found.push('X509_ISSUER_KEY_USAGE')
  return found
}

function verdict(leaf: Shape, intermediate: Shape): X509ErrorCode | 'ok' {
  const spec = (shape: Shape) => ({
    extensions: extensionsOf(shape),
    version: shape.version,
    outerAlgorithm: shape.algorithmMismatch ? '1.2.840.10045.4.3.3' : undefined,
  })
  const built = pki({ leaf: spec(leaf), intermediate: spec(intermediate) })
  try {
    const path = [built.leaf, built.intermediate, built.root].map((der) => parseCertificate(der))
    validateCertificatePath(path, { times: [AT], leaf: FULCIO_LEAF_PROFILE })
    return 'ok'
  } catch (error) {
    if (X509Error.is(error)) return error.code
    throw error
  }
}

describe('random extension sets: the verdict matches the rules', () => {
  it('is ok exactly when no rule is broken, else names a broken rule', () => {
    const seen = new Map<string, number>()
    fc.assert(
      fc.property(shapeArb('leaf'), shapeArb('issuer'), (leaf, intermediate) => {
        const expected = [...leafViolations(leaf), ...issuerViolations(intermediate)]
        const actual = verdict(leaf, intermediate)
        seen.set(actual, (seen.get(actual) ?? 0) + 1)
        if (expected.length === 0) expect(actual).toBe('ok')
        else expect(expected).toContain(actual)
      }),
      { numRuns: 400 },
    )
    // The generator must exercise both outcomes and most rules, or the property proves little.
    expect(seen.get('ok') ?? 0).toBeGreaterThan(20)
    expect(seen.size).toBeGreaterThanOrEqual(9)
  })
})
