import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto'
import { fromAnyBase64, fromBase64, toHex } from '@certus-trust/core'
import { hashLeaf, RekorError } from '@certus-trust/log-protocol'
import {
  canonicalizeProposedEntry,
  type HashedRekordShape,
  type OwnSignatures,
  type ProposedEntry,
  readHashedRekordShape,
} from '@certus-trust/log-protocol/entries'
import * as z from 'zod'
import { digestOf } from './encoding.js'
import { fail } from './errors.js'

const DIGEST_HEX_LENGTHS = { sha256: 64, sha384: 96, sha512: 128 } as const

/** Key types the log accepts in entries (what Rekor accepts, minus RSA below 2048 bits). */
function isSupportedEntryKey(key: KeyObject): boolean {
  if (key.asymmetricKeyType === 'ed25519') return true
  if (key.asymmetricKeyType === 'rsa') return (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048
  if (key.asymmetricKeyType === 'ec') {
    return ['prime256v1', 'secp384r1', 'secp521r1'].includes(key.asymmetricKeyDetails?.namedCurve ?? '')
  }
  return false
}

/** An entry that passed validation: the exact bytes the log stores and hashes. */
export interface ValidatedEntry {
  kind: 'hashedrekord' | 'dsse'
  /** `0.0.1` for Rekor v1 entries, `0.0.2` for Rekor v2's. */
  apiVersion: '0.0.1' | '0.0.2'
  /** RFC 8785 canonical body bytes (the leaf data). */
  body: Uint8Array
  /** SHA-256(0x00 ‖ body): the entry UUID. */
  leafHash: Uint8Array
  /** Lower-case search index keys (`sha256:<hex>`, `pubkey:sha256:<hex>`, `email:…`, `subject:…`). */
  searchKeys: string[]
}

/** Options of {@link validateProposedEntry}. */
export interface ValidateEntryOptions {
  /** The signed artifact, when the caller has it: enables pure-Ed25519 message signatures. */
  artifact?: Uint8Array
  /** The log's own-signature ledger, on the signer's internal path only (see `TransparencyLogOptions`). */
  ownSignatures?: OwnSignatures
}

// Schemas are built on first use (z.lazy): importing this module builds none (start-up of `certus`, issue 11).
const nonEmpty = z.lazy(() => z.string().min(1))

// Minimal, non-strict schemas: unknown members are dropped (as Rekor's generated models do), never stored.
/** @internal exported for the property test of the usual-shape path (readHashedRekordShape) */
export const HashedRekordSchema = z.lazy(() =>
  z.object({
    kind: z.literal('hashedrekord'),
    apiVersion: z.literal('0.0.1'),
    spec: z.object({
      data: z.object({
        hash: z.object({ algorithm: z.enum(['sha256', 'sha384', 'sha512']), value: nonEmpty }),
      }),
      signature: z.object({ content: nonEmpty, publicKey: z.object({ content: nonEmpty }) }),
    }),
  }),
)

const DsseSchema = z.lazy(() =>
  z.object({
    kind: z.literal('dsse'),
    apiVersion: z.literal('0.0.1'),
    spec: z.object({
      proposedContent: z.object({ envelope: nonEmpty, verifiers: z.array(nonEmpty).min(1).max(16) }),
    }),
  }),
)

const EnvelopeSchema = z.lazy(() =>
  z.object({
    payloadType: nonEmpty,
    payload: z.string(),
    signatures: z
      .array(z.object({ sig: nonEmpty, keyid: z.string().optional() }))
      .min(1)
      .max(16),
  }),
)

const KindSchema = z.lazy(() => z.object({ kind: z.string(), apiVersion: z.string() }))

interface ParsedKey {
  key: KeyObject
  /** Go-`pem`-style re-encoding of what was submitted (public key or certificate). */
  pem: string
  searchKeys: string[]
}

function invalid(message: string, details?: Record<string, unknown>, cause?: unknown): never {
  return fail('TLOG_ENTRY_INVALID', `error processing entry: ${message}`, details, cause)
}

function issuesOf(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }))
}

/** Search keys of a certificate's email and URI SANs. */
export function certificateSearchKeys(certificate: X509Certificate): string[] {
  const keys: string[] = []
  // Node renders SANs as "email:a@b, URI:https://…"; best effort, as Rekor's own index is.
  for (const part of (certificate.subjectAltName ?? '').split(', ')) {
    const separator = part.indexOf(':')
    if (separator < 0) continue
    const type = part.slice(0, separator)
    const value = part.slice(separator + 1).replace(/^"|"$/g, '')
    if (type === 'email') keys.push(`email:${value.toLowerCase()}`)
    if (type === 'URI') keys.push(`subject:${value.toLowerCase()}`)
  }
  return keys
}

