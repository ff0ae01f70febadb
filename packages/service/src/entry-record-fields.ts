import { X509Certificate } from 'node:crypto'
import { fromBase64, hashFromProtobufName, publicKeyFingerprint, toHex, toPem } from '@certus-trust/core'
import {
  fulcioExtensions,
  identityNames,
  parseCertificate,
  subjectAltNames,
  X509Error,
} from '@certus-trust/core/x509'
import { hashLeaf, type LogEntry, RekorError, toPublicKey } from '@certus-trust/log-protocol'
import { type EntryBody, parseEntryBody } from '@certus-trust/log-protocol/entries'

// The record model's view of a logged entry (what the server and the CLI store about it), read from the entry's
// body. Failures stay RekorErrors: they are verdicts on the log entry, not on the service.

const fail: typeof RekorError.fail = RekorError.fail

/**
 * Identity of a (Fulcio) certificate, read with core's strict X.509 parser (never by searching raw bytes): the
 * first identity SAN (URI, email or Fulcio username, in certificate order; dNSName never names a signer) and the
 * OIDC issuer extension (v2 …57264.1.8, else the deprecated v1 …1.1). A certificate the parser rejects — a
 * duplicate extension, an unknown critical one, bad DER — yields no identity.
 * @throws RekorError `REKOR_BODY_INVALID` (the X509Error as `cause`).
 * @internal exported for its tests
 */
export function certificateIdentity(der: Uint8Array): { subjectAlternativeName?: string; issuer?: string } {
  try {
    const certificate = parseCertificate(der)
    const result: { subjectAlternativeName?: string; issuer?: string } = {}
    const first = identityNames(subjectAltNames(certificate))[0]
    if (first !== undefined) result.subjectAlternativeName = first
    const issuer = fulcioExtensions(certificate).issuer
    if (issuer !== undefined) result.issuer = issuer
    return result
  } catch (error) {
    if (X509Error.is(error))
      return fail(
        'REKOR_BODY_INVALID',
        `entry certificate is not a valid X.509 certificate: ${error.message}`,
        {
          x509Code: error.code,
        },
        error,
      )
    throw error
  }
}

/** Who signed an entry: a certificate identity, or a bare key named by its fingerprint. */
export interface EntrySigner {
  type: 'certificate' | 'publicKey'
  /** `sha256:<hex>` of the DER SubjectPublicKeyInfo of the signing key. */
  keyFingerprint: string
  /** Certificates only: the first subject alternative name (email or URI). */
  subjectAlternativeName?: string
  /** Certificates only: the Fulcio OIDC issuer extension. */
  issuer?: string
}

/** The fields a server records about a logged entry (see {@link entryFieldsForRecord}). */
export interface EntryRecordFields {
  /** `<algorithm>:<hex>`: the artifact digest (hashedrekord) or payload digest (dsse, intoto). */
  artifactHash: string
  /** Base64 signature bytes (the first one for multi-signature DSSE). */
  signature: string
  signer: EntrySigner
  integratedTime: number
  logIndex: number
  /** 64-hex UUID (leaf hash), whatever form `entry.uuid` had. */
  uuid: string
}

// Signers by the body's key text: a log's records name the same few keys over and over, and re-exporting a key
// to fingerprint it costs more than the rest of the record.
const signersByKeyText = new Map<string, EntrySigner>()
const SIGNERS_CAPACITY = 64

function signerFromBase64Pem(encoded: string | undefined): EntrySigner {
  const known = encoded === undefined ? undefined : signersByKeyText.get(encoded)
  if (known) return { ...known }
  const signer = signerFromBase64PemUncached(encoded)
  if (signersByKeyText.size >= SIGNERS_CAPACITY)
    signersByKeyText.delete(signersByKeyText.keys().next().value!)
  signersByKeyText.set(encoded!, signer)
  return { ...signer }
}

function signerFromBase64PemUncached(encoded: string | undefined): EntrySigner {
  const bytes = encoded === undefined ? undefined : fromBase64(encoded)
  if (!bytes) return fail('REKOR_BODY_INVALID', 'entry body names no readable key or certificate')
  const pem = Buffer.from(bytes).toString('utf8')
  const key = toPublicKey(pem)
  const keyFingerprint = `sha256:${toHex(publicKeyFingerprint(key))}`
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) return { type: 'publicKey', keyFingerprint }
  return { type: 'certificate', keyFingerprint, ...certificateIdentity(new X509Certificate(pem).raw) }
}

