import { X509Certificate } from 'node:crypto'
import { hashFromProtobufName } from '@certus-trust/core'
import { z } from 'zod'
import { fromBase64, fromHex, sha256, toBase64, toHex } from './encoding.js'
import { type EntryBody, parseEntryBody, publicKeyFromPem } from './entry-body.js'
import { fail, RekorError } from './errors.js'
import type { LogEntry } from './log-entry.js'
import { hashLeaf } from './merkle.js'
import { certificateIdentity } from './x509-identity.js'

/** Sigstore bundle v0.3 `TransparencyLogEntry` in proto3 JSON (int64 as strings, bytes as base64). */
export interface TransparencyLogEntryJson {
  logIndex: string
  logId: { keyId: string }
  kindVersion: { kind: string; version: string }
  integratedTime: string
  inclusionPromise?: { signedEntryTimestamp: string }
  inclusionProof?: {
    logIndex: string
    rootHash: string
    treeSize: string
    hashes: string[]
    checkpoint: { envelope: string }
  }
  canonicalizedBody: string
}

function hexToBase64(hex: string, field: string): string {
  const bytes = fromHex(hex)
  if (!bytes) fail('REKOR_ENTRY_INVALID', `${field} is not hex`, { field })
  return toBase64(bytes)
}

/**
 * Converts a Rekor v1 entry to the Sigstore bundle v0.3 `TransparencyLogEntry` JSON. `kindVersion` comes from the
 * parsed body.
 * @throws RekorError `REKOR_BODY_INVALID` or `REKOR_ENTRY_INVALID`.
 */
export function toBundleTransparencyLogEntry(entry: LogEntry): TransparencyLogEntryJson {
  const body = parseEntryBody(entry.body)
  const result: TransparencyLogEntryJson = {
    logIndex: String(entry.logIndex),
    logId: { keyId: hexToBase64(entry.logID, 'logID') },
    kindVersion: { kind: body.kind, version: body.apiVersion },
    integratedTime: String(entry.integratedTime),
    canonicalizedBody: entry.body,
  }
  const set = entry.verification?.signedEntryTimestamp
  if (set !== undefined) result.inclusionPromise = { signedEntryTimestamp: set }
  const proof = entry.verification?.inclusionProof
  if (proof) {
    result.inclusionProof = {
      logIndex: String(proof.logIndex),
      rootHash: hexToBase64(proof.rootHash, 'inclusionProof.rootHash'),
      treeSize: String(proof.treeSize),
      hashes: proof.hashes.map((hash, index) => hexToBase64(hash, `inclusionProof.hashes.${index}`)),
      checkpoint: { envelope: proof.checkpoint },
    }
  }
  return result
}

const Int64String = z
  .union([z.string().regex(/^(?:0|[1-9][0-9]*)$/), z.number().int().nonnegative()])
  .transform(Number)
  .pipe(z.number().refine(Number.isSafeInteger, 'exceeds 2^53'))
const Base64String = z.string().refine((value) => fromBase64(value) !== undefined, 'not base64')

const BundleEntrySchema = z.object({
  logIndex: Int64String,
  logId: z.object({ keyId: Base64String }),
  kindVersion: z.object({ kind: z.string(), version: z.string() }).optional(),
  integratedTime: Int64String,
  inclusionPromise: z.object({ signedEntryTimestamp: Base64String }).nullish(),
  inclusionProof: z
    .object({
      logIndex: Int64String,
      rootHash: Base64String,
      treeSize: Int64String,
      hashes: z.array(Base64String),
      checkpoint: z.object({ envelope: z.string() }),
    })
    .nullish(),
  canonicalizedBody: Base64String,
})

/**
 * Converts a bundle `TransparencyLogEntry` (JSON) back into a Rekor v1 {@link LogEntry}. `uuid` becomes the
 * 64-hex leaf hash of the canonicalized body.
 * @throws RekorError `REKOR_ENTRY_INVALID` naming the field.
 */
export function fromBundleTransparencyLogEntry(json: unknown): LogEntry {
  const parsed = BundleEntrySchema.safeParse(json)
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') ?? ''
    throw new RekorError({
      code: 'REKOR_ENTRY_INVALID',
      message: `bundle tlog entry is invalid at ${field || '(root)'}`,
      details: { field },
      cause: parsed.error,
    })
  }
  const value = parsed.data
  const hex = (b64: string) => toHex(fromBase64(b64)!)
  const entry: LogEntry = {
    uuid: toHex(hashLeaf(fromBase64(value.canonicalizedBody)!)),
    body: value.canonicalizedBody,
    integratedTime: value.integratedTime,
    logID: hex(value.logId.keyId),
    logIndex: value.logIndex,
  }
  const verification: NonNullable<LogEntry['verification']> = {}
  if (value.inclusionPromise) verification.signedEntryTimestamp = value.inclusionPromise.signedEntryTimestamp
  if (value.inclusionProof) {
    verification.inclusionProof = {
      logIndex: value.inclusionProof.logIndex,
      rootHash: hex(value.inclusionProof.rootHash),
      treeSize: value.inclusionProof.treeSize,
      hashes: value.inclusionProof.hashes.map(hex),
      checkpoint: value.inclusionProof.checkpoint.envelope,
    }
  }
  if (verification.signedEntryTimestamp !== undefined || verification.inclusionProof)
    entry.verification = verification
  return entry
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
  const key = publicKeyFromPem(pem)
  const keyFingerprint = `sha256:${toHex(sha256(new Uint8Array(key.export({ type: 'spki', format: 'der' }))))}`
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) return { type: 'publicKey', keyFingerprint }
  return { type: 'certificate', keyFingerprint, ...certificateIdentity(new X509Certificate(pem).raw) }
}

function signerFromDer(rawBase64: string | undefined, certificate: boolean): EntrySigner {
  const der = rawBase64 === undefined ? undefined : fromBase64(rawBase64)
  if (!der) return fail('REKOR_BODY_INVALID', 'entry body names no readable key or certificate')
  const body = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
  const label = certificate ? 'CERTIFICATE' : 'PUBLIC KEY'
  return signerFromBase64Pem(
    Buffer.from(`-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`).toString('base64'),
  )
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
