import { createHash, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto'
import {
  bytesEqual,
  canonicalJson,
  deepFreeze,
  fromAnyBase64,
  fromBase64,
  fromHex,
  fromPem,
  preAuthEncoding,
  sha256,
  toBase64,
  toHex,
  toPem,
  utf8,
} from '@certus-trust/core'
import { DIGEST_LENGTH, type HashAlgorithm, verifyMessageSignature } from '@certus-trust/core/signing'
import * as z from 'zod'
import { fail, RekorError } from './errors.js'
import { readHashedRekordShape } from './hashed-rekord-shape.js'
import type { OwnSignatures } from './own-signatures.js'

/** hashedrekord v0.0.1 request, as `POST /api/v1/log/entries` takes it (also the stored body shape). */
export interface HashedRekordProposedEntry {
  apiVersion: '0.0.1'
  kind: 'hashedrekord'
  spec: {
    data: { hash: { algorithm: HashAlgorithm; value: string } }
    /** `content`: base64 signature; `publicKey.content`: base64 of a PEM public key or PEM certificate. */
    signature: { content: string; publicKey: { content: string } }
  }
}

/** dsse v0.0.1 request: the envelope travels as a JSON *string*; verifiers are base64 PEM keys or certificates. */
export interface DsseProposedEntry {
  apiVersion: '0.0.1'
  kind: 'dsse'
  spec: { proposedContent: { envelope: string; verifiers: string[] } }
}

/** A proposed entry for Rekor v1 (`{kind, apiVersion, spec}`). */
export type ProposedEntry = HashedRekordProposedEntry | DsseProposedEntry

const DIGEST_INPUT = /^(?:(sha256|sha384|sha512):)?([0-9a-fA-F]+)$/

/**
 * Parses `sha256:<hex>`, `sha384:<hex>`, `sha512:<hex>` or bare hex (algorithm from its length).
 * @throws RekorError `REKOR_INVALID_INPUT`.
 */
export function parseDigest(digest: string): { algorithm: HashAlgorithm; hex: string } {
  const match = typeof digest === 'string' ? DIGEST_INPUT.exec(digest) : null
  const hex = match?.[2]?.toLowerCase()
  const algorithm = (match?.[1] ??
    (hex?.length === 64
      ? 'sha256'
      : hex?.length === 96
        ? 'sha384'
        : hex?.length === 128
          ? 'sha512'
          : undefined)) as HashAlgorithm | undefined
  if (!hex || !algorithm || hex.length !== DIGEST_LENGTH[algorithm] * 2) {
    fail(
      'REKOR_INVALID_INPUT',
      'digest must be <sha256|sha384|sha512>:<hex> or bare hex of a matching length',
    )
  }
  return { algorithm, hex }
}

/** Re-encodes PEM the way Go's `pem.Encode` does (64-character lines, trailing newline), as Rekor stores it. */
export function normalizePem(pem: string): string {
  const block = fromPem(pem)
  if (!block) return fail('REKOR_INVALID_INPUT', 'expected PEM text')
  return toPem(block.label, block.der)
}

// Parsed keys by PEM text: a log or signer sees the same few keys over and over, and parsing (plus the point
// decoding the digest verifier caches per KeyObject) costs more than the signature check itself.
const keysByPem = new Map<string, KeyObject>()
const KEYS_BY_PEM_CAPACITY = 64

/** The public key inside PEM text that holds a public key or a certificate (cached by the text; keys are immutable). */
export function publicKeyFromPem(pem: string): KeyObject {
  const known = keysByPem.get(pem)
  if (known) return known
  try {
    const key = pem.includes('-----BEGIN CERTIFICATE-----')
      ? new X509Certificate(pem).publicKey
      : createPublicKey(pem)
    if (keysByPem.size >= KEYS_BY_PEM_CAPACITY) keysByPem.delete(keysByPem.keys().next().value!)
    keysByPem.set(pem, key)
    return key
  } catch (error) {
    throw new RekorError({
      code: 'REKOR_KEY_INVALID',
      message: 'could not read a public key or certificate from PEM',
      cause: error,
    })
  }
}

/**
 * Builds a hashedrekord v0.0.1 proposed entry from an artifact digest, its signature and either a PEM public key
 * or a PEM certificate.
 * @throws RekorError `REKOR_INVALID_INPUT`.
 */
export function buildHashedRekordProposedEntry(input: {
  digest: string
  signature: Uint8Array
  publicKeyPem?: string
  certificatePem?: string
}): HashedRekordProposedEntry {
  const { algorithm, hex } = parseDigest(input.digest)
  if (!(input.signature instanceof Uint8Array) || input.signature.length === 0) {
    fail('REKOR_INVALID_INPUT', 'signature must be non-empty bytes')
  }
  if ((input.publicKeyPem === undefined) === (input.certificatePem === undefined)) {
    fail('REKOR_INVALID_INPUT', 'give exactly one of publicKeyPem and certificatePem')
  }
  const pem = (input.publicKeyPem ?? input.certificatePem)!
  publicKeyFromPem(pem) // fail early on unusable key material rather than at the server
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm, value: hex } },
      signature: { content: toBase64(input.signature), publicKey: { content: toBase64(utf8(pem)) } },
    },
  }
}

