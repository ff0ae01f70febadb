/**
 * Storage for the embedded transparency log (@certus-trust/tlog).
 *
 * Shape of the data (RFC 6962 Merkle tree, one tree per shard):
 * - leaves: gapless, strictly increasing `leafIndex` per tree, starting at 0; unique `leafHash` per tree.
 * - nodes: hashes of *perfect* subtrees only, keyed by (level, index): the node at level L and index I
 *   covers leaves [I·2^L, (I+1)·2^L). Perfect subtrees never change once complete, so they are written
 *   once; any inclusion or consistency proof for any tree size is built from O(log n) of them plus
 *   hashes of the few leaves on the right edge. Level 0 nodes are leaf hashes and need not be stored
 *   as nodes (a backend may answer them from the leaves table).
 * - tree heads: one row per tree size the log has committed (one per batch), with the root hash and
 *   the signed checkpoint; (treeId, treeSize) is unique, so two different roots for one size cannot exist.
 *
 * Writers go through `withTreeLock`: exactly one writer per tree at a time, across processes
 * (PostgreSQL: a transaction holding an advisory lock). Everything written inside the callback
 * commits together or not at all.
 */

/** A shard of the log: one Merkle tree and the key that signs its checkpoints. */
export interface LogTree {
  /** Decimal string of a positive 63-bit integer, as Rekor's tree IDs are. */
  treeId: string
  /** The checkpoint origin line, e.g. `certus.local - 1234567890`. */
  origin: string
  /** PEM (SPKI) public key of the shard's signing key. */
  publicKeyPem: string
  /** `ecdsa-p256` or `ed25519`. */
  keyAlgorithm: string
  /** Hex SHA-256 of the DER public key (Rekor's log ID). */
  logId: string
  /** Global log index of this shard's leaf 0 (sum of the sizes of earlier shards when it became active). */
  startIndex: number
  /** Whether new entries go to this shard. At most one tree is active. */
  active: boolean
  createdAt: Date
  /** Set when the shard was frozen (key rotation). */
  frozenAt?: Date | undefined
}

/** One stored leaf: a canonical Rekor entry body and what the log assigned to it. */
export interface LogLeaf {
  treeId: string
  /** Index within the tree (0-based, gapless). */
  leafIndex: number
  /** SHA-256(0x00 ‖ body), 32 bytes. */
  leafHash: Uint8Array
  /** The canonicalized entry body bytes (JSON). */
  body: Uint8Array
  /** Seconds since the Unix epoch. */
  integratedTime: number
  /** The signed entry timestamp (DER signature bytes) computed for this entry. */
  signedEntryTimestamp: Uint8Array
  /**
   * Keys this entry is found by in the search index, e.g. `sha256:<hex>` of the artifact,
   * `pubkey:sha256:<hex>` of the key, `email:alice@example.com`. Lower-case, exact match.
   */
  searchKeys: string[]
}

/** A perfect-subtree hash: level L, index I covers leaves [I·2^L, (I+1)·2^L). */
export interface LogNode {
  level: number
  index: number
  hash: Uint8Array
}

/** A committed tree size with its root and signed checkpoint. */
export interface LogTreeHead {
  treeId: string
  treeSize: number
  /** 32-byte root hash (the empty tree's root is SHA-256 of the empty string). */
  rootHash: Uint8Array
  /** The full signed note text of the checkpoint for this size. */
  checkpoint: string
  createdAt: Date
}

