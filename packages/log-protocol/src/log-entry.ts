import type { ProposedEntry } from './entry-body.js'
import type { OwnSignatures } from './own-signatures.js'

/** Inclusion proof as Rekor v1 returns it (hex hashes, tree-local index). */
export interface LogEntryInclusionProof {
  /** Index of the leaf inside the shard's tree (differs from the global `LogEntry.logIndex` on sharded logs). */
  logIndex: number
  /** Hex root hash of the tree the proof leads to. */
  rootHash: string
  treeSize: number
  /** Hex hashes, leaf to root. */
  hashes: string[]
  /** Signed note text of the checkpoint committing to `rootHash`. */
  checkpoint: string
}

/** One Rekor v1 log entry (the value under a key of `GET /api/v1/log/entries/{uuid}`, with the key as `uuid`). */
export interface LogEntry {
  /** The response's map key: a 64-hex UUID (leaf hash) or an 80-hex entry ID (16 hex tree ID + UUID). */
  uuid: string
  /** Base64 of the canonical entry body bytes. */
  body: string
  /** Unix seconds at which the log integrated the entry. */
  integratedTime: number
  /** Hex SHA-256 of the log key's DER SPKI. */
  logID: string
  /** Global (virtual, all shards) index. */
  logIndex: number
  verification?: {
    inclusionProof?: LogEntryInclusionProof
    /** Base64 signature over the SET payload. */
    signedEntryTimestamp?: string
  }
}

/** Options of {@link EntryCreator.createEntry}. */
export interface CreateEntryOptions {
  signal?: AbortSignal
  /** The artifact itself; lets an in-process log check a pure-Ed25519 signature. Remote clients ignore it. */
  artifact?: Uint8Array
  /**
   * The internal path of a signer and an embedded log opened with the same {@link OwnSignatures} ledger: the log
   * skips its second check of a signature recorded there. Any other value (or none) means "verify". Remote clients
   * ignore it.
   */
  ownSignatures?: OwnSignatures
}

/**
 * The one-method "witness" interface: something that records a proposed entry in a transparency log and returns
 * the logged entry. `RekorClient` implements it, and so does the embedded log of `@certus-trust/tlog`.
 */
export interface EntryCreator {
  createEntry(entry: ProposedEntry, options?: CreateEntryOptions): Promise<LogEntry>
}