/** Public-key search key: `pubkey:sha256:<hex of SHA-256(DER SPKI)>`. */
export function publicKeySearchKey(key: KeyObject): string {
  return `pubkey:sha256:${toHex(digestOf('sha256', key.export({ type: 'spki', format: 'der' })))}`
}

// Parsed key material by its base64 text: a log sees the same few keys over and over, and parsing, re-encoding
// and fingerprinting a key costs more than appending the entry. Only successful parses are kept.
const parsedKeys = new Map<string, ParsedKey>()
const PARSED_KEYS_CAPACITY = 64

/** Reads a base64-wrapped PEM public key or certificate, as hashedrekord and dsse carry them. */
export function parseKeyMaterial(base64Pem: string, field: string): ParsedKey {
  const known = parsedKeys.get(base64Pem)
  if (known) return known
  const parsed = parseKeyMaterialUncached(base64Pem, field)
  if (parsedKeys.size >= PARSED_KEYS_CAPACITY) parsedKeys.delete(parsedKeys.keys().next().value!)
  parsedKeys.set(base64Pem, parsed)
  return parsed
}

function parseKeyMaterialUncached(base64Pem: string, field: string): ParsedKey {
  const decoded = fromBase64(base64Pem)
  if (!decoded) invalid(`${field} is not valid base64`, { field })
  const text = Buffer.from(decoded).toString('utf8')
  let key: KeyObject
  let pem: string
  let searchKeys: string[] = []
  try {
    if (text.includes('-----BEGIN CERTIFICATE-----')) {
      const certificate = new X509Certificate(text)
      key = certificate.publicKey
      pem = certificate.toString()
      searchKeys = certificateSearchKeys(certificate)
    } else if (text.includes('-----BEGIN PUBLIC KEY-----')) {
      key = createPublicKey({ key: text, format: 'pem' })
      pem = key.export({ type: 'spki', format: 'pem' }).toString()
    } else {
      return invalid(`${field} must be base64 of a PEM public key or certificate`, { field })
    }
  } catch (error) {
    return invalid(`${field} is not a readable public key or certificate`, { field }, error)
  }
  if (!pem.endsWith('\n')) pem += '\n'
  if (!isSupportedEntryKey(key)) {
    fail(
      'TLOG_ENTRY_UNSUPPORTED',
      'error processing entry: unsupported key type (use ECDSA P-256/384/521, RSA ≥ 2048 or Ed25519)',
      {
        field,
        keyType: key.asymmetricKeyType,
      },
    )
  }
  return { key, pem, searchKeys: [publicKeySearchKey(key), ...searchKeys] }
}

async function canonicalize(input: unknown, options: ValidateEntryOptions): Promise<Uint8Array> {
  try {
    // One copy of Rekor's canonicalisation and signature rules, in @certus-trust/log-protocol.
    return await canonicalizeProposedEntry(input as ProposedEntry, {
      ...(options.artifact === undefined ? {} : { artifact: options.artifact }),
      ...(options.ownSignatures === undefined ? {} : { ownSignatures: options.ownSignatures }),
    })
  } catch (error) {
    if (RekorError.is(error, 'REKOR_SIGNATURE_INVALID')) {
      return fail('TLOG_SIGNATURE_INVALID', `error processing entry: ${error.message}`, undefined, error)
    }
    if (RekorError.is(error, 'REKOR_BODY_MISMATCH')) {
      return fail(
        'TLOG_ENTRY_INVALID',
        'error processing entry: the artifact does not match the entry digest',
        undefined,
        error,
      )
    }
    const message = RekorError.is(error) ? error.message : 'the entry could not be canonicalized'
    return fail('TLOG_ENTRY_INVALID', `error processing entry: ${message}`, undefined, error)
  }
}

function finish(kind: ValidatedEntry['kind'], body: Uint8Array, searchKeys: string[]): ValidatedEntry {
  return { kind, apiVersion: '0.0.1', body, leafHash: hashLeaf(body), searchKeys: [...new Set(searchKeys)] }
}

async function validateHashedRekord(input: unknown, options: ValidateEntryOptions): Promise<ValidatedEntry> {
  const parsed = HashedRekordSchema.safeParse(input)
  if (!parsed.success) invalid('malformed hashedrekord entry', { issues: issuesOf(parsed.error) })
  return validateHashedRekordFields(parsed.data, options)
}

