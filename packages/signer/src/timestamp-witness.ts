import { createHash, randomBytes } from 'node:crypto'
import {
  children,
  content,
  derBoolean,
  derInteger,
  derNull,
  derOctetString,
  derOid,
  derSequence,
  readNode,
} from '@certus-trust/core/der'
import type { RFC3161Timestamp } from '@sigstore/core'
import { SignerError } from './errors.js'
import type { SignatureBundle, SigstoreWitness } from './witness.js'

// An RFC 3161 client that speaks only the standard (DER `application/timestamp-query` in, DER
// `application/timestamp-reply` out), so it works with any timestamp authority: Sigstore's, the embedded one, or a
// commercial TSA. It stamps the signature bytes, as Sigstore verifiers expect.

/** Digest algorithms a timestamp request can carry. */
export type TimestampHashAlgorithm = 'sha256' | 'sha384' | 'sha512'

/** Options of {@link createTimestampAuthorityWitness}. */
export interface TimestampAuthorityOptions {
  /**
   * The TSA's URL. A bare origin (path `/`) is a Sigstore TSA and gets `/api/v1/timestamp` appended; any other
   * URL (as a SigningConfig lists them) is used as it is.
   */
  url: string
  /** Per-attempt timeout in milliseconds. @default 10000 */
  timeout?: number
  /** Retries on network errors, timeouts, 408, 429 and 5xx. @default 2 */
  retries?: number
  /** Digest of the signature sent in the request. @default 'sha256' */
  hashAlgorithm?: TimestampHashAlgorithm
  /** fetch implementation (the test seam). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
}

const HASH_OIDS: Record<TimestampHashAlgorithm, string> = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
}

/** TSAs answer with a TimeStampResp of at most a few KiB; anything far larger is not one. */
const MAX_RESPONSE_BYTES = 256 * 1024

/** The DER TimeStampReq (RFC 3161 §2.4.1) for a digest: version 1, messageImprint, nonce, certReq TRUE. */
export function timestampRequest(
  digest: Uint8Array,
  algorithm: TimestampHashAlgorithm,
  nonce: bigint,
): Uint8Array {
  return derSequence(
    derInteger(1),
    derSequence(derSequence(derOid(HASH_OIDS[algorithm]), derNull()), derOctetString(digest)),
    derInteger(nonce),
    derBoolean(true),
  )
}

function timestampUrl(url: string): string {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message: 'timestamp authority url must be an http(s) URL',
    })
  }
  return parsed.pathname === '/' ? `${url.replace(/\/+$/, '')}/api/v1/timestamp` : url
}

function signatureBytes(content: SignatureBundle): Buffer {
  return content.$case === 'messageSignature'
    ? content.messageSignature.signature
    : content.dsseEnvelope.signatures[0]!.sig
}

/** The nonce of a TSTInfo: the first INTEGER after genTime (accuracy and ordering, if present, are not INTEGERs). */
function tstInfoNonce(tstInfo: Buffer): bigint | undefined {
  const fields = children(readNode(new Uint8Array(tstInfo)))
  const nonce = fields.slice(5).find((field) => field.tag === 0x02)
  return nonce ? BigInt(`0x${Buffer.from(content(nonce)).toString('hex') || '0'}`) : undefined
}

function invalidReply(message: string, cause?: unknown): SignerError {
  return new SignerError({
    code: 'SIGNER_WITNESS_RESPONSE_INVALID',
    message: `the timestamp authority returned an unusable reply: ${message}`,
    cause,
  })
}

/** Checks a TimeStampResp: granted, stamps exactly `data` (hashed with `algorithm`) with our nonce. */
export async function checkTimestampReply(
  reply: Buffer,
  data: Buffer,
  request: { nonce: bigint; algorithm: TimestampHashAlgorithm },
): Promise<void> {
  // Loaded on the first timestamp: signing without a TSA never pays for @sigstore/core's parsers.
  const { RFC3161Timestamp } = await import('@sigstore/core')
  let timestamp: RFC3161Timestamp
  try {
    timestamp = RFC3161Timestamp.parse(reply as Buffer<ArrayBuffer>)
  } catch (error) {
    throw invalidReply('not a DER TimeStampResp with a token', error)
  }
  if (timestamp.status !== 0n && timestamp.status !== 1n)
    throw invalidReply(`status ${timestamp.status} (not granted)`)
  if (timestamp.tstInfo.messageImprintHashAlgorithm !== request.algorithm)
    throw invalidReply(
      `the token's imprint uses ${timestamp.tstInfo.messageImprintHashAlgorithm}, not ${request.algorithm}`,
    )
  try {
    timestamp.tstInfo.verify(data)
  } catch (error) {
    throw invalidReply('the token stamps another message imprint', error)
  }
  if (tstInfoNonce(timestamp.tstInfo.raw) !== request.nonce)
    throw invalidReply('the token does not carry our nonce')
}

