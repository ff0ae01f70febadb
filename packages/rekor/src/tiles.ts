import type { Logger } from '@certus-trust/core'
import { bytesEqual } from '@certus-trust/core'
import {
  type Checkpoint,
  hashChildren,
  hashLeaf,
  noteKeyId,
  type PublicKeyInput,
  parseCheckpoint,
  parseEntryBundle,
  TILE_WIDTH,
  tilePath,
  toPublicKey,
  verifyCheckpoint,
  verifyInclusionProof,
} from '@certus-trust/log-protocol'
import { fail, RekorError } from './errors.js'
import { HttpTransport } from './http-transport.js'
import type { RetryDelayOptions } from './retry.js'

// A C2SP tlog-tiles reader (https://c2sp.org/tlog-tiles): a signed checkpoint, hash tiles of 256 hashes per level
// (level L holds the hashes of subtrees of 256^L leaves), and entry bundles. Rekor v2 has no proof endpoints, so
// inclusion proofs are computed here from tiles and checked with the RFC 6962 code in merkle.ts.

export interface TilesClientOptions {
  /** Base URL of the log (the tiles sit at `<baseUrl>/checkpoint`, `<baseUrl>/tile/...`). */
  baseUrl: string
  /** The log's public key: every checkpoint must carry a valid signature by it. */
  logKey: PublicKeyInput
  /**
   * The checkpoint origin (and signature name) to require. @default the checkpoint's own origin, under which the
   * log key's signature is then checked (a log served under another name than its URL still verifies)
   */
  origin?: string
  /** Per-request timeout in milliseconds. @default 20_000 */
  timeout?: number
  /** Retries on network errors, timeouts, 408, 429 and 5xx. @default 3 */
  retries?: number
  /** @default { baseMs: 500, maxMs: 10_000 } */
  retryDelay?: Partial<RetryDelayOptions>
  /** fetch implementation (the test seam). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
  /** Extra headers sent with every request. Never logged. */
  headers?: Record<string, string>
  /** @default noopLogger */
  logger?: Logger
}

/** An inclusion proof computed from tiles, already verified against the checkpoint's root. */
export interface TileInclusionProof {
  leafIndex: bigint
  treeSize: bigint
  rootHash: Uint8Array
  /** Hashes, leaf to root. */
  hashes: Uint8Array[]
}

/** Width of tile `index` at `level` in a tree of `treeSize` leaves (256 for a full tile). */
function tileWidth(level: number, index: bigint, treeSize: bigint): number {
  const hashes = treeSize >> BigInt(8 * level)
  const full = hashes / BigInt(TILE_WIDTH)
  if (index < full) return TILE_WIDTH
  const width = Number(hashes % BigInt(TILE_WIDTH))
  if (index > full || width === 0)
    fail('REKOR_INVALID_INPUT', `tile ${level}/${index} is beyond tree size ${treeSize}`)
  return width
}

function largestPowerOfTwoBelow(n: bigint): bigint {
  let k = 1n
  while (k << 1n < n) k <<= 1n
  return k
}

/**
 * Reads a C2SP tlog-tiles log (Rekor v2): fetches and verifies checkpoints, fetches hash tiles and entry bundles,
 * and computes inclusion proofs offline from tiles.
 *
 * @example
 * const tiles = new TilesClient({ baseUrl: 'https://log2025-1.rekor.sigstore.dev', logKey })
 * const checkpoint = await tiles.getCheckpoint()
 * const proof = await tiles.proveInclusion(42n, checkpoint)
 */
export class TilesClient {
  readonly #http: HttpTransport
  readonly #logKey: PublicKeyInput
  readonly #origin: string | undefined