/** The checks after the shape: digest length, signature encoding, key; then the canonical body. */
async function validateHashedRekordFields(
  entry: HashedRekordShape,
  options: ValidateEntryOptions,
): Promise<ValidatedEntry> {
  const { data, signature } = entry.spec
  const algorithm = data.hash.algorithm
  const hex = data.hash.value
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== DIGEST_HEX_LENGTHS[algorithm]) {
    invalid(`${algorithm} digest must be ${DIGEST_HEX_LENGTHS[algorithm]} hex characters`, {
      field: 'spec.data.hash.value',
    })
  }
  const signatureBytes = fromBase64(signature.content)
  if (!signatureBytes || signatureBytes.length === 0)
    invalid('signature content is not valid base64', { field: 'spec.signature.content' })
  const key = parseKeyMaterial(signature.publicKey.content, 'spec.signature.publicKey.content')
  const body = await canonicalize(entry, options)
  return finish('hashedrekord', body, [`${algorithm}:${hex.toLowerCase()}`, ...key.searchKeys])
}

function inTotoSubjectKeys(payloadType: string, payload: Uint8Array): string[] {
  if (payloadType !== 'application/vnd.in-toto+json') return []
  try {
    const statement = JSON.parse(Buffer.from(payload).toString('utf8')) as {
      subject?: Array<{ digest?: Record<string, unknown> }>
    }
    const keys: string[] = []
    for (const subject of Array.isArray(statement.subject) ? statement.subject.slice(0, 64) : []) {
      for (const algorithm of ['sha256', 'sha384', 'sha512'] as const) {
        const value = subject?.digest?.[algorithm]
        if (typeof value === 'string' && /^[0-9a-fA-F]+$/.test(value))
          keys.push(`${algorithm}:${value.toLowerCase()}`)
      }
    }
    return keys
  } catch {
    // An unparsable statement is still a valid DSSE entry; it just has no subject keys.
    return []
  }
}

async function validateDsse(input: unknown): Promise<ValidatedEntry> {
  const parsed = DsseSchema.safeParse(input)
  if (!parsed.success) invalid('malformed dsse entry', { issues: issuesOf(parsed.error) })
  const { envelope: envelopeText, verifiers } = parsed.data.spec.proposedContent
  let envelopeJson: unknown
  try {
    envelopeJson = JSON.parse(envelopeText)
  } catch (error) {
    return invalid('envelope is not JSON', { field: 'spec.proposedContent.envelope' }, error)
  }
  const envelope = EnvelopeSchema.safeParse(envelopeJson)
  if (!envelope.success) invalid('malformed DSSE envelope', { issues: issuesOf(envelope.error) })
  const payload = fromAnyBase64(envelope.data.payload)
  if (!payload) invalid('envelope payload is not base64', { field: 'payload' })
  const keys = verifiers.map((verifier, position) =>
    parseKeyMaterial(verifier, `spec.proposedContent.verifiers[${position}]`),
  )
  const body = await canonicalize(parsed.data, {})
  return finish('dsse', body, [
    `sha256:${toHex(digestOf('sha256', payload))}`,
    `sha256:${toHex(digestOf('sha256', envelopeText))}`,
    ...inTotoSubjectKeys(envelope.data.payloadType, payload),
    ...keys.flatMap((key) => key.searchKeys),
  ])
}

/**
 * Validates a proposed Rekor entry as Rekor does before accepting it and returns the canonical body to store.
 * Accepts hashedrekord 0.0.1 (signature over the digest; pure Ed25519 over `options.artifact` when given, else
 * Ed25519ph over a sha512 digest) and dsse 0.0.1 (every envelope signature must verify over the PAE with one of the
 * verifiers). Canonicalisation and signature checks are @certus-trust/log-protocol's `canonicalizeProposedEntry`;
 * asynchronous because a signature check over a bare digest loads the curve arithmetic on first use (a signature
 * taken from `options.ownSignatures` is not checked again, so that path never loads it).
 * @throws TlogError `TLOG_ENTRY_INVALID`, `TLOG_ENTRY_UNSUPPORTED`, `TLOG_SIGNATURE_INVALID`.
 */
export async function validateProposedEntry(
  input: unknown,
  options: ValidateEntryOptions = {},
): Promise<ValidatedEntry> {
  // The usual hashedrekord skips zod: readHashedRekordShape accepts only what HashedRekordSchema accepts.
  const usual = readHashedRekordShape(input)
  if (usual) return validateHashedRekordFields(usual, options)
  const header = KindSchema.safeParse(input)
  if (!header.success)
    invalid('a proposed entry needs string "kind" and "apiVersion"', { issues: issuesOf(header.error) })
  const { kind, apiVersion } = header.data
  if (kind === 'hashedrekord' && apiVersion === '0.0.1') return validateHashedRekord(input, options)
  if (kind === 'dsse' && apiVersion === '0.0.1') return validateDsse(input)
  return fail(
    'TLOG_ENTRY_UNSUPPORTED',
    `error processing entry: unsupported entry type ${kind} ${apiVersion}`,
    {
      kind,
      apiVersion,
    },
  )
}
