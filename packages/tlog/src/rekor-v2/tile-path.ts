// The server half of C2SP tlog-tiles paths: parsing. The encoder is @certus-trust/log-protocol's.
import { tilePath } from '@certus-trust/log-protocol'

/** A parsed C2SP tlog-tiles path below `tile/`. */
export interface TilePath {
  /** The tile level, or `entries` for an entry bundle. */
  level: number | 'entries'
  index: number
  /** Partial width (1..255); undefined for a full tile. */
  width?: number
}

const LEVEL = /^(?:0|[1-9][0-9]?)$/
const WIDTH = /^(?:[1-9][0-9]?|1[0-9]{2}|2[0-4][0-9]|25[0-5])$/

/**
 * Parses `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]` (the part after `tile/`). Only the canonical encoding is
 * accepted (no leading `x000` groups, no leading zeros in L or W), so each tile has one URL; undefined otherwise.
 */
export function parseTilePath(rest: string): TilePath | undefined {
  const segments = rest.split('/')
  let width: number | undefined
  const last = segments.length - 1
  if (segments.length >= 3 && segments[last - 1]?.endsWith('.p')) {
    if (!WIDTH.test(segments[last]!)) return undefined
    width = Number(segments[last])
    segments.pop()
    segments[segments.length - 1] = segments[segments.length - 1]!.slice(0, -2)
  }
  const [levelText, ...groups] = segments
  if (levelText === undefined || groups.length === 0) return undefined
  if (levelText !== 'entries' && !LEVEL.test(levelText)) return undefined
  if (groups.length > 6) return undefined
  const prefixesOk = groups.slice(0, -1).every((group) => /^x[0-9]{3}$/.test(group))
  if (!prefixesOk || !/^[0-9]{3}$/.test(groups[groups.length - 1]!)) return undefined
  const digits = groups.map((group) => group.replace(/^x/, '')).join('')
  const index = Number(digits)
  if (!Number.isSafeInteger(index)) return undefined
  const level = levelText === 'entries' ? 'entries' : Number(levelText)
  // Canonical only: the path must be exactly what the client's encoder would ask for.
  if (tilePath(level, BigInt(index), width) !== `tile/${rest}`) return undefined
  return { level, index, ...(width ? { width } : {}) }
}
