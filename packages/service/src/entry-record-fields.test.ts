import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
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
} from '@certus-trust/core/der'
import { hashLeaf, type LogEntry, RekorError } from '@certus-trust/log-protocol'
import {
  buildHashedRekordProposedEntry,
  canonicalizeProposedEntry,
  fromBundleTransparencyLogEntry,
} from '@certus-trust/log-protocol/entries'
import { describe, expect, it } from 'vitest'
import { certificateIdentity, entryFieldsForRecord } from './entry-record-fields.js'

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

const spkiFingerprint = (der: Uint8Array) => `sha256:${createHash('sha256').update(der).digest('hex')}`

function logEntry(body: Uint8Array, logIndex = 101): LogEntry {
  return {
    uuid: `${'0'.repeat(16)}${Buffer.from(hashLeaf(body)).toString('hex')}`,
    body: Buffer.from(body).toString('base64'),
    integratedTime: 1_700_000_000,
    logID: 'c0'.repeat(32),
    logIndex,
  }
}

describe('entryFieldsForRecord', () => {
  it('extracts the fields a server records from a hashedrekord 0.0.1 entry (key signer)', async () => {
    const artifact = Buffer.from('recorded artifact')
    const proposed = buildHashedRekordProposedEntry({
      digest: `sha256:${createHash('sha256').update(artifact).digest('hex')}`,
      signature: sign('sha256', artifact, keys.privateKey),
      publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    })
    const entry = logEntry(await canonicalizeProposedEntry(proposed))
    expect(entryFieldsForRecord(entry)).toEqual({
      artifactHash: `sha256:${createHash('sha256').update(artifact).digest('hex')}`,
      signature: proposed.spec.signature.content,
      signer: {
        type: 'publicKey',
        keyFingerprint: spkiFingerprint(keys.publicKey.export({ type: 'spki', format: 'der' })),
      },
      integratedTime: 1_700_000_000,
      logIndex: 101,
      uuid: entry.uuid.slice(16),
    })
  })

  it('reads digest, signature and signer from a hashedrekord 0.0.2 (Rekor v2) body', () => {
    const digest = createHash('sha256').update('v2 artifact').digest()
    const spki = keys.publicKey.export({ type: 'spki', format: 'der' })
    const signature = sign(null, digest, { key: keys.privateKey, dsaEncoding: 'der' }).toString('base64')
    const body = {
      apiVersion: '0.0.2',
      kind: 'hashedrekord',
      spec: {
        hashedRekordV002: {
          data: { algorithm: 'SHA2_256', digest: digest.toString('base64') },
          signature: { content: signature, verifier: { publicKey: { rawBytes: spki.toString('base64') } } },
        },
      },
    }
    const fields = entryFieldsForRecord(logEntry(Buffer.from(JSON.stringify(body)), 7))
    expect(fields.artifactHash).toBe(`sha256:${digest.toString('hex')}`)
    expect(fields.signature).toBe(signature)
    expect(fields.signer).toEqual({ type: 'publicKey', keyFingerprint: spkiFingerprint(spki) })
    expect(fields.logIndex).toBe(7)
    const broken = logEntry(Buffer.from('{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{}}'))
    expect(() => entryFieldsForRecord(broken)).toThrow(/lacks a digest or a signature/)
  })
})

const conformanceAssets = process.env.SIGSTORE_CONFORMANCE_ASSETS

describe.skipIf(!conformanceAssets)('entryFieldsForRecord on real Fulcio certificates', () => {
  it('reads the SAN and OIDC issuer of every certificate-signed happy-path entry', () => {
    const cases = readdirSync(conformanceAssets!).filter(
      (name) =>
        name.startsWith('happy-path') && existsSync(join(conformanceAssets!, name, 'bundle.sigstore.json')),
    )
    let checked = 0
    for (const name of cases) {
      const bundle = JSON.parse(readFileSync(join(conformanceAssets!, name, 'bundle.sigstore.json'), 'utf8'))
      for (const json of bundle.verificationMaterial.tlogEntries) {
        const fields = entryFieldsForRecord(fromBundleTransparencyLogEntry(json))
        if (fields.signer.type !== 'certificate') continue
        checked++
        expect(fields.signer.subjectAlternativeName).toMatch(/^(https:\/\/|[^@\s]+@)/)
        expect(fields.signer.issuer).toMatch(/^https:\/\//)
        expect(fields.artifactHash).toMatch(/^sha256:[0-9a-f]{64}$/)
      }
    }
    expect(checked).toBeGreaterThan(0)
  })
})
