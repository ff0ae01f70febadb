import { X509Certificate } from 'node:crypto'
import { bytesEqual, fromBase64, PROTOBUF_HASH_NAMES, sha256, toBase64 } from '@certus-trust/core'
import { DIGEST_LENGTH, type HashAlgorithm } from '@certus-trust/core/signing'
import * as z from 'zod'
import { type DsseEnvelope, parseDsseEnvelope } from './entry-body.js'
import { fail } from './errors.js'
import { KEY_DETAILS_HASH, keyDetailsFor, type PublicKeyDetails } from './key-details.js'
import { type PublicKeyInput, spkiDer } from './keys.js'

// Rekor v2 (rekor-tiles) request bodies and the entry bodies it logs, in protobuf JSON (bytes as base64).

/** A Rekor v2 verifier: the signer's SPKI public key or DER certificate, plus its key details. */
export interface RekorV2Verifier {
  publicKey?: { rawBytes: string }
  x509Certificate?: { rawBytes: string }
  keyDetails: PublicKeyDetails
}

/** `POST /api/v2/log/entries` body for a message signature. */
export interface HashedRekordRequestV002 {
  hashedRekordRequestV002: {
    /** base64 of the artifact digest (its length must match the key details' hash). */
    digest: string
    signature: { content: string; verifier: RekorV2Verifier }
  }
}

/** `POST /api/v2/log/entries` body for a DSSE envelope (deprecated upstream, still served). */
export interface DsseRequestV002 {
  dsseRequestV002: {
    envelope: { payload: string; payloadType: string; signatures: Array<{ sig: string; keyid: string }> }
    verifiers: RekorV2Verifier[]
  }
}

/** Either Rekor v2 create-entry request. */
export type RekorV2EntryRequest = HashedRekordRequestV002 | DsseRequestV002

/** The signer's key material for a Rekor v2 verifier: PEM certificate or PEM public key (or a KeyObject). */
export interface RekorV2VerifierInput {
  publicKey?: PublicKeyInput
  certificatePem?: string
  /** @default derived with keyDetailsFor() from the key and the hash that was signed */
  keyDetails?: PublicKeyDetails
}

function toVerifier(input: RekorV2VerifierInput, hash: HashAlgorithm): RekorV2Verifier {
  if ((input.publicKey === undefined) === (input.certificatePem === undefined)) {
    fail('REKOR_INVALID_INPUT', 'give exactly one of publicKey and certificatePem')
  }
  let material: Pick<RekorV2Verifier, 'publicKey' | 'x509Certificate'>
  let key: PublicKeyInput
  if (input.certificatePem !== undefined) {
    let certificate: X509Certificate
    try {
      certificate = new X509Certificate(input.certificatePem)
    } catch (error) {
      return fail('REKOR_KEY_INVALID', 'certificatePem is not a PEM certificate', undefined, error)
    }
    material = { x509Certificate: { rawBytes: certificate.raw.toString('base64') } }
    key = certificate.publicKey
  } else {
    key = input.publicKey!
    material = { publicKey: { rawBytes: toBase64(spkiDer(key)) } }
  }
  const keyDetails = input.keyDetails ?? keyDetailsFor(key, { hash })
  return { ...material, keyDetails }
}

/**
 * Builds a Rekor v2 `hashedRekordRequestV002` from a digest, its signature and the signer's key or certificate.
 * @example buildHashedRekordRequestV002({ digest: `sha256:${hex}`, signature, verifier: { publicKey: pem } })
 * @throws RekorError `REKOR_INVALID_INPUT` (bad digest, empty signature, digest length ≠ key details' hash),
 * `REKOR_KEY_INVALID`.
 */
export function buildHashedRekordRequestV002(input: {
  /** `<sha256|sha384|sha512>:<hex>` */
  digest: string
  signature: Uint8Array
  verifier: RekorV2VerifierInput
}): HashedRekordRequestV002 {
  const match = /^(sha256|sha384|sha512):([0-9a-f]+)$/.exec(String(input.digest))
  const algorithm = match?.[1] as HashAlgorithm | undefined
  if (!match || match[2]!.length !== DIGEST_LENGTH[algorithm!] * 2) {
    fail('REKOR_INVALID_INPUT', 'digest must be <sha256|sha384|sha512>:<lower-case hex of the right length>')
  }
  if (!(input.signature instanceof Uint8Array) || input.signature.length === 0) {
    fail('REKOR_INVALID_INPUT', 'signature must be non-empty bytes')
  }
  const verifier = toVerifier(input.verifier, algorithm!)
  const expected = KEY_DETAILS_HASH[verifier.keyDetails]
  if (expected !== undefined && expected !== algorithm) {
    fail(
      'REKOR_INVALID_INPUT',
      `key details ${verifier.keyDetails} sign ${expected} digests, not ${algorithm}`,
    )
  }
  return {
    hashedRekordRequestV002: {
      digest: Buffer.from(match[2]!, 'hex').toString('base64'),
      signature: { content: toBase64(input.signature), verifier },
    },
  }
}

/**
 * Builds a Rekor v2 `dsseRequestV002` from a DSSE envelope (JSON text or object) and its verifiers.
 * @throws RekorError `REKOR_INVALID_INPUT`, `REKOR_KEY_INVALID`.
 */
