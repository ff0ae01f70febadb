import { bytesEqual, fromPem, hashFromProtobufName } from '@certus-trust/core'
import type { TlogEntry } from './bundle.js'
import { fail } from './errors.js'

/** What the bundle says, for comparison with the log entry body. */
export interface BodyExpectations {
  signature: Buffer
  /** The signer's key (DER SPKI) and, for certificates, the certificate DER. */
  signer: { spki: Uint8Array; certificate?: Uint8Array }
  /** Artifact digest for a hashedrekord algorithm (`sha256`…); undefined when it cannot be computed. */
  artifactDigest(algorithm: string): Buffer | undefined
  /** For DSSE bundles: SHA-256 of the payload and of the PAE. */
  dsse?: { payloadSha256: Buffer; paeSha256: Buffer }
}

type Json = Record<string, unknown>

function mismatch(message: string): never {
  return fail('VERIFIER_TLOG_BODY_MISMATCH', message)
}

function get(value: unknown, ...path: string[]): unknown {
  let current = value
  for (const key of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined
    current = (current as Json)[key]
  }
  return current
}

function b64(value: unknown, field: string): Buffer {
  if (typeof value !== 'string') mismatch(`log entry ${field} is missing`)
  return Buffer.from(value, 'base64')
}

function hex(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || !/^(?:[0-9a-fA-F]{2})+$/.test(value))
    mismatch(`log entry ${field} is not hex`)
  return Buffer.from(value, 'hex')
}

/** A key or certificate named by a log entry body, with what it claims to be. */
interface BodyVerifier {
  kind: 'certificate' | 'publicKey'
  der: Uint8Array
}

/**
 * Compares the body's verifier with the bundle's signer, type for type: a certificate must be the bundle's
 * certificate (byte for byte), a public key the signer's SPKI (for a certificate bundle: the certificate's key).
 * A key passed off as a certificate, or the reverse, does not match.
 */
function checkVerifier(
  verifier: BodyVerifier | undefined,
  expected: BodyExpectations['signer'],
  field: string,
): void {
  if (!verifier) mismatch(`log entry ${field} is missing`)
  const wanted = verifier.kind === 'certificate' ? expected.certificate : expected.spki
  if (wanted && bytesEqual(verifier.der, wanted)) return
  mismatch(
    `log entry ${field} does not match the bundle's ${expected.certificate ? 'certificate' : 'public key'}`,
  )
}

/** A v1 body's verifier: base64 of a PEM certificate or PEM public key. */
function pemVerifier(value: unknown): BodyVerifier | undefined {
  if (typeof value !== 'string') return undefined
  const pem = fromPem(Buffer.from(value, 'base64').toString('utf8'))
  if (!pem) return undefined
  if (pem.label === 'CERTIFICATE') return { kind: 'certificate', der: pem.der }
  if (pem.label === 'PUBLIC KEY') return { kind: 'publicKey', der: pem.der }
  return undefined
}

/** A Rekor v2 `Verifier`: exactly one of `x509Certificate` and `publicKey` (a oneof in the protobuf). */
function v2Verifier(value: unknown): BodyVerifier | undefined {
  const certificate = get(value, 'x509Certificate', 'rawBytes')
  const publicKey = get(value, 'publicKey', 'rawBytes')
  if (certificate !== undefined && publicKey !== undefined)
    mismatch('log entry verifier holds both a certificate and a public key')
  if (typeof certificate === 'string') return { kind: 'certificate', der: b64(certificate, 'verifier') }
  if (typeof publicKey === 'string') return { kind: 'publicKey', der: b64(publicKey, 'verifier') }
  return undefined
}

/**
 * Checks that the log entry body describes this bundle: kind/version agree with `kindVersion`, and
 * signature, key or certificate, and digest (artifact digest, DSSE payload hash or PAE hash) match.
 * Supports hashedrekord 0.0.1/0.0.2, dsse 0.0.1/0.0.2 and intoto 0.0.2.
 * @throws VerifierError `VERIFIER_TLOG_BODY_MISMATCH`.
 */