/** What a writer may do while it holds a tree's lock. All writes commit together or not at all. */
export interface LogWriteTransaction {
  /** Number of leaves in the tree, read under the lock (includes leaves appended earlier in this transaction). */
  getLeafCount(treeId: string): Promise<number>
  /** The latest head of the tree, read under the lock (including one put earlier in this transaction; undefined if none). */
  getLatestTreeHead(treeId: string): Promise<LogTreeHead | undefined>
  /** Reads stored perfect-subtree nodes; missing keys are absent from the result. Key: `${level}:${index}`. */
  getNodes(
    treeId: string,
    keys: ReadonlyArray<{ level: number; index: number }>,
  ): Promise<Map<string, Uint8Array>>
  /** Reads leaves by leaf hash (for duplicate detection inside the lock). */
  getLeavesByHash(treeId: string, leafHashes: ReadonlyArray<Uint8Array>): Promise<LogLeaf[]>
  /**
   * Appends leaves. Their `leafIndex` values must continue the tree exactly (the first equals the number
   * of stored leaves, then +1 each); anything else rejects with `STORAGE_CONFLICT` and nothing is written.
   * A duplicate leaf hash rejects with `STORAGE_CONFLICT`.
   */
  appendLeaves(leaves: ReadonlyArray<LogLeaf>): Promise<void>
  /** Stores perfect-subtree nodes (idempotent for identical hashes; a different hash for a stored key is `STORAGE_CONFLICT`). */
  putNodes(treeId: string, nodes: ReadonlyArray<LogNode>): Promise<void>
  /** Records a new tree head. A second head for the same (treeId, treeSize) is `STORAGE_CONFLICT`. */
  putTreeHead(head: LogTreeHead): Promise<void>
  /**
   * The tree record as committed when read under the lock (undefined if absent). Optional so that older backends
   * still type-check; every bundled backend implements it. A writer uses it to see that a rotation froze its tree.
   */
  getTree?(treeId: string): Promise<LogTree | undefined>
  /**
   * Freezes the locked tree and creates `nextTree` active, committing together with the rest of the transaction
   * (same checks and errors as `LogStorage.rotateTree`). Because it runs under the old tree's write lock, no
   * writer can append to the old tree between the caller reading its size and the rotation committing.
   * Optional like `getTree`.
   */
  rotateTree?(frozenAt: Date, nextTree: LogTree): Promise<void>
}

/** The log part of the storage interface. */
export interface LogStorage {
  /** Creates a tree (shard) record. `STORAGE_CONFLICT` if the treeId exists. */
  createTree(tree: LogTree): Promise<void>
  /**
   * Marks `treeId` frozen and inactive and `nextTree` created and active, atomically. Takes `treeId`'s write lock,
   * so it waits for a running `withTreeLock` writer of that tree (never call it from inside one; use
   * `LogWriteTransaction.rotateTree` there).
   */
  rotateTree(treeId: string, frozenAt: Date, nextTree: LogTree): Promise<void>
  /** All trees, oldest first. */
  listTrees(): Promise<LogTree[]>
  /**
   * Runs `fn` holding the exclusive write lock of `treeId` (across processes for shared databases),
   * inside one transaction: if `fn` throws, nothing it wrote is kept.
   */
  withTreeLock<T>(treeId: string, fn: (tx: LogWriteTransaction) => Promise<T>): Promise<T>
  /** Number of leaves stored in the tree. */
  getLeafCount(treeId: string): Promise<number>
  getLeafByIndex(treeId: string, leafIndex: number): Promise<LogLeaf | undefined>
  getLeafByHash(treeId: string, leafHash: Uint8Array): Promise<LogLeaf | undefined>
  /** Leaf hashes for indices [start, end), in order (used for the right edge of proofs). */
  getLeafHashes(treeId: string, start: number, end: number): Promise<Uint8Array[]>
  /** Leaves whose searchKeys contain `key`, as (treeId, leafIndex), oldest first, at most `limit`. */
  findLeavesBySearchKey(key: string, limit?: number): Promise<Array<{ treeId: string; leafIndex: number }>>
  /** Stored perfect-subtree nodes, as in `LogWriteTransaction.getNodes`. */
  getNodes(
    treeId: string,
    keys: ReadonlyArray<{ level: number; index: number }>,
  ): Promise<Map<string, Uint8Array>>
  getLatestTreeHead(treeId: string): Promise<LogTreeHead | undefined>
  /** The committed head for exactly this size, if one was recorded. */
  getTreeHead(treeId: string, treeSize: number): Promise<LogTreeHead | undefined>
}
