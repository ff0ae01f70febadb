import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto'
import {
  canonicalJson,
  fromAnyBase64,
  keyMatchesKeyDetails,
  PROTOBUF_HASH_NAMES,
  preAuthEncoding,
  toBase64,
  toHex,
} from '@certus-trust/core'
import { hashLeaf } from '@certus-trust/log-protocol'
import * as z from 'zod'
import { digestOf } from '../encoding.js'
import { certificateSearchKeys, publicKeySearchKey, type ValidatedEntry } from '../entry-validation.js'
import { fail } from '../errors.js'
import { type AcceptedKeyDetails, acceptedKeyDetails, KEY_DETAILS } from './key-details.js'

/**
 * Largest canonical v0.0.2 body: C2SP entry bundles prefix each entry with a 16-bit length, so a longer body could
 * never be served from the tiles.
 */
export const MAX_V2_BODY_BYTES = 65_535

// Schemas are built on first use (z.lazy): importing this module builds none (start-up of `certus`, issue 11).
const bytesField = z.lazy(() => z.string().min(1))

// protobuf-JSON (camelCase names, bytes as base64, enums by name) of rekor/v2 CreateEntryRequest. Unknown members
// are dropped, as grpc-gateway's unmarshaller does; nothing of them is stored.
const VerifierSchema = z.lazy(() =>
  z.object({
    keyDetails: z.enum(KEY_DETAILS),
    publicKey: z.object({ rawBytes: bytesField }).optional(),
    x509Certificate: z.object({ rawBytes: bytesField }).optional(),
  }),
)

const HashedRekordRequestSchema = z.lazy(() =>
  z.object({
    digest: bytesField,
    signature: z.object({ content: bytesField, verifier: VerifierSchema }),
  }),
)

const DsseRequestSchema = z.lazy(() =>
  z.object({
    envelope: z.object({
      payload: z.string(),
      payloadType: z.string().min(1),
      signatures: z
        .array(z.object({ sig: bytesField, keyid: z.string().optional() }))
        .min(1)
        .max(16),
    }),
    verifiers: z.array(VerifierSchema).min(1).max(16),
  }),
)

const CreateEntryRequestSchema = z.lazy(() =>
  z.object({
    hashedRekordRequestV002: HashedRekordRequestSchema.optional(),
    dsseRequestV002: DsseRequestSchema.optional(),
  }),
)

type VerifierJson = z.infer<typeof VerifierSchema>

/** A request verifier, checked: its key, its rule, and the canonical JSON the body stores. */
interface ParsedVerifier {
  key: KeyObject
  rule: AcceptedKeyDetails
  json: Record<string, unknown>
  searchKeys: string[]
}

function invalid(message: string, details?: Record<string, unknown>, cause?: unknown): never {
  return fail('TLOG_ENTRY_INVALID', `invalid request: ${message}`, details, cause)
}

function decode(value: string, field: string): Uint8Array {
  const bytes = fromAnyBase64(value)
  if (!bytes || bytes.length === 0) invalid(`${field} is not base64`, { field })
  return bytes
}

/** Reads a verifier: exactly one of publicKey (DER SPKI) or x509Certificate (DER), matching its keyDetails. */
function parseVerifier(verifier: VerifierJson, field: string): ParsedVerifier {
  const rule = acceptedKeyDetails(verifier.keyDetails)
  if ((verifier.publicKey === undefined) === (verifier.x509Certificate === undefined))
    invalid(`${field} needs exactly one of publicKey and x509Certificate`, { field })
  let key: KeyObject
  let json: Record<string, unknown>
  let searchKeys: string[] = []
  try {
    if (verifier.publicKey) {
      const der = decode(verifier.publicKey.rawBytes, `${field}.publicKey.rawBytes`)
      key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })
      const normalized = new Uint8Array(key.export({ type: 'spki', format: 'der' }))
      json = { keyDetails: verifier.keyDetails, publicKey: { rawBytes: toBase64(normalized) } }
    } else {
      const der = decode(verifier.x509Certificate!.rawBytes, `${field}.x509Certificate.rawBytes`)
      const certificate = new X509Certificate(Buffer.from(der))
      key = certificate.publicKey
      searchKeys = certificateSearchKeys(certificate)
      json = { keyDetails: verifier.keyDetails, x509Certificate: { rawBytes: toBase64(der) } }
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'TLOG_ENTRY_INVALID') throw error
    return invalid(`${field} is not a readable DER public key or certificate`, { field }, error)
  }
  if (!keyMatchesKeyDetails(key, rule)) {
    invalid(`${field}.keyDetails ${verifier.keyDetails} does not match the key`, {
      field: `${field}.keyDetails`,
      keyType: key.asymmetricKeyType,
    })
  }
  return { key, rule, json, searchKeys: [publicKeySearchKey(key), ...searchKeys] }
}