// Schemas are built on first use (z.lazy): importing this module builds none (start-up of `certus`, issue 11).
const DsseEnvelopeSchema = z.lazy(() =>
  z.object({
    payload: z.string(),
    payloadType: z.string(),
    signatures: z.array(z.object({ sig: z.string(), keyid: z.string().optional() })).min(1),
  }),
)

/** A parsed DSSE envelope. */
export type DsseEnvelope = z.infer<typeof DsseEnvelopeSchema>

/** Parses DSSE envelope JSON text. @throws RekorError `REKOR_INVALID_INPUT`. */
export function parseDsseEnvelope(envelope: string): DsseEnvelope {
  let json: unknown
  try {
    json = JSON.parse(envelope)
  } catch (error) {
    throw new RekorError({ code: 'REKOR_INVALID_INPUT', message: 'DSSE envelope is not JSON', cause: error })
  }
  const parsed = DsseEnvelopeSchema.safeParse(json)
  if (!parsed.success) {
    throw new RekorError({
      code: 'REKOR_INVALID_INPUT',
      message: `DSSE envelope is malformed at ${issuePath(parsed.error)}`,
      cause: parsed.error,
    })
  }
  return parsed.data
}

/**
 * Builds a dsse v0.0.1 proposed entry from DSSE envelope JSON text and the PEM keys or certificates that verify it.
 * @throws RekorError `REKOR_INVALID_INPUT`.
 */
export function buildDsseProposedEntry(input: { envelope: string; verifiers: string[] }): DsseProposedEntry {
  parseDsseEnvelope(input.envelope)
  if (!Array.isArray(input.verifiers) || input.verifiers.length === 0)
    fail('REKOR_INVALID_INPUT', 'at least one verifier is needed')
  for (const pem of input.verifiers) publicKeyFromPem(pem)
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      proposedContent: {
        envelope: input.envelope,
        verifiers: input.verifiers.map((pem) => toBase64(utf8(pem))),
      },
    },
  }
}

// ---- Stored bodies ---------------------------------------------------------------------------------------------

const LOWER_HEX = /^[0-9a-f]+$/

const HexHash = z.lazy(() => z.object({ algorithm: z.string(), value: z.string().regex(LOWER_HEX) }))

/** @internal exported for the property test of {@link readHashedRekordShape} */
export const HashedRekordBodySchema = z.lazy(() =>
  z.object({
    apiVersion: z.literal('0.0.1'),
    kind: z.literal('hashedrekord'),
    spec: z.object({
      data: z.object({
        hash: z.object({
          algorithm: z.enum(['sha256', 'sha384', 'sha512']),
          value: z.string().regex(LOWER_HEX),
        }),
      }),
      signature: z.object({ content: z.string(), publicKey: z.object({ content: z.string() }) }),
    }),
  }),
)

const DsseBodySchema = z.lazy(() =>
  z.object({
    apiVersion: z.literal('0.0.1'),
    kind: z.literal('dsse'),
    spec: z.object({
      envelopeHash: HexHash.optional(),
      payloadHash: HexHash.optional(),
      signatures: z.array(z.object({ signature: z.string(), verifier: z.string() })).min(1),
    }),
  }),
)

const IntotoBodySchema = z.lazy(() =>
  z.object({
    apiVersion: z.literal('0.0.2'),
    kind: z.literal('intoto'),
    spec: z.object({
      content: z.object({
        envelope: z.object({
          payloadType: z.string().optional(),
          signatures: z.array(z.object({ sig: z.string(), publicKey: z.string().optional() })).min(1),
        }),
        hash: HexHash.optional(),
        payloadHash: HexHash.optional(),
      }),
    }),
  }),
)