export function verifyEntryBody(entry: TlogEntry, expected: BodyExpectations): void {
  let body: unknown
  try {
    body = JSON.parse(entry.canonicalizedBody.toString('utf8'))
  } catch {
    mismatch('log entry body is not JSON')
  }
  const kind = get(body, 'kind')
  const apiVersion = get(body, 'apiVersion')
  if (kind !== entry.kind || apiVersion !== entry.version) {
    mismatch(
      `kindVersion ${entry.kind}/${entry.version} does not match the body (${String(kind)}/${String(apiVersion)})`,
    )
  }
  const spec = get(body, 'spec')
  const key = `${entry.kind}/${entry.version}`
  switch (key) {
    case 'hashedrekord/0.0.1': {
      if (!bytesEqual(b64(get(spec, 'signature', 'content'), 'signature'), expected.signature))
        mismatch('log entry signature differs from the bundle signature')
      checkVerifier(
        pemVerifier(get(spec, 'signature', 'publicKey', 'content')),
        expected.signer,
        'public key',
      )
      const algorithm = get(spec, 'data', 'hash', 'algorithm')
      checkDigest(
        typeof algorithm === 'string' ? algorithm : '',
        hex(get(spec, 'data', 'hash', 'value'), 'digest'),
        expected,
      )
      return
    }
    case 'hashedrekord/0.0.2': {
      const v2 = get(spec, 'hashedRekordV002')
      if (!bytesEqual(b64(get(v2, 'signature', 'content'), 'signature'), expected.signature))
        mismatch('log entry signature differs from the bundle signature')
      checkVerifier(v2Verifier(get(v2, 'signature', 'verifier')), expected.signer, 'verifier')
      const algorithm = hashFromProtobufName(get(v2, 'data', 'algorithm')) ?? ''
      checkDigest(algorithm, b64(get(v2, 'data', 'digest'), 'digest'), expected)
      return
    }
    case 'dsse/0.0.1': {
      if (!expected.dsse) mismatch('a dsse log entry cannot describe a message signature')
      const signatures = get(spec, 'signatures')
      if (!Array.isArray(signatures) || signatures.length !== 1)
        mismatch('dsse log entry must hold exactly one signature')
      if (!bytesEqual(b64(get(signatures[0], 'signature'), 'signature'), expected.signature))
        mismatch('log entry signature differs from the envelope signature')
      checkVerifier(pemVerifier(get(signatures[0], 'verifier')), expected.signer, 'verifier')
      if (get(spec, 'payloadHash', 'algorithm') !== 'sha256') mismatch('dsse payload hash must be sha256')
      if (!bytesEqual(hex(get(spec, 'payloadHash', 'value'), 'payloadHash'), expected.dsse.payloadSha256))
        mismatch('log entry payload hash differs from the envelope payload')
      return
    }
    case 'dsse/0.0.2': {
      if (!expected.dsse) mismatch('a dsse log entry cannot describe a message signature')
      const v2 = get(spec, 'dsseV002')
      const signatures = get(v2, 'signatures')
      if (!Array.isArray(signatures) || signatures.length !== 1)
        mismatch('dsse log entry must hold exactly one signature')
      if (!bytesEqual(b64(get(signatures[0], 'content'), 'signature'), expected.signature))
        mismatch('log entry signature differs from the envelope signature')
      checkVerifier(v2Verifier(get(signatures[0], 'verifier')), expected.signer, 'verifier')
      if (get(v2, 'payloadHash', 'algorithm') !== 'SHA2_256') mismatch('dsse payload hash must be SHA2_256')
      if (!bytesEqual(b64(get(v2, 'payloadHash', 'digest'), 'payloadHash'), expected.dsse.payloadSha256))
        mismatch('log entry payload hash differs from the envelope payload')
      return
    }
    case 'intoto/0.0.2': {
      if (!expected.dsse) mismatch('an intoto log entry cannot describe a message signature')
      const signatures = get(spec, 'content', 'envelope', 'signatures')
      if (!Array.isArray(signatures) || signatures.length !== 1)
        mismatch('intoto log entry must hold exactly one signature')
      // The signature is base64 twice over in intoto 0.0.2 bodies.
      const inner = b64(get(signatures[0], 'sig'), 'signature').toString('utf8')
      if (!bytesEqual(Buffer.from(inner, 'base64'), expected.signature))
        mismatch('log entry signature differs from the envelope signature')
      // Rekor's intoto 0.0.2 schema requires the key beside each signature; an entry without one binds no signer.
      checkVerifier(pemVerifier(get(signatures[0], 'publicKey')), expected.signer, 'public key')
      if (get(spec, 'content', 'payloadHash', 'algorithm') !== 'sha256')
        mismatch('intoto payload hash must be sha256')
      if (
        !bytesEqual(
          hex(get(spec, 'content', 'payloadHash', 'value'), 'payloadHash'),
          expected.dsse.payloadSha256,
        )
      )
        mismatch('log entry payload hash differs from the envelope payload')
      return
    }
    default:
      mismatch(`unsupported log entry kind ${key.slice(0, 60)}`)
  }
}

function checkDigest(algorithm: string, recorded: Buffer, expected: BodyExpectations): void {
  if (expected.dsse) {
    // Rekor v2 logs DSSE as hashedrekord over SHA-256(PAE).
    if (algorithm !== 'sha256' || !bytesEqual(recorded, expected.dsse.paeSha256))
      mismatch('log entry digest differs from the envelope PAE digest')
    return
  }
  const digest = expected.artifactDigest(algorithm)
  if (!digest)
    fail(
      'VERIFIER_INVALID_ARTIFACT',
      `the log entry records a ${algorithm || 'unknown'} digest, which cannot be computed from the artifact given`,
    )
  if (!bytesEqual(recorded, digest))
    fail('VERIFIER_ARTIFACT_MISMATCH', 'the artifact digest differs from the digest in the log entry')
}
