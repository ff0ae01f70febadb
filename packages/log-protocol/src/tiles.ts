import { fail } from './errors.js'

// C2SP tlog-tiles (https://c2sp.org/tlog-tiles) encodings shared by a tile server (the embedded log) and a tile
// reader (the Rekor v2 client): tile paths and entry bundles.

/** Where a Rekor v2 log serves its C2SP tlog-tiles read endpoints, below its base URL. */
export const TILES_PATH_PREFIX = '/api/v2'

/** Hashes per full tile and entries per full entry bundle. */
export const TILE_WIDTH = 256

/** Options of {@link TilesClient}. */
/** Tile index `N` as C2SP path elements: zero-padded groups of three digits, all but the last prefixed `x`. */
export function tileIndexPath(index: bigint): string {
  if (index < 0n) fail('REKOR_INVALID_INPUT', 'tile index must not be negative')
  const groups: string[] = []
  let rest = index
  do {
    groups.unshift((rest % 1000n).toString().padStart(3, '0'))
    rest /= 1000n
  } while (rest > 0n)
  return groups.map((group, position) => (position < groups.length - 1 ? `x${group}` : group)).join('/')
}

/** Path of a hash tile (`level` ≥ 0) or, with level `'entries'`, of an entry bundle; `width` < 256 = partial. */
export function tilePath(level: number | 'entries', index: bigint, width = TILE_WIDTH): string {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH)
    fail('REKOR_INVALID_INPUT', 'tile width must be 1..256')
  const partial = width < TILE_WIDTH ? `.p/${width}` : ''
  return `tile/${level}/${tileIndexPath(index)}${partial}`
}

/** Splits an entry bundle into its entries (each a big-endian uint16 length and that many bytes). */
export function parseEntryBundle(bytes: Uint8Array): Uint8Array[] {
  const entries: Uint8Array[] = []
  let offset = 0
  while (offset < bytes.length) {
    if (offset + 2 > bytes.length) fail('REKOR_RESPONSE_INVALID', 'entry bundle ends inside a length prefix')
    const length = (bytes[offset]! << 8) | bytes[offset + 1]!
    offset += 2
    if (offset + length > bytes.length) fail('REKOR_RESPONSE_INVALID', 'entry bundle ends inside an entry')
    entries.push(bytes.slice(offset, offset + length))
    offset += length
  }
  return entries
}