/** A stored hashedrekord v0.0.1 body. */
export type HashedRekordBody = z.infer<typeof HashedRekordBodySchema>
/** A stored dsse v0.0.1 body. */
export type DsseBody = z.infer<typeof DsseBodySchema>
/** A stored intoto v0.0.2 body (older; still accepted by verifiers). */
export type IntotoBody = z.infer<typeof IntotoBodySchema>
/** A parsed, validated entry body. */
export type EntryBody = HashedRekordBody | DsseBody | IntotoBody

function issuePath(error: z.ZodError): string {
  const issue = error.issues[0]
  return issue ? `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}` : '(unknown)'
}

// One signing reads its entry's body three times (the signer's check of the log's answer, the bundle's tlog entry,
// the record's fields), so recent results are kept: deep-frozen, so that no caller can change another's copy, and
// keyed by the exact base64 text. A failed parse is never kept.
const RECENT_BODIES = 128
const recentBodies = new Map<string, EntryBody>()

/**
 * Decodes and validates a base64 entry body (hashedrekord 0.0.1, dsse 0.0.1 or intoto 0.0.2). The result is frozen.
 * @throws RekorError `REKOR_BODY_INVALID` naming the offending field.
 */
export function parseEntryBody(bodyBase64: string): EntryBody {
  const known = recentBodies.get(bodyBase64)
  if (known) return known
  const body = deepFreeze(decodeEntryBody(bodyBase64))
  if (recentBodies.size >= RECENT_BODIES) recentBodies.delete(recentBodies.keys().next().value as string)
  recentBodies.set(bodyBase64, body)
  return body
}

function decodeEntryBody(bodyBase64: string): EntryBody {
  const bytes = fromBase64(bodyBase64)
  if (!bytes) fail('REKOR_BODY_INVALID', 'entry body is not base64')
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch (error) {
    throw new RekorError({ code: 'REKOR_BODY_INVALID', message: 'entry body is not JSON', cause: error })
  }
  // The usual hashedrekord body skips zod (see readHashedRekordShape); the schema adds lower-case hex.
  const usual = readHashedRekordShape(json)
  if (usual && LOWER_HEX.test(usual.spec.data.hash.value)) return usual
  const kind = (json as { kind?: unknown } | null)?.kind
  const schema =
    kind === 'hashedrekord'
      ? HashedRekordBodySchema
      : kind === 'dsse'
        ? DsseBodySchema
        : kind === 'intoto'
          ? IntotoBodySchema
          : undefined
  if (!schema) fail('REKOR_BODY_INVALID', `unsupported entry kind ${JSON.stringify(kind)}`, { field: 'kind' })
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') ?? ''
    throw new RekorError({
      code: 'REKOR_BODY_INVALID',
      message: `entry body is invalid at ${issuePath(parsed.error)}`,
      details: { field },
      cause: parsed.error,
    })
  }
  return parsed.data as EntryBody
}

/** What an entry body is expected to record. Every given field is checked. */
export interface ExpectedEntryContent {
  /** Artifact digest (`sha256:<hex>` or hex). For dsse/intoto: the payload digest. */
  digest?: string
  /** The artifact (hashedrekord) or envelope (dsse) signature bytes. */
  signature?: Uint8Array
  /** PEM public key or certificate the body must name. */
  publicKeyOrCertPem?: string
  /** DSSE envelope JSON text: its payload hash and signatures must be in the body. */
  envelope?: string
}

// Throughput (issue 12): a signing service records one key, or a few, entry after entry. Each of the two PEM forms
// keeps its last decoding, so a check after the first decodes nothing. The DER is only ever compared, never handed out.
function keepingLast(
  decode: (text: string) => Uint8Array | undefined,
): (text: string) => Uint8Array | undefined {
  let last: { text: string; der: Uint8Array | undefined } | undefined
  return (text) => {
    if (last?.text !== text) last = { text, der: decode(text) }
    return last.der
  }
}

const pemDer = keepingLast((pem) => fromPem(pem)?.der)

const decodedPem = keepingLast((base64Pem) => {
  const bytes = fromBase64(base64Pem)
  return bytes ? fromPem(Buffer.from(bytes).toString('utf8'))?.der : undefined
})