/** The canonical body bytes (RFC 8785 JSON of the protobuf-JSON `Entry`), within the entry-bundle limit. */
function finish(kind: 'hashedrekord' | 'dsse', spec: unknown, searchKeys: string[]): ValidatedEntry {
  const body = new TextEncoder().encode(canonicalJson({ apiVersion: '0.0.2', kind, spec }))
  if (body.length > MAX_V2_BODY_BYTES)
    invalid(`the entry is ${body.length} bytes; at most ${MAX_V2_BODY_BYTES} fit an entry bundle`)
  return { kind, apiVersion: '0.0.2', body, leafHash: hashLeaf(body), searchKeys: [...new Set(searchKeys)] }
}

/** core's digest-signature check, loaded with the first request (it builds @noble/curves' curves as it loads). */
type DigestVerifier = typeof import('@certus-trust/core/signature').verifyDigestSignature

function validateHashedRekord(
  request: z.infer<typeof HashedRekordRequestSchema>,
  verifyDigestSignature: DigestVerifier,
): ValidatedEntry {
  const verifier = parseVerifier(request.signature.verifier, 'hashedRekordRequestV002.signature.verifier')
  const { rule } = verifier
  if (!rule.digestSignatures) {
    invalid(`${request.signature.verifier.keyDetails} cannot sign a bare digest (use PKIX_ED25519_PH)`, {
      field: 'hashedRekordRequestV002.signature.verifier.keyDetails',
    })
  }
  const digest = decode(request.digest, 'hashedRekordRequestV002.digest')
  if (digest.length !== digestOf(rule.hash, '').length) {
    invalid(
      `the digest is ${digest.length} bytes, but ${request.signature.verifier.keyDetails} needs ${rule.hash}`,
      {
        field: 'hashedRekordRequestV002.digest',
      },
    )
  }
  const signature = decode(request.signature.content, 'hashedRekordRequestV002.signature.content')
  if (!verifyDigestSignature(verifier.key, rule.hash, digest, signature))
    fail('TLOG_SIGNATURE_INVALID', 'invalid request: the signature does not verify over the digest')
  const spec = {
    hashedRekordV002: {
      data: { algorithm: PROTOBUF_HASH_NAMES[rule.hash], digest: toBase64(digest) },
      signature: { content: toBase64(signature), verifier: verifier.json },
    },
  }
  return finish('hashedrekord', spec, [`${rule.hash}:${toHex(digest)}`, ...verifier.searchKeys])
}

function validateDsse(
  request: z.infer<typeof DsseRequestSchema>,
  verifyDigestSignature: DigestVerifier,
): ValidatedEntry {
  const { envelope } = request
  const payload = fromAnyBase64(envelope.payload)
  if (!payload) invalid('the envelope payload is not base64', { field: 'dsseRequestV002.envelope.payload' })
  const verifiers = request.verifiers.map((verifier, position) =>
    parseVerifier(verifier, `dsseRequestV002.verifiers[${position}]`),
  )
  const pae = preAuthEncoding(envelope.payloadType, payload)
  // Every envelope signature must verify with one of the verifiers; the body pairs each with the one that did.
  const signatures = envelope.signatures.map((entry, position) => {
    const signature = decode(entry.sig, `dsseRequestV002.envelope.signatures[${position}].sig`)
    const match = verifiers.find((verifier) =>
      verifyDigestSignature(verifier.key, verifier.rule.hash, digestOf(verifier.rule.hash, pae), signature, {
        message: pae,
      }),
    )
    if (!match) {
      fail(
        'TLOG_SIGNATURE_INVALID',
        `invalid request: envelope signature ${position} verifies with no verifier`,
      )
    }
    return { content: toBase64(signature), verifier: match.json }
  })
  const payloadHash = digestOf('sha256', payload)
  const spec = {
    dsseV002: {
      payloadHash: { algorithm: 'SHA2_256', digest: toBase64(payloadHash) },
      signatures,
    },
  }
  return finish('dsse', spec, [
    `sha256:${toHex(payloadHash)}`,
    ...verifiers.flatMap((verifier) => verifier.searchKeys),
  ])
}

/**
 * Validates a Rekor v2 `CreateEntryRequest` (protobuf-JSON: exactly one of `hashedRekordRequestV002` and
 * `dsseRequestV002`) as rekor-tiles does — key details must match the key (type, curve, modulus), the digest
 * length must match the key details' hash, every signature must verify — and returns the canonical v0.0.2 body.
 * Asynchronous: the signature checks load the curve arithmetic on first use.
 * @throws TlogError `TLOG_ENTRY_INVALID`, `TLOG_SIGNATURE_INVALID`.
 */
export async function validateRekorV2Request(input: unknown): Promise<ValidatedEntry> {
  const parsed = CreateEntryRequestSchema.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    invalid(
      `malformed CreateEntryRequest${issue ? `: ${issue.path.join('.') || 'body'} ${issue.message}` : ''}`,
    )
  }
  const { hashedRekordRequestV002: hashedRekord, dsseRequestV002: dsse } = parsed.data
  if ((hashedRekord === undefined) === (dsse === undefined))
    invalid('a CreateEntryRequest needs exactly one of hashedRekordRequestV002 and dsseRequestV002')
  const { verifyDigestSignature } = await import('@certus-trust/core/signature')
  return hashedRekord
    ? validateHashedRekord(hashedRekord, verifyDigestSignature)
    : validateDsse(dsse!, verifyDigestSignature)
}
