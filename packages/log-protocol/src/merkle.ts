import { hash } from 'node:crypto'
import { bytesEqual, sha256 } from '@certus-trust/core'
import { RekorError, type RekorErrorCode } from './errors.js'

const LEAF_PREFIX = new Uint8Array([0])
const NODE_PREFIX = new Uint8Array([1])
const HASH_SIZE = 32

/** RFC 6962 leaf hash: SHA-256(0x00 ‖ data). For Rekor, `data` is the canonical entry body bytes. */
export function hashLeaf(data: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, data)
}

/** RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  // One buffer and node's one-shot hash: about half the cost of a createHash() chain on this hot path.
  const input = Buffer.allocUnsafe(1 + left.length + right.length)
  input[0] = NODE_PREFIX[0]!
  input.set(left, 1)
  input.set(right, 1 + left.length)
  return new Uint8Array(hash('sha256', input, 'buffer'))
}

/** Root hash of the empty tree: SHA-256(""). */
export const EMPTY_TREE_ROOT: Uint8Array = sha256()

/** Input of {@link rootFromInclusionProof}. Hashes run from the leaf up to the root. */
export interface InclusionProofInput {
  leafIndex: number | bigint
  treeSize: number | bigint
  leafHash: Uint8Array
  proof: Uint8Array[]
}

/** Input of {@link verifyInclusionProof}. */
export interface InclusionProofVerification extends InclusionProofInput {
  rootHash: Uint8Array
}

/** Input of {@link verifyConsistencyProof}. */
export interface ConsistencyProofInput {
  oldSize: number | bigint
  newSize: number | bigint
  oldRoot: Uint8Array
  newRoot: Uint8Array
  proof: Uint8Array[]
}

function toSize(value: number | bigint, what: string, code: RekorErrorCode): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n) throw new RekorError({ code, message: `${what} must not be negative` })
    return value
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RekorError({ code, message: `${what} must be a non-negative safe integer` })
  }
  return BigInt(value)
}

function checkHash(hash: unknown, what: string, code: RekorErrorCode): asserts hash is Uint8Array {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    throw new RekorError({ code, message: `${what} must be ${HASH_SIZE} bytes` })
  }
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length
}

function popCount(value: bigint): number {
  let count = 0
  for (const digit of value.toString(2)) if (digit === '1') count++
  return count
}

/** A checked inclusion proof's shape: the leaf's index, the tree's size and where the proof splits. */
interface ProofShape {
  index: bigint
  size: bigint
  /** Proof hashes below the point where the paths to the leaf and to the last leaf diverge. */
  inner: number
}

/**
 * Checks an inclusion proof's inputs and works out its shape.
 * @throws RekorError `REKOR_INCLUSION_PROOF_INVALID` when the index is out of range, a hash is not 32 bytes or the
 * proof has the wrong length for (leafIndex, treeSize).
 */
function proofShape(input: InclusionProofInput): ProofShape {
  const code = 'REKOR_INCLUSION_PROOF_INVALID'
  const index = toSize(input.leafIndex, 'leafIndex', code)
  const size = toSize(input.treeSize, 'treeSize', code)
  if (index >= size) {
    throw new RekorError({ code, message: `leaf index ${index} is out of range for tree size ${size}` })
  }
  checkHash(input.leafHash, 'leafHash', code)
  if (!Array.isArray(input.proof)) throw new RekorError({ code, message: 'proof must be an array of hashes' })
  for (const [position, hash] of input.proof.entries()) checkHash(hash, `proof[${position}]`, code)
  // The proof splits into `inner` hashes below the point where the paths to leaf `index` and to the last leaf
  // diverge (side decided by the index bits), then `border` hashes of left siblings on the right border.
  const inner = bitLength(index ^ (size - 1n))
  const border = popCount(index >> BigInt(inner))
  if (input.proof.length !== inner + border) {
    throw new RekorError({
      code,
      message: `proof has ${input.proof.length} hashes, expected ${inner + border} for index ${index} in size ${size}`,
    })
  }
  return { index, size, inner }
}