function mismatch(message: string, field: string): never {
  return fail('REKOR_BODY_MISMATCH', `entry body does not match: ${message}`, { field })
}

/**
 * Checks that a parsed entry body records the given digest, signature, key/certificate and/or DSSE envelope.
 * Keys are compared by DER bytes (PEM re-wrapping is ignored). The dsse `envelopeHash` is not compared, because it
 * depends on the exact envelope text submitted (sigstore-js does not compare it either).
 * @throws RekorError `REKOR_BODY_MISMATCH` (details.field names what differs) or `REKOR_INVALID_INPUT`.
 */
export function verifyEntryBodyMatches(body: EntryBody, expected: ExpectedEntryContent): void {
  const envelope = expected.envelope === undefined ? undefined : parseDsseEnvelope(expected.envelope)
  const expectedDer =
    expected.publicKeyOrCertPem === undefined ? undefined : pemDer(expected.publicKeyOrCertPem)
  if (expected.publicKeyOrCertPem !== undefined && !expectedDer)
    fail('REKOR_INVALID_INPUT', 'publicKeyOrCertPem is not PEM')
  const payload = envelope ? fromAnyBase64(envelope.payload) : undefined
  if (envelope && !payload) fail('REKOR_INVALID_INPUT', 'DSSE payload is not base64')
  const envelopeSignatures = envelope?.signatures.map(
    (signature) => fromAnyBase64(signature.sig) ?? new Uint8Array(),
  )

  if (body.kind === 'hashedrekord') {
    const recordedDigest = fromHex(body.spec.data.hash.value)!
    const recordedSignature = fromBase64(body.spec.signature.content)
    if (expected.digest !== undefined) {
      const { algorithm, hex } = parseDigest(expected.digest)
      if (algorithm !== body.spec.data.hash.algorithm || hex !== body.spec.data.hash.value)
        mismatch('artifact digest differs', 'spec.data.hash')
    }
    if (
      expected.signature !== undefined &&
      (!recordedSignature || !bytesEqual(recordedSignature, expected.signature))
    ) {
      mismatch('signature differs', 'spec.signature.content')
    }
    if (expectedDer) {
      const recorded = decodedPem(body.spec.signature.publicKey.content)
      if (!recorded || !bytesEqual(recorded, expectedDer))
        mismatch('public key or certificate differs', 'spec.signature.publicKey')
    }
    if (envelope) {
      // DSSE recorded as hashedrekord (Rekor v2 style): digest = SHA-256(PAE), signature = the envelope signature.
      const pae = preAuthEncoding(envelope.payloadType, payload!)
      if (body.spec.data.hash.algorithm !== 'sha256' || !bytesEqual(recordedDigest, sha256(pae)))
        mismatch('digest is not SHA-256 of the DSSE PAE', 'spec.data.hash')
      if (
        !recordedSignature ||
        !envelopeSignatures!.some((signature) => bytesEqual(signature, recordedSignature))
      ) {
        mismatch('envelope signature differs', 'spec.signature.content')
      }
    }
    return
  }

  const recordedPayloadHash = body.kind === 'dsse' ? body.spec.payloadHash : body.spec.content.payloadHash
  const recordedSignatures =
    body.kind === 'dsse'
      ? body.spec.signatures.map(
          (signature) => fromBase64(signature.signature) ?? fromAnyBase64(signature.signature),
        )
      : body.spec.content.envelope.signatures.map((signature) => {
          // intoto 0.0.2 stores base64(base64(sig)).
          const inner = fromBase64(signature.sig)
          return inner ? fromAnyBase64(Buffer.from(inner).toString('utf8')) : undefined
        })
  const recordedKeys =
    body.kind === 'dsse'
      ? body.spec.signatures.map((signature) => decodedPem(signature.verifier))
      : body.spec.content.envelope.signatures.map((signature) =>
          signature.publicKey ? decodedPem(signature.publicKey) : undefined,
        )
  const hasSignature = (wanted: Uint8Array) =>
    recordedSignatures.some((recorded) => recorded !== undefined && bytesEqual(recorded, wanted))

  if (expected.digest !== undefined) {
    const { algorithm, hex } = parseDigest(expected.digest)
    if (
      !recordedPayloadHash ||
      recordedPayloadHash.algorithm !== algorithm ||
      recordedPayloadHash.value !== hex
    ) {
      mismatch('payload digest differs', 'payloadHash')
    }
  }
  if (expected.signature !== undefined && !hasSignature(expected.signature))
    mismatch('signature is not recorded', 'signatures')
  if (
    expectedDer &&
    !recordedKeys.some((recorded) => recorded !== undefined && bytesEqual(recorded, expectedDer))
  ) {
    mismatch('public key or certificate is not recorded', 'signatures.verifier')
  }
  if (envelope) {
    const payloadHash = toHex(sha256(payload!))
    if (recordedPayloadHash?.algorithm !== 'sha256' || recordedPayloadHash.value !== payloadHash) {
      mismatch('payload hash differs from the envelope payload', 'payloadHash')
    }
    if (
      envelopeSignatures!.length !== recordedSignatures.length ||
      !envelopeSignatures!.every(hasSignature)
    ) {
      mismatch('envelope signatures differ from the recorded ones', 'signatures')
    }
  }
}

