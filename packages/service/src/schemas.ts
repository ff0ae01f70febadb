import { isStorableText } from '@certus-trust/storage/backend'
import * as z from 'zod'

/*
 * The service's request and response shapes (the HTTP API's JSON, snake_case), as zod schemas: the server
 * validates requests with them (strict: unknown fields are an error) and generates `/openapi.json` from them, and
 * the service's types are inferred from them, so the types, the checks and the document cannot drift apart.
 */

const DIGEST_PATTERN = /^sha256:[0-9a-fA-F]{64}$/

/** `sha256:<64 hex>`, normalised to lower case. */
export const DigestSchema = z
  .string()
  .regex(DIGEST_PATTERN, { error: 'expected sha256:<64 hex digits>' })
  .transform((value) => value.toLowerCase())
  .meta({ description: 'SHA-256 digest of the artifact', example: `sha256:${'ab'.repeat(32)}` })

/** A signature as text: base64 (Sigstore's form) or hex (the production guide's clients). */
const SignatureTextSchema = z
  .string()
  .min(1)
  .max(64 * 1024, { error: 'too long for a signature (at most 65,536 characters)' })
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, { error: 'expected base64 or hex' })

/**
 * JSON that every backend can store as given (storage's `isStorableText` for every key and string). Checked
 * before signing, so nothing is published for a request that then fails.
 */
function isStorableJson(value: unknown, depth = 0): boolean {
  if (depth > 64) return false
  if (typeof value === 'string') return isStorableText(value)
  if (Array.isArray(value)) return value.every((item) => isStorableJson(item, depth + 1))
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).every(
      ([key, item]) => isStorableText(key) && isStorableJson(item, depth + 1),
    )
  return true
}

const STORABLE = { error: 'must not contain U+0000 or unpaired surrogates' }

const PemSchema = (label: string) =>
  z
    .string()
    .max(64 * 1024)
    .regex(new RegExp(`-----BEGIN ${label}-----[\\s\\S]+-----END ${label}-----`), {
      error: `expected a PEM ${label.toLowerCase()}`,
    })

const PublicKeyPemSchema = PemSchema('PUBLIC KEY').meta({ description: 'PEM (SPKI) public key' })
const CertificatePemSchema = PemSchema('CERTIFICATE').meta({ description: 'PEM X.509 certificate' })

/** A client-chosen key that makes a retried sign request return the first result instead of signing twice. */
const IdempotencyKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{8,128}$/, { error: 'expected 8–128 characters of [A-Za-z0-9._:-]' })

/** One in-toto predicate to attest instead of a plain message signature. */
export const PredicateSchema = z.strictObject({
  type: z
    .string()
    .min(1)
    .max(512)
    .refine(isStorableText, STORABLE)
    .meta({ description: 'predicate type URI', example: 'https://slsa.dev/provenance/v1' }),
  predicate: z
    .record(z.string(), z.unknown())
    .refine(isStorableJson, STORABLE)
    .meta({ description: 'the predicate JSON object' }),
})

/** `POST /v1/sign` request body. */
export const SignRequestSchema = z
  .strictObject({
    artifact: DigestSchema,
    artifact_type: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._/+-]{0,63}$/, { error: 'expected 1–64 lower-case characters [a-z0-9._/+-]' })
      .meta({ description: 'what the artifact is, e.g. sbom, container-image, binary', example: 'sbom' }),
    subject: z.string().min(1).max(512).refine(isStorableText, STORABLE).meta({
      description: 'human-readable name of the artifact (file name, image reference)',
      example: 'app.spdx.json',
    }),
    predicates: z
      .array(PredicateSchema)
      .min(1)
      .max(1, { error: 'one predicate per request: an in-toto statement carries exactly one predicate' })
      .optional()
      .meta({
        description: 'when present, an in-toto attestation (DSSE) is signed instead of a message signature',
      }),
    idempotency_key: IdempotencyKeySchema.optional(),
    signature_encoding: z.enum(['base64', 'hex']).optional().meta({
      description:
        "how the response's `signature` is written: base64 (default) or hex (the production guide's form)",
    }),
  })
  .meta({ id: 'SignRequest' })

const TransparencyRefSchema = z.object({
  uuid: z.string().meta({ description: 'Rekor entry ID (tree ID + leaf hash, hex)' }),
  index: z.number().int().meta({ description: 'global log index' }),
  timestamp: z.string().meta({ description: 'integrated time, ISO 8601' }),
})

/** `POST /v1/sign` response body. */
export const SignResponseSchema = z
  .object({
    entry_id: z
      .string()
      .meta({ description: 'transparency entry ID (or the record ID when transparency is off)' }),
    signature: z.string().meta({
      description:
        'message signature or DSSE envelope signature: base64, or hex when the request asked for signature_encoding hex',
    }),
    certificate: z.string().optional().meta({ description: 'PEM signing certificate (keyless)' }),
    public_key: z.string().optional().meta({ description: 'PEM public key (key-based signing)' }),
    transparency_entry: TransparencyRefSchema.optional(),
    bundle: z.record(z.string(), z.unknown()).meta({ description: 'Sigstore bundle v0.3 JSON' }),
  })
  .meta({ id: 'SignResponse' })