  constructor(options: TilesClientOptions) {
    this.#http = new HttpTransport({
      ...options,
      timeout: options.timeout ?? 20_000,
      retries: options.retries ?? 3,
    })
    this.#logKey = toPublicKey(options.logKey)
    this.#origin = options.origin
  }

  /**
   * Fetches `<baseUrl>/checkpoint` and verifies it: origin, and a signature by the log key under the C2SP key ID.
   * @throws RekorError `REKOR_CHECKPOINT_INVALID`, `REKOR_CHECKPOINT_SIGNATURE_INVALID`, and the HTTP codes.
   */
  async getCheckpoint(options: { signal?: AbortSignal } = {}): Promise<Checkpoint> {
    const note = await this.#http.request<string>({
      operation: 'getCheckpoint',
      method: 'get',
      path: 'checkpoint',
      responseType: 'text',
      signal: options.signal,
    })
    return this.verifyCheckpoint(note)
  }

  /**
   * Verifies a checkpoint note of this log (origin, and the log key's signature under the C2SP key ID).
   * @throws RekorError `REKOR_CHECKPOINT_INVALID`, `REKOR_CHECKPOINT_SIGNATURE_INVALID`.
   */
  verifyCheckpoint(note: string): Checkpoint {
    const parsed = parseCheckpoint(note)
    const origin = this.#origin ?? parsed.origin
    const keyHint = noteKeyId(origin, this.#logKey).slice(0, 4)
    const checkpoint = verifyCheckpoint(parsed, { publicKey: this.#logKey, name: origin, keyHint })
    if (checkpoint.origin !== origin) {
      fail('REKOR_CHECKPOINT_INVALID', `checkpoint origin is ${checkpoint.origin}, expected ${origin}`)
    }
    return checkpoint
  }

  /**
   * Fetches a hash tile: `width` hashes of 32 bytes (256 for a full tile).
   * @throws RekorError `REKOR_RESPONSE_INVALID` when the body is not exactly `width` hashes.
   */
  async getHashTile(
    level: number,
    index: bigint,
    width = TILE_WIDTH,
    signal?: AbortSignal,
  ): Promise<Uint8Array[]> {
    if (!Number.isInteger(level) || level < 0 || level > 63)
      fail('REKOR_INVALID_INPUT', 'tile level must be 0..63')
    const bytes = await this.#http.request<Uint8Array>({
      operation: 'getHashTile',
      method: 'get',
      path: tilePath(level, index, width),
      responseType: 'bytes',
      signal,
    })
    if (bytes.length !== width * 32) {
      fail(
        'REKOR_RESPONSE_INVALID',
        `hash tile ${level}/${index} has ${bytes.length} bytes, expected ${width * 32}`,
      )
    }
    return Array.from({ length: width }, (_, position) => bytes.slice(position * 32, position * 32 + 32))
  }

  /** Fetches an entry bundle (`tile/entries/N[.p/W]`) and splits it into `width` entries. */
  async getEntryBundle(index: bigint, width = TILE_WIDTH, signal?: AbortSignal): Promise<Uint8Array[]> {
    const bytes = await this.#http.request<Uint8Array>({
      operation: 'getEntryBundle',
      method: 'get',
      path: tilePath('entries', index, width),
      responseType: 'bytes',
      signal,
    })
    const entries = parseEntryBundle(bytes)
    if (entries.length !== width) {
      fail('REKOR_RESPONSE_INVALID', `entry bundle ${index} has ${entries.length} entries, expected ${width}`)
    }
    return entries
  }

  /**
   * Fetches entry `index` of the tree a checkpoint commits to, and checks it against the level-0 hash tile and an
   * inclusion proof computed from tiles.
   * @throws RekorError `REKOR_INVALID_INPUT` (index ≥ tree size), `REKOR_INCLUSION_PROOF_INVALID`, HTTP codes.
   */
  async getEntry(index: bigint, checkpoint: Checkpoint, signal?: AbortSignal): Promise<Uint8Array> {
    if (index < 0n || index >= checkpoint.treeSize)
      fail('REKOR_INVALID_INPUT', `entry ${index} is not in the tree`)
    const bundleIndex = index / BigInt(TILE_WIDTH)
    const entries = await this.getEntryBundle(
      bundleIndex,
      tileWidth(0, bundleIndex, checkpoint.treeSize),
      signal,
    )
    const entry = entries[Number(index % BigInt(TILE_WIDTH))]!
    await this.proveInclusion(index, checkpoint, { leafHash: hashLeaf(entry), ...(signal ? { signal } : {}) })
    return entry
  }

  /**
   * Computes the RFC 6962 inclusion proof of leaf `index` in the tree a checkpoint commits to, from hash tiles, and
   * verifies it against the checkpoint root (with `leafHash` when given, else with the level-0 tile's leaf hash).
   * @throws RekorError `REKOR_INCLUSION_PROOF_INVALID` when the tiles do not lead to the checkpoint root.
   */
  async proveInclusion(
    index: bigint,
    checkpoint: Checkpoint,
    options: { leafHash?: Uint8Array; signal?: AbortSignal } = {},
  ): Promise<TileInclusionProof> {
    const size = checkpoint.treeSize
    if (index < 0n || index >= size)
      fail('REKOR_INVALID_INPUT', `leaf ${index} is not in a tree of size ${size}`)
    const reader = new TileCache(this, size, options.signal)
    const hashes: Uint8Array[] = []
    // RFC 6962 PATH(m, D[n]), walking down from the root; sibling subtree hashes collected root-first.
    let start = 0n
    let count = size
    let target = index
    while (count > 1n) {
      const k = largestPowerOfTwoBelow(count)
      if (target < k) {
        hashes.unshift(await reader.rangeHash(start + k, count - k))
        count = k
      } else {
        hashes.unshift(await reader.rangeHash(start, k))
        start += k
        target -= k
        count -= k
      }
    }
    const leafHash = await reader.node(0, index)
    if (options.leafHash && !bytesEqual(options.leafHash, leafHash)) {
      fail('REKOR_INCLUSION_PROOF_INVALID', `leaf ${index} in the hash tiles differs from the entry`)
    }
    try {
      verifyInclusionProof({
        leafIndex: index,
        treeSize: size,
        leafHash,
        proof: hashes,
        rootHash: checkpoint.rootHash,
      })
    } catch (error) {
      throw new RekorError({
        code: 'REKOR_INCLUSION_PROOF_INVALID',
        message: 'the hash tiles do not lead to the checkpoint root',
        cause: error,
      })
    }
    return { leafIndex: index, treeSize: size, rootHash: checkpoint.rootHash, hashes }
  }
}

