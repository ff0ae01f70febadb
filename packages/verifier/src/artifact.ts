import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { isSha256Digest, type Sha256DigestString } from '@certus-trust/core'
import { fail, VerifierError } from './errors.js'

/**
 * What can be verified, always said explicitly, never guessed: the artifact's bytes, a stream of them,
 * a file as `{ path }`, or only its SHA-256 digest (`sha256:<64 hex>`, or `{ digest }`). A string is
 * only ever a digest: text to verify goes in as bytes (`Buffer.from(text)`), a file as `{ path }`.
 */
export type ArtifactInput =
  | Uint8Array
  | Sha256DigestString
  | { path: string }
  | { digest: string }
  | AsyncIterable<Uint8Array>
  | ReadableStream<Uint8Array>

/** The artifact after reading: digests always, bytes when they were small enough to keep. */
export interface ResolvedArtifact {
  sha256: Buffer
  bytes?: Buffer
  /** The digest for `sha256` / `sha384` / `sha512`, or undefined when only another digest is known. */
  digest(algorithm: string): Buffer | undefined
}

/** Artifacts up to this size are kept in memory so node:crypto can verify over the message itself. */
export const MAX_BUFFERED_ARTIFACT = 64 * 1024 * 1024

/** Builds a ResolvedArtifact from bytes (digests computed lazily, once). */
export function artifactFromBytes(bytes: Uint8Array): ResolvedArtifact {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const digests = new Map<string, Buffer>()
  const digest = (algorithm: string) => {
    if (!['sha256', 'sha384', 'sha512'].includes(algorithm)) return undefined
    let value = digests.get(algorithm)
    if (!value) {
      value = createHash(algorithm).update(buffer).digest()
      digests.set(algorithm, value)
    }
    return value
  }
  return {
    get sha256() {
      return digest('sha256')!
    },
    bytes: buffer,
    digest,
  }
}

function artifactFromDigests(digests: Record<string, Buffer>): ResolvedArtifact {
  return { sha256: digests.sha256!, digest: (algorithm) => digests[algorithm] }
}

/** Builds a digest-only artifact from `sha256:<hex>`. */
export function artifactFromDigest(digest: string): ResolvedArtifact {
  if (!isSha256Digest(digest))
    fail('VERIFIER_INVALID_ARTIFACT', 'expected a digest of the form sha256:<64 hex digits>')
  return artifactFromDigests({ sha256: Buffer.from(digest.slice(7), 'hex') })
}

async function fromChunks(chunks: AsyncIterable<Uint8Array>): Promise<ResolvedArtifact> {
  const kept: Buffer[] = []
  let size = 0
  const hashes = { sha256: createHash('sha256'), sha384: createHash('sha384'), sha512: createHash('sha512') }
  for await (const chunk of chunks) {
    const buffer =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    size += buffer.length
    if (size <= MAX_BUFFERED_ARTIFACT) kept.push(buffer)
    else kept.length = 0
    for (const hash of Object.values(hashes)) hash.update(buffer)
  }
  if (size <= MAX_BUFFERED_ARTIFACT) return artifactFromBytes(Buffer.concat(kept, size))
  return artifactFromDigests({
    sha256: hashes.sha256.digest(),
    sha384: hashes.sha384.digest(),
    sha512: hashes.sha512.digest(),
  })
}

async function fromPath(path: string): Promise<ResolvedArtifact> {
  try {
    return await fromChunks(createReadStream(path))
  } catch (error) {
    return fail('VERIFIER_INVALID_ARTIFACT', 'artifact file could not be read', error, { path })
  }
}

/** Resolves any {@link ArtifactInput} to digests (and bytes when small). */
export async function resolveArtifact(input: ArtifactInput): Promise<ResolvedArtifact> {
  try {
    if (input instanceof Uint8Array) return artifactFromBytes(input)
    if (typeof input === 'string') {
      if (isSha256Digest(input)) return artifactFromDigest(input.toLowerCase())
      return fail(
        'VERIFIER_INVALID_ARTIFACT',
        'a string artifact must be a sha256:<64 hex digits> digest; pass a file as { path } and text as bytes (Buffer.from(text))',
      )
    }
    if (typeof input === 'object' && input !== null) {
      if ('path' in input && typeof input.path === 'string') return fromPath(input.path)
      if ('digest' in input && typeof input.digest === 'string')
        return artifactFromDigest(input.digest.toLowerCase())
      if (Symbol.asyncIterator in input) return fromChunks(input as AsyncIterable<Uint8Array>)
      if ('getReader' in input && typeof input.getReader === 'function') {
        const reader = (input as unknown as ReadableStream<Uint8Array>).getReader()
        return fromChunks({
          async *[Symbol.asyncIterator]() {
            for (;;) {
              const { done, value } = await reader.read()
              if (done) return
              yield value
            }
          },
        })
      }
    }
  } catch (error) {
    if (VerifierError.is(error)) throw error
    return fail('VERIFIER_INVALID_ARTIFACT', 'artifact could not be read', error)
  }
  return fail(
    'VERIFIER_INVALID_ARTIFACT',
    'artifact must be bytes, a stream, { path }, { digest } or a sha256:<hex> digest',
  )
}