/**
 * Callers send identity patterns the verifier compiles; nested quantifiers such as `(a+)+` make backtracking
 * exponential (ReDoS), so quantified groups and backreferences are refused outright.
 */
function isSafeRegExp(pattern: string): boolean {
  if (/\)[*+?{]|\\[1-9]|\\k</.test(pattern)) return false
  try {
    new RegExp(pattern)
    return true
  } catch {
    return false
  }
}

/** Identity or key requirements for `/v1/verify`. */
export const VerifyPolicySchema = z.strictObject({
  certificate_identity: z.string().min(1).max(1024).optional(),
  certificate_identity_regexp: z
    .string()
    .min(1)
    .max(512)
    .refine(isSafeRegExp, {
      error: 'expected a valid regular expression without quantified groups or backreferences',
    })
    .optional(),
  certificate_oidc_issuer: z.string().min(1).max(1024).optional(),
  public_key: PublicKeyPemSchema.optional(),
})

/** `/v1/verify` with a bundle. */
export const VerifyBundleRequestSchema = z.strictObject({
  artifact: DigestSchema,
  bundle: z.record(z.string(), z.unknown()).meta({ description: 'Sigstore bundle JSON (v0.1–v0.3)' }),
  policy: VerifyPolicySchema.optional(),
})

/** `/v1/verify` with a bare signature. */
export const VerifySignatureRequestSchema = z
  .strictObject({
    artifact: DigestSchema,
    signature: SignatureTextSchema.meta({ description: 'signature over the artifact digest, base64 or hex' }),
    signature_encoding: z.enum(['auto', 'base64', 'hex']).optional().meta({
      description:
        'how `signature` is written. auto (default): every reading the text allows is tried — a signature verifies under at most one',
    }),
    certificate: CertificatePemSchema.optional(),
    public_key: PublicKeyPemSchema.optional(),
    policy: VerifyPolicySchema.optional(),
  })
  .superRefine((value, context) => {
    if (value.certificate && value.public_key) {
      context.addIssue({
        code: 'custom',
        path: ['public_key'],
        message: 'give certificate or public_key, not both',
      })
    }
  })

/** `POST /v1/verify` request body: a bundle, or a bare signature with a certificate or key. */
export const VerifyRequestSchema = z
  .union([VerifyBundleRequestSchema, VerifySignatureRequestSchema], {
    error:
      'expected { artifact, bundle, policy? } or { artifact, signature, public_key? | certificate?, policy? }',
  })
  .meta({ id: 'VerifyRequest' })

/** Picks the `/v1/verify` variant by its distinguishing field, so errors name the actual problem. */
export function verifyRequestSchemaFor(value: unknown): z.ZodType {
  if (typeof value === 'object' && value !== null && 'bundle' in value) return VerifyBundleRequestSchema
  if (typeof value === 'object' && value !== null && 'signature' in value) return VerifySignatureRequestSchema
  return VerifyRequestSchema
}

/** `POST /v1/verify` response body. `valid: false` comes with `failure`. */
export const VerifyResponseSchema = z
  .object({
    valid: z.boolean(),
    verified_at: z.string().meta({ description: 'ISO 8601 time of verification' }),
    signer: z.string().nullable().meta({ description: 'certificate identity or key fingerprint (sha256:…)' }),
    issuer: z.string().optional(),
    transparency_index: z.number().int().nullable(),
    certificate_chain: z.array(z.string()).optional().meta({
      description:
        'PEM certificates the verifier validated, leaf first up to the trusted root (certificate-signed bundles)',
    }),
    failure: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .meta({ id: 'VerifyResponse' })

/** An inclusion proof, checkable offline with `@certus-trust/rekor`'s `verifyInclusionProof`. */
export const ProofSchema = z.object({
  log_index: z.number().int().meta({ description: 'index of the leaf inside its tree (shard)' }),
  tree_size: z.number().int(),
  root_hash: z.string().meta({ description: 'hex' }),
  hashes: z.array(z.string()).meta({ description: 'hex, leaf to root' }),
  checkpoint: z.string().meta({ description: 'signed checkpoint note for tree_size' }),
})

/** `GET /v1/transparency/{entry_id}` response body. */
export const TransparencyEntrySchema = z
  .object({
    entry_id: z.string(),
    uuid: z.string().meta({ description: 'leaf hash, hex' }),
    artifact: z.string().nullable(),
    timestamp: z.string(),
    signer: z.string().nullable(),
    signature: z.string().nullable(),
    log_index: z.number().int(),
    kind: z.string(),
    body: z.string().meta({ description: 'base64 canonical entry body (the Merkle leaf)' }),
    signed_entry_timestamp: z.string().optional(),
    proof: ProofSchema.optional(),
  })
  .meta({ id: 'TransparencyEntry' })

/** `GET /v1/transparency?artifact=` response body. */
export const TransparencyListSchema = z
  .object({
    entries: z.array(TransparencyEntrySchema),
    next_cursor: z.string().optional(),
  })
  .meta({ id: 'TransparencyList' })
