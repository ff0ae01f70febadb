import { EMPTY_TREE_ROOT, hashChildren } from '@certus-trust/log-protocol'

/**
 * Tree arithmetic for an RFC 6962 log stored as perfect subtrees.
 *
 * A perfect subtree (level L, index I) covers leaves [I·2^L, (I+1)·2^L); once complete it never changes, so the log
 * writes it once. Every hash a proof needs, for any tree size, is the root of a "segment" [a, b) of the RFC 6962
 * recursion, and every such segment is covered by at most log2(b−a)+1 perfect subtrees (its binary decomposition).
 * So proofs and appends touch O(log n) stored nodes and never reread the log.
 */

/** A perfect subtree position. Level 0 nodes are leaf hashes. */
export interface NodePosition {
  level: number
  index: number
}

/** A perfect subtree with its hash. */
export interface HashedNode extends NodePosition {
  hash: Uint8Array
}

/** A half-open leaf range [start, end) whose RFC 6962 root a proof needs. */
export type Segment = readonly [start: number, end: number]

/** Map key of a node position. */
export function nodeKey(level: number, index: number): string {
  return `${level}:${index}`
}

/** Largest power of two strictly smaller than `n` (n ≥ 2). Plain arithmetic: sizes go beyond 2^32. */
function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/** Largest power of two ≤ n (n ≥ 1), and its exponent. */
function largestPowerOfTwo(n: number): { size: number; level: number } {
  let size = 1
  let level = 0
  while (size * 2 <= n) {
    size *= 2
    level++
  }
  return { size, level }
}

/**
 * The perfect subtrees covering the segment [start, end), left to right, largest first. RFC 6962 segments are
 * aligned (start is a multiple of the largest power of two ≤ end − start), so each piece is a real stored node.
 */
export function segmentNodes(start: number, end: number): NodePosition[] {
  const nodes: NodePosition[] = []
  let position = start
  while (position < end) {
    const { size, level } = largestPowerOfTwo(end - position)
    nodes.push({ level, index: position / size })
    position += size
  }
  return nodes
}

/** Leaf-to-root segments of the RFC 6962 inclusion path PATH(index, D[0:size]). */
export function inclusionSegments(index: number, size: number): Segment[] {
  const path: Segment[] = []
  let start = 0
  let end = size
  let offset = index
  // Walk down from the root; the root-side siblings come first here, so reverse at the end.
  while (end - start > 1) {
    const k = splitPoint(end - start)
    if (offset < k) {
      path.push([start + k, end])
      end = start + k
    } else {
      path.push([start, start + k])
      start += k
      offset -= k
    }
  }
  return path.reverse()
}

/** Segments of the RFC 6962 consistency proof PROOF(oldSize, D[0:newSize]), in proof order. 0 < oldSize ≤ newSize. */
export function consistencySegments(oldSize: number, newSize: number): Segment[] {
  if (oldSize <= 0 || oldSize >= newSize) return []
  const reversed: Segment[] = []
  let start = 0
  let end = newSize
  let m = oldSize
  let complete = true
  while (m !== end - start) {
    const k = splitPoint(end - start)
    if (m <= k) {
      reversed.push([start + k, end])
      end = start + k
    } else {
      reversed.push([start, start + k])
      start += k
      m -= k
      complete = false
    }
  }
  if (!complete) reversed.push([start, end])
  return reversed.reverse()
}

/** Every node position the given segments need, deduplicated. */
export function nodesForSegments(segments: readonly Segment[]): NodePosition[] {
  const seen = new Map<string, NodePosition>()
  for (const [start, end] of segments) {
    for (const node of segmentNodes(start, end)) seen.set(nodeKey(node.level, node.index), node)
  }
  return [...seen.values()]
}

/** Looks a node up; `undefined` means the caller forgot to fetch it. */
export type NodeLookup = (level: number, index: number) => Uint8Array | undefined

/**
 * RFC 6962 root of a segment from its perfect pieces: fold right, node(p0, node(p1, … pk)).
 * @throws Error when a piece is missing (a programming or storage error the caller turns into `TLOG_INCONSISTENT`).
 */
export function segmentHash(start: number, end: number, lookup: NodeLookup): Uint8Array {
  const pieces = segmentNodes(start, end)
  if (pieces.length === 0) return EMPTY_TREE_ROOT
  let hash: Uint8Array | undefined
  for (let position = pieces.length - 1; position >= 0; position--) {
    const piece = pieces[position]!
    const pieceHash = lookup(piece.level, piece.index)
    if (!pieceHash) throw new Error(`missing tree node ${piece.level}:${piece.index}`)
    hash = hash === undefined ? pieceHash : hashChildren(pieceHash, hash)
  }
  return hash!
}

/**
 * The compact range of a tree: the perfect subtrees covering [0, size), largest first. Appending needs only these,
 * and the root is their right fold.
 */
export class CompactRange {
  private constructor(
    readonly size: number,
    private readonly nodes: HashedNode[],
  ) {}

  /** The compact range of the empty tree. */
  static empty(): CompactRange {
    return new CompactRange(0, [])
  }

  /** Rebuilds the range of `size` leaves from stored nodes. */
  static fromLookup(size: number, lookup: NodeLookup): CompactRange {
    const nodes = segmentNodes(0, size).map((position) => {
      const hash = lookup(position.level, position.index)
      if (!hash) throw new Error(`missing tree node ${position.level}:${position.index}`)
      return { ...position, hash }
    })
    return new CompactRange(size, nodes)
  }

  /** Positions a caller must fetch to rebuild the range of `size` leaves. */
  static positions(size: number): NodePosition[] {
    return segmentNodes(0, size)
  }

  /** The nodes of the range (level 0 entries are leaf hashes). */
  get pieces(): readonly HashedNode[] {
    return this.nodes
  }

  /** RFC 6962 root of the tree (SHA-256("") when empty). */
  root(): Uint8Array {
    if (this.nodes.length === 0) return EMPTY_TREE_ROOT
    let hash = this.nodes[this.nodes.length - 1]!.hash
    for (let position = this.nodes.length - 2; position >= 0; position--) {
      hash = hashChildren(this.nodes[position]!.hash, hash)
    }
    return hash
  }

  /**
   * Appends leaf hashes. Returns the new range and every perfect subtree completed on the way (level 0 = the new
   * leaves themselves, then each merge), which is exactly the set of nodes to store plus what the new leaves'
   * proofs need beyond the old range.
   */
  append(leafHashes: readonly Uint8Array[]): { range: CompactRange; created: HashedNode[] } {
    const stack = this.nodes.slice()
    const created: HashedNode[] = []
    let size = this.size
    for (const leafHash of leafHashes) {
      let node: HashedNode = { level: 0, index: size, hash: leafHash }
      created.push(node)
      // Merge while the right-most stored subtree has the same height: amortised O(1), worst case O(log n).
      while (stack.length > 0 && stack[stack.length - 1]!.level === node.level) {
        const left = stack.pop()!
        node = { level: node.level + 1, index: left.index / 2, hash: hashChildren(left.hash, node.hash) }
        created.push(node)
      }
      stack.push(node)
      size++
    }
    return { range: new CompactRange(size, stack), created }
  }
}

/** Hashes of the given segments, in order. */
export function hashSegments(segments: readonly Segment[], lookup: NodeLookup): Uint8Array[] {
  return segments.map(([start, end]) => segmentHash(start, end, lookup))
}
