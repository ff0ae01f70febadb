import { fromBase64 } from '@certus-trust/core'
import {
  children,
  content,
  DerError,
  type DerNode,
  decodeOid,
  encoding,
  readNode,
} from '@certus-trust/core/der'
import * as z from 'zod'
import { fail } from '../errors.js'
import { TIMESTAMP_HASHES, type TimestampHashAlgorithm, timestampHashByOid } from './oids.js'

/** Largest DER TimeStampReq the TSA parses; real ones are about 60–120 bytes. */
export const MAX_TIMESTAMP_REQUEST_BYTES = 4096

/** Longest nonce accepted, in octets (OpenSSL sends 8, RFC 3161 suggests 64 bits or more). */
export const MAX_NONCE_BYTES = 32

/** A parsed timestamp request (RFC 3161 §2.4.1 TimeStampReq, or the JSON form Sigstore's TSA accepts). */
export interface TimestampRequest {
  /** Hash algorithm of the message imprint. */
  hashAlgorithm: TimestampHashAlgorithm
  /** The digest being timestamped (for Sigstore: the hash of the signature bytes). */
  hashedMessage: Uint8Array
  /** Requested TSA policy OID; must be the TSA's policy when given. */
  policy?: string
  /** Nonce to echo, as unsigned big-endian octets or a safe integer. */
  nonce?: Uint8Array | bigint | number
  /** Whether the token should embed the TSA certificate. @default false */
  certReq?: boolean
}

function invalid(message: string, cause?: unknown): never {
  return fail('TLOG_TIMESTAMP_REQUEST_INVALID', `invalid timestamp request: ${message}`, undefined, cause)
}

/** Checks algorithm and digest length; shared by the DER and JSON forms. */
export function checkMessageImprint(
  hashAlgorithm: string,
  hashedMessage: Uint8Array,
): TimestampHashAlgorithm {
  // hasOwn: a name like "constructor" must not reach Object.prototype.
  const known = Object.hasOwn(TIMESTAMP_HASHES, hashAlgorithm)
    ? TIMESTAMP_HASHES[hashAlgorithm as TimestampHashAlgorithm]
    : undefined
  if (!known)
    fail('TLOG_TIMESTAMP_UNSUPPORTED', `unsupported hash algorithm ${JSON.stringify(hashAlgorithm)}`, {
      supported: Object.keys(TIMESTAMP_HASHES),
    })
  if (hashedMessage.length !== known.length)
    invalid(`a ${hashAlgorithm} digest is ${known.length} bytes, got ${hashedMessage.length}`)
  return hashAlgorithm as TimestampHashAlgorithm
}

function integerContent(node: DerNode, what: string): Uint8Array {
  if (node.tag !== 0x02) invalid(`${what} is not an INTEGER`)
  const bytes = content(node)
  if (bytes.length === 0 || (bytes.length > 1 && bytes[0] === 0 && (bytes[1]! & 0x80) === 0))
    invalid(`${what} is not a minimal DER INTEGER`)
  return bytes
}

function parseMessageImprint(node: DerNode): {
  hashAlgorithm: TimestampHashAlgorithm
  hashedMessage: Uint8Array
} {
  if (node.tag !== 0x30) invalid('messageImprint is not a SEQUENCE')
  const [algorithm, hashed, ...rest] = children(node)
  if (algorithm?.tag !== 0x30 || hashed?.tag !== 0x04 || rest.length > 0)
    invalid('messageImprint must be { AlgorithmIdentifier, OCTET STRING }')
  const [oidNode, parameters, ...extra] = children(algorithm)
  if (!oidNode || extra.length > 0 || (parameters && encoding(parameters).join() !== '5,0'))
    invalid('hash AlgorithmIdentifier must be an OID with absent or NULL parameters')
  const oid = decodeOid(oidNode)
  const name = timestampHashByOid(oid)
  if (!name) fail('TLOG_TIMESTAMP_UNSUPPORTED', `unsupported hash algorithm OID ${oid}`)
  const hashedMessage = content(hashed)
  return { hashAlgorithm: checkMessageImprint(name, hashedMessage), hashedMessage }
}

