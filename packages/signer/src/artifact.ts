import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { basename } from 'node:path'
import { Readable } from 'node:stream'
import { isSha256Digest, type Sha256DigestString } from '@certus-trust/core'
import { SignerError } from './errors.js'

/**
 * What to sign, always said explicitly, never guessed:
 * - `Uint8Array`/`Buffer` – the artifact bytes (text goes in as `Buffer.from(text)`);
 * - a `sha256:<64 hex>` string – only the artifact's digest; no other string is accepted;
 * - `{ path }` – a file, hashed as a stream;
 * - a Node `Readable`, a web `ReadableStream` or any `AsyncIterable<Uint8Array>`, or `{ stream }` – hashed as it flows;
 * - `{ bytes }`, `{ digest }` – explicit forms. Every object form takes an optional `name` (the in-toto subject name).
 */
export type ArtifactInput =
  | Uint8Array
  | Sha256DigestString
  | Readable
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | { bytes: Uint8Array; name?: string }
  | { path: string; name?: string }
  | { stream: Readable | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>; name?: string }
  | { digest: string; name?: string }

/** An artifact after hashing. `bytes` is kept only when the caller gave bytes or asked for them. */
export interface ResolvedArtifact {
  digest: Buffer
  bytes?: Buffer
  name?: string
}

/** Options of artifact resolution. */
export interface ResolveOptions {
  /** Keep the whole artifact in memory (needed by pure Ed25519). */
  needBytes: boolean
  /** The most a stream or file may hold when `needBytes` is set. */
  maxInMemoryBytes: number
  signal?: AbortSignal
}

/** @internal */
export async function resolveArtifact(
  input: ArtifactInput,
  options: ResolveOptions,
): Promise<ResolvedArtifact> {
  if (input instanceof Uint8Array) return fromBytes(input)
  if (typeof input === 'string') {
    if (/^sha\d+:/.test(input)) return fromDigest(input)
    throw invalid(
      'a string artifact must be a sha256:<64 hex digits> digest; pass a file as { path } and text as bytes (Buffer.from(text))',
    )
  }
  if (isStreamLike(input)) return fromStream(input, undefined, options)
  if (typeof input === 'object' && input !== null) {
    const name = 'name' in input ? input.name : undefined
    if (name !== undefined && (typeof name !== 'string' || name.length === 0))
      throw invalid('artifact name must be a non-empty string')
    if ('bytes' in input) {
      if (!(input.bytes instanceof Uint8Array)) throw invalid('artifact.bytes must be a Uint8Array')
      return { ...fromBytes(input.bytes), name }
    }
    if ('digest' in input) return { ...fromDigest(input.digest), name }
    if ('path' in input) {
      if (typeof input.path !== 'string' || input.path.length === 0)
        throw invalid('artifact.path must be a non-empty string')
      return fromPath(input.path, name ?? basename(input.path), options)
    }
    if ('stream' in input && isStreamLike(input.stream)) return fromStream(input.stream, name, options)
  }
  throw invalid('unsupported artifact: pass bytes, { path }, a stream, or a sha256:<hex> digest')
}

function fromBytes(bytes: Uint8Array): ResolvedArtifact {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return { digest: createHash('sha256').update(buffer).digest(), bytes: buffer }
}

function fromDigest(digest: unknown): ResolvedArtifact {
  if (!isSha256Digest(digest)) {
    throw new SignerError({
      code: 'SIGNER_INVALID_DIGEST',
      message: 'expected a digest of the form sha256:<64 hex digits>',
      details: { received: typeof digest === 'string' ? digest.slice(0, 80) : typeof digest },
    })
  }
  return { digest: Buffer.from(digest.slice('sha256:'.length), 'hex') }
}