/**
 * Verifies the signature an entry body carries with the key or certificate it carries:
 * hashedrekord over its recorded digest (prehash semantics; see core's `verifyDigestSignature`), or — when the
 * `artifact` is given, its digest matches and the key is Ed25519 — pure Ed25519 over the artifact. dsse needs the
 * envelope (`envelope`), whose every signature must verify over the PAE with one recorded verifier.
 * Asynchronous because the hashedrekord check loads the curve arithmetic (`@certus-trust/core/signature`, which
 * builds @noble/curves' curves as it loads) on first use only: a log that skips the check for its own process's
 * signatures (`OwnSignatures`), as a one-shot `certus sign` does, never loads it.
 * @throws RekorError `REKOR_SIGNATURE_INVALID`, `REKOR_BODY_MISMATCH` or `REKOR_INVALID_INPUT`.
 */
export async function verifyEntryBodySignature(
  body: EntryBody,
  options: { artifact?: Uint8Array; envelope?: string } = {},
): Promise<void> {
  if (body.kind === 'hashedrekord') {
    const pem = fromBase64(body.spec.signature.publicKey.content)
    const signature = fromBase64(body.spec.signature.content)
    if (!pem || !signature) fail('REKOR_SIGNATURE_INVALID', 'body signature or key is not base64')
    const key = publicKeyFromPem(Buffer.from(pem).toString('utf8'))
    const algorithm = body.spec.data.hash.algorithm
    const digest = fromHex(body.spec.data.hash.value)!
    if (options.artifact !== undefined) {
      const actual = new Uint8Array(createHash(algorithm).update(options.artifact).digest())
      if (!bytesEqual(actual, digest))
        mismatch('artifact digest differs from the recorded digest', 'spec.data.hash')
    }
    // With the artifact, node:crypto checks the signature over it (same outcome, far faster for ECDSA; pure
    // Ed25519 is accepted too).
    const message = options.artifact !== undefined ? { message: options.artifact } : {}
    const { verifyDigestSignature } = await import('@certus-trust/core/signature')
    if (!verifyDigestSignature(key, algorithm, digest, signature, message)) {
      fail(
        'REKOR_SIGNATURE_INVALID',
        'the recorded signature does not verify over the recorded digest with the recorded key',
      )
    }
    return
  }
  if (options.envelope === undefined)
    fail('REKOR_INVALID_INPUT', `verifying a ${body.kind} signature needs the DSSE envelope`)
  const envelope = parseDsseEnvelope(options.envelope)
  verifyEntryBodyMatches(body, { envelope: options.envelope })
  const payload = fromAnyBase64(envelope.payload)!
  const pae = preAuthEncoding(envelope.payloadType, payload)
  const keys =
    body.kind === 'dsse'
      ? body.spec.signatures.map((signature) => signature.verifier)
      : body.spec.content.envelope.signatures.flatMap((signature) =>
          signature.publicKey ? [signature.publicKey] : [],
        )
  const verifiers = keys.flatMap((encoded) => {
    const pem = fromBase64(encoded)
    try {
      return pem ? [publicKeyFromPem(Buffer.from(pem).toString('utf8'))] : []
    } catch {
      return []
    }
  })
  for (const signature of envelope.signatures) {
    const bytes = fromAnyBase64(signature.sig)
    if (!bytes || !verifiers.some((key) => verifyMessageSignature(key, pae, bytes))) {
      fail('REKOR_SIGNATURE_INVALID', 'a DSSE signature does not verify with any recorded verifier')
    }
  }
}