function parseOptionalFields(fields: DerNode[], request: TimestampRequest): void {
  let index = 0
  if (fields[index]?.tag === 0x06) request.policy = decodeOid(fields[index++]!)
  if (fields[index]?.tag === 0x02) {
    const nonce = integerContent(fields[index++]!, 'nonce')
    if ((nonce[0]! & 0x80) !== 0) invalid('nonce must not be negative')
    if (nonce.length > MAX_NONCE_BYTES + 1) invalid(`nonce longer than ${MAX_NONCE_BYTES} bytes`)
    request.nonce = nonce
  }
  if (fields[index]?.tag === 0x01) {
    const value = content(fields[index++]!)
    // DER: TRUE is 0xff, and DEFAULT FALSE must be left out rather than encoded.
    if (value.length !== 1 || value[0] !== 0xff) invalid('certReq must be DER TRUE when present')
    request.certReq = true
  }
  if (fields[index]?.tag === 0xa0)
    fail('TLOG_TIMESTAMP_UNSUPPORTED', 'timestamp request extensions are not supported')
  if (index < fields.length) invalid('unexpected fields after messageImprint')
}

/**
 * Parses a DER TimeStampReq (RFC 3161 §2.4.1).
 * @throws TlogError `TLOG_TIMESTAMP_REQUEST_INVALID` (malformed DER, version, digest length, nonce) or
 *   `TLOG_TIMESTAMP_UNSUPPORTED` (hash algorithm, extensions).
 */
export function parseTimestampRequest(der: Uint8Array): TimestampRequest {
  if (der.length > MAX_TIMESTAMP_REQUEST_BYTES) invalid(`larger than ${MAX_TIMESTAMP_REQUEST_BYTES} bytes`)
  let root: DerNode
  let fields: DerNode[]
  try {
    root = readNode(der)
    if (root.tag !== 0x30 || root.end !== der.length) invalid('not one DER SEQUENCE')
    fields = children(root)
  } catch (error) {
    if (error instanceof DerError) invalid(error.message, error)
    throw error
  }
  try {
    const [version, imprint, ...optional] = fields
    if (!version || !imprint) invalid('version and messageImprint are required')
    const versionBytes = integerContent(version, 'version')
    if (versionBytes.length !== 1 || versionBytes[0] !== 1) invalid('version must be 1')
    const request: TimestampRequest = parseMessageImprint(imprint)
    parseOptionalFields(optional, request)
    return request
  } catch (error) {
    if (error instanceof DerError) invalid(error.message, error)
    throw error
  }
}

// Schemas are built on first use (z.lazy): importing this module builds none (start-up of `certus`, issue 11).
// The JSON body Sigstore's TSA accepts and @sigstore/sign's TSAWitness sends. Unknown members are ignored, as the
// Go server ignores them; only `artifactHash` and `hashAlgorithm` are required.
const JsonTimestampRequestSchema = z.lazy(() =>
  z.object({
    artifactHash: z.string().max(4 * 1024),
    hashAlgorithm: z.string().max(32),
    certificates: z.boolean().optional(),
    nonce: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    tsaPolicyOID: z
      .string()
      .regex(/^[0-2](?:\.(?:0|[1-9][0-9]{0,17})){1,40}$/)
      .optional(),
  }),
)

/**
 * Parses the JSON form of a timestamp request: `{ artifactHash: base64, hashAlgorithm: "sha256" | "sha384" |
 * "sha512", certificates?: boolean, nonce?: number, tsaPolicyOID?: string }`.
 * @throws TlogError `TLOG_TIMESTAMP_REQUEST_INVALID` or `TLOG_TIMESTAMP_UNSUPPORTED`.
 */
export function parseJsonTimestampRequest(value: unknown): TimestampRequest {
  const parsed = JsonTimestampRequestSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    invalid(issue ? `${issue.path.join('.') || 'body'} ${issue.message}` : 'bad JSON body')
  }
  const { artifactHash, hashAlgorithm, certificates, nonce, tsaPolicyOID } = parsed.data
  const hashedMessage = fromBase64(artifactHash)
  if (!hashedMessage) invalid('artifactHash is not standard base64')
  const request: TimestampRequest = {
    hashAlgorithm: checkMessageImprint(hashAlgorithm.toLowerCase(), hashedMessage),
    hashedMessage,
  }
  if (certificates) request.certReq = true
  if (nonce !== undefined) request.nonce = nonce
  if (tsaPolicyOID !== undefined) request.policy = tsaPolicyOID
  return request
}