const RETRIABLE = new Set([408, 429, 500, 502, 503, 504])

async function post(
  url: string,
  body: Uint8Array,
  options: Required<Pick<TimestampAuthorityOptions, 'timeout' | 'retries'>> & {
    fetch: typeof globalThis.fetch
  },
): Promise<Buffer> {
  for (let attempt = 0; ; attempt++) {
    let response: Response
    try {
      response = await options.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
        body: body as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(options.timeout),
      })
    } catch (error) {
      if (attempt < options.retries) continue
      throw new SignerError({
        code: 'SIGNER_WITNESS_UNREACHABLE',
        message:
          'the timestamp authority could not be reached: check its URL and retry later; no bundle was produced',
        details: { url: new URL(url).origin },
        cause: error,
      })
    }
    if (response.ok) return readReply(response)
    await response.body?.cancel().catch(() => {})
    if (RETRIABLE.has(response.status) && attempt < options.retries) continue
    const unreachable = response.status >= 500 || response.status === 408 || response.status === 429
    throw new SignerError({
      code: unreachable ? 'SIGNER_WITNESS_UNREACHABLE' : 'SIGNER_WITNESS_FAILED',
      message: `the timestamp authority ${unreachable ? 'is unavailable' : 'rejected the request'} (HTTP ${response.status}); no bundle was produced`,
      details: { status: response.status, url: new URL(url).origin },
    })
  }
}

async function readReply(response: Response): Promise<Buffer> {
  const length = Number(response.headers.get('content-length') ?? 0)
  if (length > MAX_RESPONSE_BYTES) throw invalidReply(`${length} bytes is too large for a TimeStampResp`)
  const bytes = Buffer.from(await response.arrayBuffer())
  if (bytes.length > MAX_RESPONSE_BYTES)
    throw invalidReply(`${bytes.length} bytes is too large for a TimeStampResp`)
  return bytes
}

/**
 * An RFC 3161 timestamp witness: sends a DER TimeStampReq (`application/timestamp-query`) for the hash of the
 * signature, checks the reply (status granted, message imprint, nonce) and adds it to the bundle's
 * `timestampVerificationData`. Works with any RFC 3161 service.
 *
 * @example
 * createSigner({ key, witness: log, timestampAuthority: { url: 'https://timestamp.sigstore.dev/api/v1/timestamp' } })
 * @throws SignerError `SIGNER_INVALID_INPUT` for a malformed URL or option; at signing time
 * `SIGNER_WITNESS_FAILED` (4xx), `SIGNER_WITNESS_UNREACHABLE` (network, timeout, 5xx),
 * `SIGNER_WITNESS_RESPONSE_INVALID` (not a granted TimeStampResp for our request).
 */
export function createTimestampAuthorityWitness(options: TimestampAuthorityOptions): SigstoreWitness {
  const url = timestampUrl(options?.url)
  const algorithm = options.hashAlgorithm ?? 'sha256'
  if (!(algorithm in HASH_OIDS)) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message: 'hashAlgorithm must be sha256, sha384 or sha512',
    })
  }
  const settings = {
    timeout: options.timeout ?? 10_000,
    retries: Math.max(0, Math.floor(options.retries ?? 2)),
    fetch: options.fetch ?? globalThis.fetch,
  }
  return {
    async testify(content: SignatureBundle) {
      const signature = signatureBytes(content)
      const nonce = BigInt(`0x${randomBytes(8).toString('hex')}`)
      const digest = createHash(algorithm).update(signature).digest()
      const reply = await post(url, timestampRequest(digest, algorithm, nonce), settings)
      await checkTimestampReply(reply, signature, { nonce, algorithm })
      return { rfc3161Timestamps: [{ signedTimestamp: reply }] }
    },
  }
}
