import { hashFromProtobufName } from '@certus-trust/core'
import { type ParsedCertificate, parseCertificate } from '@certus-trust/core/x509'
import { decodeBase64 } from './encoding.js'
import { fail, VerifierError } from './errors.js'
import { viaX509 } from './x509.js'

/** Bundle versions we verify. */
export type BundleVersion = '0.1' | '0.2' | '0.3'

/** One transparency log entry, decoded from the bundle's proto3 JSON. */
export interface TlogEntry {
  logIndex: bigint
  logId: Buffer
  kind: string
  version: string
  /** Unix seconds; 0 when absent (Rekor v2 entries carry none). */
  integratedTime: number
  signedEntryTimestamp?: Buffer
  inclusionProof?: InclusionProof
  canonicalizedBody: Buffer
}

export interface InclusionProof {
  logIndex: bigint
  rootHash: Buffer
  treeSize: bigint
  hashes: Buffer[]
  checkpoint: string
}

export type BundleContent =
  | { kind: 'message'; digestAlgorithm: string; digest: Buffer; signature: Buffer }
  | { kind: 'dsse'; payloadType: string; payload: Buffer; signature: Buffer }

export type BundleMaterial =
  | { kind: 'certificate'; certificate: ParsedCertificate; chain: ParsedCertificate[] }
  | { kind: 'publicKey'; hint: string }

/** A bundle after structural validation: every byte field decoded, every certificate parsed. */
export interface ParsedBundle {
  mediaType: string
  version: BundleVersion
  material: BundleMaterial
  tlogEntries: TlogEntry[]
  rfc3161Timestamps: Buffer[]
  content: BundleContent
}

const MEDIA_TYPES: Record<string, BundleVersion> = {
  'application/vnd.dev.sigstore.bundle+json;version=0.1': '0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2': '0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3': '0.3',
  'application/vnd.dev.sigstore.bundle.v0.1+json': '0.1',
  'application/vnd.dev.sigstore.bundle.v0.2+json': '0.2',
  'application/vnd.dev.sigstore.bundle.v0.3+json': '0.3',
}

/** Most log entries a bundle may carry. */
export const MAX_TLOG_ENTRIES = 32
/** Most RFC 3161 timestamps a bundle may carry. */
export const MAX_TIMESTAMPS = 16

type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function object(value: unknown, field: string): Json {
  if (!isObject(value)) fail('VERIFIER_MALFORMED_BUNDLE', `${field} must be an object`)
  return value
}

function array(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) fail('VERIFIER_MALFORMED_BUNDLE', `${field} must be an array`)
  return value
}

function string(value: unknown, field: string): string {
  if (typeof value !== 'string') fail('VERIFIER_MALFORMED_BUNDLE', `${field} must be a string`)
  return value
}

/** proto3 JSON int64: a decimal string (or a safe JSON integer), never negative here. */
// Protobuf JSON leaves out fields at their default value: a log index of 0 arrives as no field at all (upstream's
// bundleToJSON writes entry 0 of a log that way), so for indexes absence means zero.
function indexOrZero(value: unknown, field: string): bigint {
  return value === undefined ? 0n : uint64(value, field)
}

function uint64(value: unknown, field: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value)
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value)
  return fail('VERIFIER_MALFORMED_BUNDLE', `${field} must be a non-negative integer`)
}

function certificate(value: unknown, field: string): ParsedCertificate {
  const raw = decodeBase64(object(value, field).rawBytes, `${field}.rawBytes`)
  return viaX509('bundle', `${field} is not a valid certificate`, () => parseCertificate(raw))
}

/**
 * Parses bundle JSON (text, bytes or an already-parsed object) into a {@link ParsedBundle}.
 * @throws VerifierError `VERIFIER_MALFORMED_BUNDLE` or `VERIFIER_UNSUPPORTED_BUNDLE`; `VERIFIER_UNTRUSTED_CHAIN`
 * for a certificate that decodes but breaks an RFC 5280 encoding rule (`details.x509Code` names it).
 */
export function parseBundle(input: unknown): ParsedBundle {
  try {
    return parseBundleUnchecked(input)
  } catch (error) {
    if (VerifierError.is(error)) throw error
    // Anything else (a RangeError from a pathological value) is still a malformed bundle, never a crash.
    return fail('VERIFIER_MALFORMED_BUNDLE', 'bundle could not be parsed', error)
  }
}