/** Hashes an artifact's bytes as they come, keeping them (within `maxInMemoryBytes`) when `needBytes` says so. */
function artifactDigest(options: ResolveOptions) {
  const hash = createHash('sha256')
  const chunks: Buffer[] = []
  let size = 0
  return {
    /** `buffer` must not be reused by the caller when `needBytes` is set (it is kept). */
    add(buffer: Buffer): void {
      if (options.signal?.aborted) throw abortError(options.signal)
      hash.update(buffer)
      size += buffer.length
      if (!options.needBytes) return
      if (size > options.maxInMemoryBytes) {
        throw new SignerError({
          code: 'SIGNER_ARTIFACT_TOO_LARGE',
          message: `pure Ed25519 must hold the whole artifact in memory and it exceeds maxInMemoryBytes (${options.maxInMemoryBytes}); raise the limit or use an ECDSA/RSA key`,
          details: { maxInMemoryBytes: options.maxInMemoryBytes },
        })
      }
      chunks.push(buffer)
    },
    result(name: string | undefined): ResolvedArtifact {
      return { digest: hash.digest(), ...(options.needBytes ? { bytes: Buffer.concat(chunks) } : {}), name }
    },
  }
}

/** A read failure as `SIGNER_ARTIFACT_UNREADABLE` (our own errors pass through). */
function unreadable(error: unknown, path: string | undefined): SignerError {
  if (SignerError.is(error)) return error
  const errno = (error as NodeJS.ErrnoException)?.code
  return new SignerError({
    code: 'SIGNER_ARTIFACT_UNREADABLE',
    message: path
      ? `could not read ${path} (${errno ?? 'read error'})`
      : 'reading the artifact stream failed',
    details: { ...(path ? { path } : {}), ...(errno ? { errno } : {}) },
    cause: error,
  })
}

/** Bytes a file is read in (what a ReadStream reads at a time). */
const FILE_READ_BYTES = 64 * 1024

// A read loop on one file handle rather than a ReadStream: the same bytes in the same steps without the stream
// machinery, which costs a one-shot `certus sign` of a small file ~2 ms (start-up, issue 11).
async function fromPath(path: string, name: string, options: ResolveOptions): Promise<ResolvedArtifact> {
  const digest = artifactDigest(options)
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    handle = await open(path, 'r')
    // One buffer for the whole file, unless its bytes are kept.
    const reused = options.needBytes ? undefined : Buffer.allocUnsafe(FILE_READ_BYTES)
    for (;;) {
      const buffer = reused ?? Buffer.allocUnsafe(FILE_READ_BYTES)
      const { bytesRead } = await handle.read(buffer, 0, FILE_READ_BYTES, null)
      if (bytesRead === 0) break
      digest.add(buffer.subarray(0, bytesRead))
    }
  } catch (error) {
    throw unreadable(error, path)
  } finally {
    await handle?.close()
  }
  return digest.result(name)
}

async function fromStream(
  stream: Readable | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  name: string | undefined,
  options: ResolveOptions,
): Promise<ResolvedArtifact> {
  const digest = artifactDigest(options)
  const iterable = isWebStream(stream) ? Readable.fromWeb(stream as never) : stream
  try {
    for await (const chunk of iterable as AsyncIterable<unknown>) {
      const buffer =
        typeof chunk === 'string'
          ? Buffer.from(chunk)
          : chunk instanceof Uint8Array
            ? Buffer.from(chunk)
            : undefined
      if (!buffer) throw invalid('the artifact stream yielded something other than bytes')
      digest.add(buffer)
    }
  } catch (error) {
    if (typeof (iterable as Readable).destroy === 'function') (iterable as Readable).destroy()
    throw unreadable(error, undefined)
  }
  return digest.result(name)
}

function isWebStream(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && typeof (value as ReadableStream).getReader === 'function'
  )
}

function isStreamLike(
  value: unknown,
): value is Readable | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return false
  return isWebStream(value) || typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
}

function invalid(message: string): SignerError {
  return new SignerError({ code: 'SIGNER_INVALID_INPUT', message })
}

/** @internal */
export function abortError(signal: AbortSignal): SignerError {
  return new SignerError({ code: 'SIGNER_ABORTED', message: 'signing was aborted', cause: signal.reason })
}