function signerFromDer(rawBase64: string | undefined, certificate: boolean): EntrySigner {
  const der = rawBase64 === undefined ? undefined : fromBase64(rawBase64)
  if (!der) return fail('REKOR_BODY_INVALID', 'entry body names no readable key or certificate')
  const pem = toPem(certificate ? 'CERTIFICATE' : 'PUBLIC KEY', der)
  return signerFromBase64Pem(Buffer.from(pem).toString('base64'))
}

type V2Verifier = { publicKey?: { rawBytes?: string }; x509Certificate?: { rawBytes?: string } }
type V2Body = {
  apiVersion?: string
  kind?: string
  spec?: {
    hashedRekordV002?: {
      data?: { algorithm?: string; digest?: string }
      signature?: { content?: string; verifier?: V2Verifier }
    }
    dsseV002?: {
      payloadHash?: { algorithm?: string; digest?: string }
      signatures?: Array<{ content?: string; verifier?: V2Verifier }>
    }
  }
}

/** Rekor v2 (0.0.2) bodies: digests are base64 with protobuf hash names, verifiers DER. */
function v2RecordFields(body: V2Body): Pick<EntryRecordFields, 'artifactHash' | 'signature' | 'signer'> {
  const hashed = body.spec?.hashedRekordV002
  const dsse = body.spec?.dsseV002
  const hash = hashed?.data ?? dsse?.payloadHash
  const signature = hashed?.signature ?? dsse?.signatures?.[0]
  const algorithm = hashFromProtobufName(hash?.algorithm)
  const digest = hash?.digest === undefined ? undefined : fromBase64(hash.digest)
  if (!algorithm || !digest || typeof signature?.content !== 'string') {
    fail('REKOR_BODY_INVALID', `${body.kind ?? 'entry'} 0.0.2 body lacks a digest or a signature`)
  }
  const verifier = signature.verifier
  return {
    artifactHash: `${algorithm}:${toHex(digest)}`,
    signature: signature.content,
    signer: verifier?.x509Certificate
      ? signerFromDer(verifier.x509Certificate.rawBytes, true)
      : signerFromDer(verifier?.publicKey?.rawBytes, false),
  }
}

function parseV2Body(bodyBase64: string): V2Body | undefined {
  try {
    const json = JSON.parse(Buffer.from(fromBase64(bodyBase64) ?? []).toString('utf8')) as V2Body
    return json?.apiVersion === '0.0.2' && (json.kind === 'hashedrekord' || json.kind === 'dsse')
      ? json
      : undefined
  } catch {
    return undefined
  }
}

/**
 * Extracts what a server records about an entry: artifact hash, signature, signer identity (certificate SAN and
 * issuer, or key fingerprint), integrated time, global index and UUID. Takes Rekor v1 bodies and Rekor v2
 * (hashedrekord/dsse 0.0.2) bodies.
 * @throws RekorError `REKOR_BODY_INVALID` / `REKOR_KEY_INVALID`.
 */
export function entryFieldsForRecord(entry: LogEntry, parsedBody?: EntryBody): EntryRecordFields {
  const uuid = toHex(hashLeaf(fromBase64(entry.body)!))
  const common = { integratedTime: entry.integratedTime, logIndex: entry.logIndex, uuid }
  const v2 = parsedBody === undefined ? parseV2Body(entry.body) : undefined
  if (v2) return { ...common, ...v2RecordFields(v2) }
  const body = parsedBody ?? parseEntryBody(entry.body)
  if (body.kind === 'hashedrekord') {
    return {
      ...common,
      artifactHash: `${body.spec.data.hash.algorithm}:${body.spec.data.hash.value}`,
      signature: body.spec.signature.content,
      signer: signerFromBase64Pem(body.spec.signature.publicKey.content),
    }
  }
  if (body.kind === 'dsse') {
    const hash = body.spec.payloadHash
    if (!hash) fail('REKOR_BODY_INVALID', 'dsse body has no payloadHash', { field: 'spec.payloadHash' })
    return {
      ...common,
      artifactHash: `${hash.algorithm}:${hash.value}`,
      signature: body.spec.signatures[0]!.signature,
      signer: signerFromBase64Pem(body.spec.signatures[0]!.verifier),
    }
  }
  const hash = body.spec.content.payloadHash
  if (!hash)
    fail('REKOR_BODY_INVALID', 'intoto body has no payloadHash', { field: 'spec.content.payloadHash' })
  const first = body.spec.content.envelope.signatures[0]!
  const inner = fromBase64(first.sig)
  return {
    ...common,
    artifactHash: `${hash.algorithm}:${hash.value}`,
    signature: inner ? Buffer.from(inner).toString('utf8') : first.sig,
    signer: signerFromBase64Pem(first.publicKey),
  }
}