function parseBundleUnchecked(input: unknown): ParsedBundle {
  let json: unknown = input
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8')
    try {
      json = JSON.parse(text)
    } catch (error) {
      fail('VERIFIER_MALFORMED_BUNDLE', 'bundle is not valid JSON', error)
    }
  }
  const bundle = object(json, 'bundle')
  const mediaType = string(bundle.mediaType, 'mediaType')
  const version = MEDIA_TYPES[mediaType]
  if (!version)
    fail(
      'VERIFIER_UNSUPPORTED_BUNDLE',
      `unsupported bundle media type ${JSON.stringify(mediaType.slice(0, 100))}`,
    )

  const material = object(bundle.verificationMaterial, 'verificationMaterial')
  let parsedMaterial: BundleMaterial
  const materialKinds = ['x509CertificateChain', 'certificate', 'publicKey'].filter(
    (key) => material[key] !== undefined,
  )
  if (materialKinds.length !== 1) {
    fail(
      'VERIFIER_MALFORMED_BUNDLE',
      'verificationMaterial must hold exactly one of x509CertificateChain, certificate, publicKey',
    )
  }
  if (material.x509CertificateChain !== undefined) {
    if (version === '0.3')
      fail('VERIFIER_MALFORMED_BUNDLE', 'v0.3 bundles must use certificate, not x509CertificateChain')
    const certificates = array(
      object(material.x509CertificateChain, 'x509CertificateChain').certificates,
      'x509CertificateChain.certificates',
    )
    if (certificates.length === 0) fail('VERIFIER_MALFORMED_BUNDLE', 'x509CertificateChain is empty')
    if (certificates.length > 10)
      fail('VERIFIER_MALFORMED_BUNDLE', 'x509CertificateChain is longer than 10 certificates')
    const parsed = certificates.map((item, index) =>
      certificate(item, `x509CertificateChain.certificates[${index}]`),
    )
    parsedMaterial = { kind: 'certificate', certificate: parsed[0]!, chain: parsed.slice(1) }
  } else if (material.certificate !== undefined) {
    parsedMaterial = {
      kind: 'certificate',
      certificate: certificate(material.certificate, 'certificate'),
      chain: [],
    }
  } else {
    const publicKey = object(material.publicKey, 'publicKey')
    parsedMaterial = { kind: 'publicKey', hint: typeof publicKey.hint === 'string' ? publicKey.hint : '' }
  }

  const rawEntries = array(material.tlogEntries ?? [], 'tlogEntries')
  // Limits keep a hostile bundle from asking for unbounded signature checks.
  if (rawEntries.length > MAX_TLOG_ENTRIES)
    fail('VERIFIER_MALFORMED_BUNDLE', `more than ${MAX_TLOG_ENTRIES} transparency log entries`)
  const tlogEntries = rawEntries.map((item, index) => parseTlogEntry(item, `tlogEntries[${index}]`, version))

  const rfc3161Timestamps: Buffer[] = []
  if (material.timestampVerificationData !== undefined && material.timestampVerificationData !== null) {
    const data = object(material.timestampVerificationData, 'timestampVerificationData')
    const tokens = array(data.rfc3161Timestamps ?? [], 'rfc3161Timestamps')
    if (tokens.length > MAX_TIMESTAMPS)
      fail('VERIFIER_MALFORMED_BUNDLE', `more than ${MAX_TIMESTAMPS} RFC 3161 timestamps`)
    for (const [index, item] of tokens.entries()) {
      rfc3161Timestamps.push(
        decodeBase64(object(item, 'rfc3161Timestamp').signedTimestamp, `rfc3161Timestamps[${index}]`),
      )
    }
  }

  let parsedContent: BundleContent
  if ((bundle.messageSignature === undefined) === (bundle.dsseEnvelope === undefined)) {
    fail('VERIFIER_MALFORMED_BUNDLE', 'bundle must hold exactly one of messageSignature, dsseEnvelope')
  }
  if (bundle.messageSignature !== undefined) {
    const message = object(bundle.messageSignature, 'messageSignature')
    const signature = decodeBase64(message.signature, 'messageSignature.signature')
    if (signature.length === 0) fail('VERIFIER_MALFORMED_BUNDLE', 'messageSignature.signature is empty')
    // messageDigest is required (as in sigstore-js): it names the hash the signature and the log entry are over.
    if (message.messageDigest === undefined || message.messageDigest === null)
      fail('VERIFIER_MALFORMED_BUNDLE', 'messageSignature.messageDigest is missing')
    const digest = object(message.messageDigest, 'messageSignature.messageDigest')
    const algorithm = string(digest.algorithm, 'messageSignature.messageDigest.algorithm')
    if (hashFromProtobufName(algorithm) === undefined)
      fail('VERIFIER_MALFORMED_BUNDLE', `unsupported digest algorithm ${algorithm.slice(0, 40)}`)
    const digestBytes = decodeBase64(digest.digest, 'messageSignature.messageDigest.digest')
    if (digestBytes.length === 0)
      fail('VERIFIER_MALFORMED_BUNDLE', 'messageSignature.messageDigest.digest is empty')
    parsedContent = { kind: 'message', signature, digestAlgorithm: algorithm, digest: digestBytes }
  } else {
    const envelope = object(bundle.dsseEnvelope, 'dsseEnvelope')
    const signatures = array(envelope.signatures, 'dsseEnvelope.signatures')
    if (signatures.length !== 1)
      fail('VERIFIER_MALFORMED_BUNDLE', 'dsseEnvelope must carry exactly one signature')
    const signature = decodeBase64(
      object(signatures[0], 'dsseEnvelope.signatures[0]').sig,
      'dsseEnvelope.signatures[0].sig',
    )
    if (signature.length === 0) fail('VERIFIER_MALFORMED_BUNDLE', 'DSSE signature is empty')
    parsedContent = {
      kind: 'dsse',
      payloadType: string(envelope.payloadType, 'dsseEnvelope.payloadType'),
      payload: decodeBase64(envelope.payload, 'dsseEnvelope.payload'),
      signature,
    }
  }
  return {
    mediaType,
    version,
    material: parsedMaterial,
    tlogEntries,
    rfc3161Timestamps,
    content: parsedContent,
  }
}