/** The node above `hash` at `level` of the path: the sibling goes left or right by the index bit (inner part), else left. */
function climb(shape: ProofShape, level: number, hash: Uint8Array, sibling: Uint8Array): Uint8Array {
  if (level >= shape.inner) return hashChildren(sibling, hash)
  return (shape.index >> BigInt(level)) & 1n ? hashChildren(sibling, hash) : hashChildren(hash, sibling)
}

/**
 * Recomputes the root hash an RFC 6962 inclusion proof leads to.
 * @throws RekorError `REKOR_INCLUSION_PROOF_INVALID` when the index is out of range, a hash is not 32 bytes or the
 * proof has the wrong length for (leafIndex, treeSize).
 */
export function rootFromInclusionProof(input: InclusionProofInput): Uint8Array {
  const shape = proofShape(input)
  let hash = input.leafHash
  for (let level = 0; level < input.proof.length; level++)
    hash = climb(shape, level, hash, input.proof[level]!)
  return hash
}

function proofMismatch(): RekorError {
  return new RekorError({
    code: 'REKOR_INCLUSION_PROOF_INVALID',
    message: 'inclusion proof does not lead to the expected root hash',
  })
}

/**
 * Verifies an RFC 6962 / RFC 9162 inclusion proof against a root hash.
 * @throws RekorError `REKOR_INCLUSION_PROOF_INVALID`.
 */
export function verifyInclusionProof(input: InclusionProofVerification): void {
  checkHash(input.rootHash, 'rootHash', 'REKOR_INCLUSION_PROOF_INVALID')
  if (!bytesEqual(rootFromInclusionProof(input), input.rootHash)) throw proofMismatch()
}

/** The last proof a {@link createInclusionProofChecker} accepted, with the node it computed at every level. */
interface AcceptedProof extends ProofShape {
  root: Uint8Array
  proof: Uint8Array[]
  /** `nodes[level]`: the hash the path reaches before `proof[level]` is applied. */
  nodes: Uint8Array[]
}

// What is remembered is copied: a caller changing its arrays afterwards must not change what was accepted.
const copies = (hashes: Uint8Array[]) => hashes.map((hash) => Uint8Array.from(hash))

/** Whether `proof[from..]` and `other[from..]` hold the same hashes. */
function sameTail(proof: Uint8Array[], other: Uint8Array[], from: number): boolean {
  if (proof.length !== other.length) return false
  for (let level = from; level < proof.length; level++)
    if (!bytesEqual(proof[level]!, other[level]!)) return false
  return true
}

/**
 * {@link verifyInclusionProof} for a run of proofs against one checkpoint, as a signer checks the entries a log
 * committed together: it remembers the last proof it accepted, and a proof whose path reaches the same node at the
 * same position of the same tree, with the same hashes from there up, is accepted at that node — the rest of its
 * computation would repeat the remembered one step for step (same hashes, same sides, same root). Entries appended
 * together share all but their lowest levels, so most of the hashing is skipped, and a proof that differs anywhere
 * on its way up is still computed to the root and compared. Not for a verifier of untrusted bundles: repeating one
 * bundle would make its check look cheaper than it is.
 * @example
 * const checkInclusion = createInclusionProofChecker()
 * for (const entry of committed) checkInclusion({ leafIndex, treeSize, leafHash, proof, rootHash })
 */