/** Per-proof tile cache (partial tiles change as the log grows, so nothing outlives one computation). */
class TileCache {
  readonly #tiles = new Map<string, Promise<Uint8Array[]>>()

  constructor(
    readonly client: TilesClient,
    readonly treeSize: bigint,
    readonly signal: AbortSignal | undefined,
  ) {}

  #tile(level: number, index: bigint): Promise<Uint8Array[]> {
    const key = `${level}/${index}`
    let tile = this.#tiles.get(key)
    if (!tile) {
      tile = this.client.getHashTile(level, index, tileWidth(level, index, this.treeSize), this.signal)
      this.#tiles.set(key, tile)
    }
    return tile
  }

  /** Hash of the perfect subtree of height `height` at position `index` (covering 2^height leaves). */
  async node(height: number, index: bigint): Promise<Uint8Array> {
    const level = Math.floor(height / 8)
    const below = height % 8
    const first = index << BigInt(below)
    const tileIndex = first / BigInt(TILE_WIDTH)
    const offset = Number(first % BigInt(TILE_WIDTH))
    let row = (await this.#tile(level, tileIndex)).slice(offset, offset + 2 ** below)
    if (row.length !== 2 ** below)
      fail('REKOR_RESPONSE_INVALID', `hash tile ${level}/${tileIndex} is too short`)
    while (row.length > 1)
      row = row.flatMap((_, position) =>
        position % 2 ? [] : [hashChildren(row[position]!, row[position + 1]!)],
      )
    return row[0]!
  }

  /** MTH of leaves [start, start + count), where `start` is aligned as RFC 6962's recursion leaves it. */
  async rangeHash(start: bigint, count: bigint): Promise<Uint8Array> {
    if ((count & (count - 1n)) === 0n && start % count === 0n) {
      const height = count.toString(2).length - 1
      return this.node(height, start >> BigInt(height))
    }
    const k = largestPowerOfTwoBelow(count)
    return hashChildren(await this.rangeHash(start, k), await this.rangeHash(start + k, count - k))
  }
}