function parseTlogEntry(value: unknown, field: string, version: BundleVersion): TlogEntry {
  const entry = object(value, field)
  const kindVersion = object(entry.kindVersion, `${field}.kindVersion`)
  const parsed: TlogEntry = {
    logIndex: indexOrZero(entry.logIndex, `${field}.logIndex`),
    logId: decodeBase64(object(entry.logId, `${field}.logId`).keyId, `${field}.logId.keyId`),
    kind: string(kindVersion.kind, `${field}.kindVersion.kind`),
    version: string(kindVersion.version, `${field}.kindVersion.version`),
    integratedTime:
      entry.integratedTime === undefined
        ? 0
        : Number(uint64(entry.integratedTime, `${field}.integratedTime`)),
    canonicalizedBody: decodeBase64(entry.canonicalizedBody, `${field}.canonicalizedBody`),
  }
  if (parsed.logId.length === 0) fail('VERIFIER_MALFORMED_BUNDLE', `${field}.logId is empty`)
  if (entry.inclusionPromise !== undefined && entry.inclusionPromise !== null) {
    const promise = object(entry.inclusionPromise, `${field}.inclusionPromise`)
    parsed.signedEntryTimestamp = decodeBase64(
      promise.signedEntryTimestamp,
      `${field}.inclusionPromise.signedEntryTimestamp`,
    )
  }
  if (entry.inclusionProof !== undefined && entry.inclusionProof !== null) {
    const proof = object(entry.inclusionProof, `${field}.inclusionProof`)
    const checkpoint =
      proof.checkpoint === undefined
        ? undefined
        : object(proof.checkpoint, `${field}.inclusionProof.checkpoint`)
    // checkpoint is REQUIRED in an InclusionProof (protobuf-specs), v0.1 included: a proof without a signed root
    // proves nothing. A v0.1 entry vouched for by its SET alone leaves the whole inclusionProof out.
    if (!checkpoint)
      fail(
        'VERIFIER_MALFORMED_BUNDLE',
        `${field}.inclusionProof lacks a checkpoint (required in every inclusion proof; a v0.1 entry with only a signed entry timestamp omits inclusionProof)`,
      )
    parsed.inclusionProof = {
      logIndex: indexOrZero(proof.logIndex, `${field}.inclusionProof.logIndex`),
      rootHash: decodeBase64(proof.rootHash, `${field}.inclusionProof.rootHash`),
      treeSize: uint64(proof.treeSize, `${field}.inclusionProof.treeSize`),
      hashes: array(proof.hashes ?? [], `${field}.inclusionProof.hashes`).map((hash, index) =>
        decodeBase64(hash, `${field}.inclusionProof.hashes[${index}]`),
      ),
      checkpoint: string(checkpoint.envelope, `${field}.inclusionProof.checkpoint.envelope`),
    }
  } else if (version !== '0.1') {
    // From v0.2 on, an inclusion proof is mandatory (a SET alone is not enough).
    fail('VERIFIER_MALFORMED_BUNDLE', `${field} lacks the inclusion proof a v${version} bundle requires`)
  }
  if (version === '0.1' && !parsed.signedEntryTimestamp) {
    fail('VERIFIER_MALFORMED_BUNDLE', `${field} lacks the inclusion promise a v0.1 bundle requires`)
  }
  return parsed
}