export function createInclusionProofChecker(): (input: InclusionProofVerification) => void {
  let last: AcceptedProof | undefined
  return (input) => {
    checkHash(input.rootHash, 'rootHash', 'REKOR_INCLUSION_PROOF_INVALID')
    const shape = proofShape(input)
    const known =
      last && last.size === shape.size && last.inner === shape.inner && bytesEqual(last.root, input.rootHash)
        ? last
        : undefined
    const nodes: Uint8Array[] = []
    let hash: Uint8Array = Uint8Array.from(input.leafHash)
    for (let level = 0; level < input.proof.length; level++) {
      // Same position (the index bits from here up match; beyond `inner` the border path is shared) and same node.
      if (
        known &&
        level <= shape.inner &&
        shape.index >> BigInt(level) === known.index >> BigInt(level) &&
        bytesEqual(hash, known.nodes[level]!) &&
        sameTail(input.proof, known.proof, level)
      ) {
        last = {
          ...shape,
          root: known.root,
          proof: copies(input.proof),
          nodes: [...nodes, ...known.nodes.slice(level)],
        }
        return
      }
      nodes.push(hash)
      hash = climb(shape, level, hash, input.proof[level]!)
    }
    if (!bytesEqual(hash, input.rootHash)) throw proofMismatch()
    nodes.push(hash)
    last = { ...shape, root: hash, proof: copies(input.proof), nodes }
  }
}

/**
 * Verifies an RFC 9162 consistency proof: the tree of `newSize` leaves with root `newRoot` extends the tree of
 * `oldSize` leaves with root `oldRoot`. An `oldSize` of 0 needs an empty proof and the empty-tree root.
 * @throws RekorError `REKOR_CONSISTENCY_PROOF_INVALID`.
 */
export function verifyConsistencyProof(input: ConsistencyProofInput): void {
  const code = 'REKOR_CONSISTENCY_PROOF_INVALID'
  const invalid = (message: string): never => {
    throw new RekorError({ code, message })
  }
  const oldSize = toSize(input.oldSize, 'oldSize', code)
  const newSize = toSize(input.newSize, 'newSize', code)
  checkHash(input.oldRoot, 'oldRoot', code)
  checkHash(input.newRoot, 'newRoot', code)
  if (!Array.isArray(input.proof)) invalid('proof must be an array of hashes')
  for (const [position, hash] of input.proof.entries()) checkHash(hash, `proof[${position}]`, code)
  if (oldSize > newSize) invalid(`old size ${oldSize} is larger than new size ${newSize}`)
  if (oldSize === newSize) {
    if (input.proof.length !== 0) invalid('proof between equal sizes must be empty')
    if (!bytesEqual(input.oldRoot, input.newRoot)) invalid('roots differ for the same tree size')
    return
  }
  if (oldSize === 0n) {
    // Every tree is consistent with the empty tree; the proof carries nothing.
    if (input.proof.length !== 0) invalid('proof from the empty tree must be empty')
    if (!bytesEqual(input.oldRoot, EMPTY_TREE_ROOT)) invalid('old root is not the empty-tree root')
    return
  }
  if (input.proof.length === 0) invalid('proof must not be empty')
  // When the old tree is a complete subtree, its root is the implicit first proof element.
  const isPowerOfTwo = (oldSize & (oldSize - 1n)) === 0n
  const proof = isPowerOfTwo ? [input.oldRoot, ...input.proof] : input.proof
  let fn = oldSize - 1n
  let sn = newSize - 1n
  while (fn & 1n) {
    fn >>= 1n
    sn >>= 1n
  }
  let oldHash = proof[0]!
  let newHash = proof[0]!
  for (let position = 1; position < proof.length; position++) {
    const sibling = proof[position]!
    if (sn === 0n) invalid('proof is longer than the tree allows')
    if (fn & 1n || fn === sn) {
      oldHash = hashChildren(sibling, oldHash)
      newHash = hashChildren(sibling, newHash)
      if (!(fn & 1n)) {
        while (!(fn & 1n) && fn !== 0n) {
          fn >>= 1n
          sn >>= 1n
        }
      }
    } else {
      newHash = hashChildren(newHash, sibling)
    }
    fn >>= 1n
    sn >>= 1n
  }
  if (sn !== 0n) invalid('proof is shorter than the tree requires')
  if (!bytesEqual(oldHash, input.oldRoot)) invalid('proof does not reproduce the old root')
  if (!bytesEqual(newHash, input.newRoot)) invalid('proof does not reproduce the new root')
}