export function buildDsseRequestV002(input: {
  envelope: string | DsseEnvelope
  verifiers: RekorV2VerifierInput[]
}): DsseRequestV002 {
  const envelope =
    typeof input.envelope === 'string'
      ? parseDsseEnvelope(input.envelope)
      : parseDsseEnvelope(JSON.stringify(input.envelope))
  if (!Array.isArray(input.verifiers) || input.verifiers.length === 0) {
    fail('REKOR_INVALID_INPUT', 'a DSSE request needs at least one verifier')
  }
  return {
    dsseRequestV002: {
      envelope: {
        payload: envelope.payload,
        payloadType: envelope.payloadType,
        signatures: envelope.signatures.map((signature) => ({
          sig: signature.sig,
          keyid: signature.keyid ?? '',
        })),
      },
      verifiers: input.verifiers.map((verifier) => toVerifier(verifier, 'sha256')),
    },
  }
}

// Schemas are built on first use (z.lazy): importing this module builds none (start-up of `certus`, issue 11).
const Base64Bytes = z.lazy(() =>
  z
    .string()
    .refine((value) => fromBase64(value) !== undefined, 'not base64')
    .transform((value) => fromBase64(value)!),
)
const VerifierSchema = z.lazy(() =>
  z.object({
    publicKey: z.object({ rawBytes: Base64Bytes }).nullish(),
    x509Certificate: z.object({ rawBytes: Base64Bytes }).nullish(),
    keyDetails: z.string(),
  }),
)
const HashedRekordBodyV2Schema = z.lazy(() =>
  z.object({
    apiVersion: z.literal('0.0.2'),
    kind: z.literal('hashedrekord'),
    spec: z.object({
      hashedRekordV002: z.object({
        data: z.object({ algorithm: z.string(), digest: Base64Bytes }),
        signature: z.object({ content: Base64Bytes, verifier: VerifierSchema }),
      }),
    }),
  }),
)
const DsseBodyV2Schema = z.lazy(() =>
  z.object({
    apiVersion: z.literal('0.0.2'),
    kind: z.literal('dsse'),
    spec: z.object({
      dsseV002: z.object({
        payloadHash: z.object({ algorithm: z.string(), digest: Base64Bytes }),
        signatures: z.array(z.object({ content: Base64Bytes, verifier: VerifierSchema })).min(1),
      }),
    }),
  }),
)

function verifierBytes(verifier: z.infer<typeof VerifierSchema>): Uint8Array | undefined {
  return verifier.x509Certificate?.rawBytes ?? verifier.publicKey?.rawBytes ?? undefined
}

function requestVerifierBytes(verifier: RekorV2Verifier): Uint8Array {
  return fromBase64((verifier.x509Certificate ?? verifier.publicKey)!.rawBytes)!
}

/**
 * Checks that a logged Rekor v2 entry body (the canonicalized body bytes) records exactly what `request` sent:
 * digest and algorithm, signature, verifier and key details (hashedrekord), or payload hash and signatures (dsse).
 * @throws RekorError `REKOR_BODY_INVALID` (not a v0.0.2 body of the request's kind) or `REKOR_BODY_MISMATCH`.
 */
export function verifyV2BodyMatchesRequest(body: Uint8Array, request: RekorV2EntryRequest): void {
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(body).toString('utf8'))
  } catch (error) {
    fail('REKOR_BODY_INVALID', 'the logged body is not JSON', undefined, error)
  }
  const mismatch = (what: string) =>
    fail('REKOR_BODY_MISMATCH', `the logged body records a different ${what}`)
  if ('hashedRekordRequestV002' in request) {
    const parsed = HashedRekordBodyV2Schema.safeParse(json)
    if (!parsed.success) fail('REKOR_BODY_INVALID', 'the logged body is not a hashedrekord 0.0.2 body')
    const sent = request.hashedRekordRequestV002
    const logged = parsed.data.spec.hashedRekordV002
    const hash = KEY_DETAILS_HASH[sent.signature.verifier.keyDetails]
    if (hash !== undefined && logged.data.algorithm !== PROTOBUF_HASH_NAMES[hash])
      mismatch('digest algorithm')
    if (!bytesEqual(logged.data.digest, fromBase64(sent.digest)!)) mismatch('digest')
    if (!bytesEqual(logged.signature.content, fromBase64(sent.signature.content)!)) mismatch('signature')
    const verifier = verifierBytes(logged.signature.verifier)
    if (!verifier || !bytesEqual(verifier, requestVerifierBytes(sent.signature.verifier)))
      mismatch('verifier')
    if (logged.signature.verifier.keyDetails !== sent.signature.verifier.keyDetails) mismatch('key details')
    return
  }
  const parsed = DsseBodyV2Schema.safeParse(json)
  if (!parsed.success) fail('REKOR_BODY_INVALID', 'the logged body is not a dsse 0.0.2 body')
  const sent = request.dsseRequestV002
  const logged = parsed.data.spec.dsseV002
  const payloadHash = sha256(fromBase64(sent.envelope.payload) ?? new Uint8Array())
  if (logged.payloadHash.algorithm !== 'SHA2_256' || !bytesEqual(logged.payloadHash.digest, payloadHash)) {
    mismatch('payload hash')
  }
  const sentSignatures = sent.envelope.signatures.map((signature) => fromBase64(signature.sig))
  for (const signature of logged.signatures) {
    if (!sentSignatures.some((sig) => sig && bytesEqual(sig, signature.content))) mismatch('signature')
  }
  if (logged.signatures.length !== sentSignatures.length) mismatch('number of signatures')
}