/**
 * Turns a proposed entry into the canonical body bytes a Rekor v1 log stores (RFC 8785 JSON, PEM re-encoded as Go
 * does, dsse signatures paired with the verifier that verifies them and sorted). Signatures are verified first, as
 * Rekor does; `artifact` allows a pure-Ed25519 hashedrekord signature over the artifact itself. Asynchronous for
 * the hashedrekord signature check (see {@link verifyEntryBodySignature}).
 * @throws RekorError `REKOR_INVALID_INPUT` (malformed) or `REKOR_SIGNATURE_INVALID`.
 */
export async function canonicalizeProposedEntry(
  entry: ProposedEntry,
  options: { artifact?: Uint8Array; ownSignatures?: OwnSignatures } = {},
): Promise<Uint8Array> {
  if (entry?.kind === 'hashedrekord' && entry.apiVersion === '0.0.1') {
    const pemBytes = fromBase64(entry.spec?.signature?.publicKey?.content ?? '')
    if (!pemBytes) fail('REKOR_INVALID_INPUT', 'hashedrekord publicKey.content is not base64')
    const pem = normalizePem(Buffer.from(pemBytes).toString('utf8'))
    const { algorithm, hex } = parseDigest(
      `${entry.spec.data?.hash?.algorithm}:${entry.spec.data?.hash?.value}`,
    )
    const body: HashedRekordBody = {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm, value: hex } },
        signature: { content: entry.spec.signature.content, publicKey: { content: toBase64(utf8(pem)) } },
      },
    }
    // The body is built from checked parts (parseDigest's algorithm and lower-case hex, the re-encoded key): only
    // the signature text comes through as given, so it is the one thing left to check (no schema pass needed).
    const signatureText: unknown = body.spec.signature.content
    if (typeof signatureText !== 'string' || !fromBase64(signatureText))
      fail('REKOR_INVALID_INPUT', 'hashedrekord entry is malformed')
    // A signature this process has just made with its own key (recorded in the ledger the log was opened with, and
    // handed over by its own signer) needs no second check; everything else is verified.
    const own =
      options.artifact === undefined &&
      options.ownSignatures?.take(algorithm, hex, body.spec.signature.content, pem) === true
    if (!own) await verifyEntryBodySignature(body, options.artifact ? { artifact: options.artifact } : {})
    return utf8(canonicalJson(body))
  }
  if (entry?.kind === 'dsse' && entry.apiVersion === '0.0.1') {
    const text = entry.spec?.proposedContent?.envelope
    const verifierPems = entry.spec?.proposedContent?.verifiers
    if (typeof text !== 'string' || !Array.isArray(verifierPems) || verifierPems.length === 0) {
      fail('REKOR_INVALID_INPUT', 'dsse entry needs proposedContent.envelope and verifiers')
    }
    const envelope = parseDsseEnvelope(text)
    const payload = fromAnyBase64(envelope.payload)
    if (!payload) fail('REKOR_INVALID_INPUT', 'DSSE payload is not base64')
    const pae = preAuthEncoding(envelope.payloadType, payload)
    const verifiers = verifierPems.map((encoded) => {
      const bytes = fromBase64(encoded)
      if (!bytes) return fail('REKOR_INVALID_INPUT', 'a dsse verifier is not base64')
      const pem = normalizePem(Buffer.from(bytes).toString('utf8'))
      return { pem, key: publicKeyFromPem(pem) }
    })
    const signatures = envelope.signatures.map((signature) => {
      const bytes = fromAnyBase64(signature.sig)
      const verifier =
        bytes && verifiers.find((candidate) => verifyMessageSignature(candidate.key, pae, bytes))
      if (!verifier)
        return fail('REKOR_SIGNATURE_INVALID', 'a DSSE signature does not verify with any given verifier')
      return { signature: signature.sig, verifier: toBase64(utf8(verifier.pem)) }
    })
    signatures.sort((left, right) =>
      left.signature < right.signature ? -1 : left.signature > right.signature ? 1 : 0,
    )
    const body: DsseBody = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: toHex(sha256(utf8(text))) },
        payloadHash: { algorithm: 'sha256', value: toHex(sha256(payload)) },
        signatures,
      },
    }
    return utf8(canonicalJson(body))
  }
  return fail('REKOR_INVALID_INPUT', 'unsupported proposed entry: expected hashedrekord or dsse 0.0.1')
}
