import { generateKeyPairSync, sign } from 'node:crypto'
import {
  derBitString,
  derBoolean,
  derExplicit,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derUtcTime,
  derUtf8String,
  encodeTlv,
} from '@certus-trust/core'
import { describe, expect, it } from 'vitest'
import { RekorError } from './errors.js'
import { certificateIdentity } from './x509-identity.js'

const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ECDSA_SHA256 = derSequence(derOid('1.2.840.10045.4.3.2'))

/** A minimal self-issued v3 certificate with `extensions` ([oid, critical, value]). */
function certificate(extensions: Array<[string, boolean, Uint8Array]>): Uint8Array {
  const name = derSequence()
  const tbs = derSequence(
    derExplicit(0, derInteger(2)),
    derInteger(7),
    ECDSA_SHA256,
    name,
    derSequence(derUtcTime(new Date('2026-01-01T00:00:00Z')), derUtcTime(new Date('2026-01-02T00:00:00Z'))),
    name,
    keys.publicKey.export({ type: 'spki', format: 'der' }),
    derExplicit(
      3,
      derSequence(
        ...extensions.map(([oid, critical, value]) =>
          derSequence(derOid(oid), ...(critical ? [derBoolean(true)] : []), derOctetString(value)),
        ),
      ),
    ),
  )
  return derSequence(tbs, ECDSA_SHA256, derBitString(sign('sha256', tbs, keys.privateKey)))
}

const san = (...names: Array<[number, string]>) =>
  derSequence(...names.map(([tag, value]) => encodeTlv(tag, [Buffer.from(value)])))

describe('certificateIdentity (strict parser, no byte search)', () => {
  it('reads the first identity SAN (skipping dNSName) and the v2 issuer over the v1 one', () => {
    const der = certificate([
      [
        '2.5.29.17',
        true,
        san([0x82, 'host.example.test'], [0x81, 'me@example.test'], [0x86, 'https://x.test']),
      ],
      ['1.3.6.1.4.1.57264.1.1', false, Buffer.from('https://v1.example.test')],
      ['1.3.6.1.4.1.57264.1.8', false, derUtf8String('https://v2.example.test')],
    ])
    expect(certificateIdentity(der)).toEqual({
      subjectAlternativeName: 'me@example.test',
      issuer: 'https://v2.example.test',
    })
  })

  it('falls back to the v1 issuer, and reports nothing it does not find', () => {
    const der = certificate([['1.3.6.1.4.1.57264.1.1', false, Buffer.from('https://v1.example.test')]])
    expect(certificateIdentity(der)).toEqual({ issuer: 'https://v1.example.test' })
  })

  it('does not find an issuer OID that only appears inside another extension value', () => {
    // The old byte search found the encoded OID anywhere in the certificate.
    const smuggled = derSequence(
      derOid('1.3.6.1.4.1.57264.1.8'),
      derOctetString(derUtf8String('https://evil.test')),
    )
    const der = certificate([['1.3.6.1.4.1.99999.5', false, smuggled]])
    expect(certificateIdentity(der)).toEqual({})
  })

  it('refuses a duplicated issuer extension with a typed error', () => {
    const der = certificate([
      ['1.3.6.1.4.1.57264.1.8', false, derUtf8String('https://a.test')],
      ['1.3.6.1.4.1.57264.1.8', false, derUtf8String('https://b.test')],
    ])
    expect(() => certificateIdentity(der)).toThrow(expect.objectContaining({ code: 'REKOR_BODY_INVALID' }))
    try {
      certificateIdentity(der)
    } catch (error) {
      expect(RekorError.is(error) && error.details.x509Code).toBe('X509_DUPLICATE_EXTENSION')
    }
  })
})
