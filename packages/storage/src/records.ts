/** A JSON value as stored in `bundle` and `predicates`. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/** A signed artifact: what was signed, by whom, and where the transparency log recorded it. */
export interface SignedArtifact {
  /** Lower-case UUID. */
  id: string
  /** `sha256:<64 lower-case hex>`. */
  artifactHash: string
  /** Kind of artifact, e.g. `sbom`, `provenance`, `container`, `file` (lower-case, `[a-z0-9][a-z0-9._+/-]*`). */
  artifactType: string
  /** What the artifact is called: a file name, an image reference, a package URL… */
  subject: string
  /** The signature, base64 (standard alphabet), as in the bundle. */
  signature: string
  /** Signing certificate, PEM (keyless signing). */
  certificate?: string
  /** Signing public key, PEM (key-based signing). */
  publicKey?: string
  /** The Sigstore bundle JSON, stored and returned with its keys in the order given. */
  bundle: { [key: string]: JsonValue }
  /** The transparency log entry's UUID (64 hex) or entry ID (80 hex: tree ID + UUID), lower-case. */
  transparencyEntryUuid?: string
  /** The entry's global log index. */
  logIndex?: number
  /** When the log integrated the entry, seconds since the Unix epoch. */
  integratedTime?: number
  /** The log's ID: hex SHA-256 of its public key. */
  logId?: string
  /** Attestation predicates (in-toto statements…), any JSON. */
  predicates?: JsonValue
  /** When the record was stored (millisecond precision). */
  createdAt: Date
  /** The caller's idempotency key: saving again with the same key returns this record. */
  idempotencyKey?: string
}

/** Input of `saveSignedArtifact`: `id` and `createdAt` are generated when absent. */
export type NewSignedArtifact = Omit<SignedArtifact, 'id' | 'createdAt'> & { id?: string; createdAt?: Date }

/** The outcome of one verification. */
export interface VerificationRecord {
  /** Lower-case UUID. */
  id: string
  /** `sha256:<64 lower-case hex>`. */
  artifactHash: string
  /** The verified signature, base64. */
  signature?: string
  valid: boolean
  /** Signer identity (certificate SAN) or key id. */
  signer?: string
  /** OIDC issuer of a keyless signer. */
  issuer?: string
  /** When the verification ran (millisecond precision). */
  verifiedAt: Date
  /** Log index of the transparency entry that was checked. */
  transparencyIndex?: number
  /** Stable failure code when `valid` is false (required then, forbidden otherwise). */
  failureCode?: string
  /** Human-readable failure message when `valid` is false. */
  failureMessage?: string
}

/** Input of `saveVerificationRecord`: `id` and `verifiedAt` are generated when absent. */
export type NewVerificationRecord = Omit<VerificationRecord, 'id' | 'verifiedAt'> & {
  id?: string
  verifiedAt?: Date
}

/** Cursor pagination options. Pages run newest first. */
export interface PageOptions {
  /**
   * Maximum items per page, 1–1000.
   * @default 50
   */
  limit?: number
  /** The `nextCursor` of the previous page. Opaque; valid across backends. */
  cursor?: string
}

/** One page of results, newest first. `nextCursor` is absent on the last page. */
export interface Page<T> {
  items: T[]
  nextCursor?: string
}

/** Filters of `listSignedArtifacts` (all optional, combined with AND). */
export interface SignedArtifactQuery extends PageOptions {
  artifactHash?: string
  artifactType?: string
  subject?: string
  /** `createdAt >= createdFrom` (inclusive). */
  createdFrom?: Date
  /** `createdAt < createdTo` (exclusive). */
  createdTo?: Date
}

/** Filters of `listVerificationRecords` (all optional, combined with AND). */
export interface VerificationRecordQuery extends PageOptions {
  artifactHash?: string
  valid?: boolean
  /** `verifiedAt >= verifiedFrom` (inclusive). */
  verifiedFrom?: Date
  /** `verifiedAt < verifiedTo` (exclusive). */
  verifiedTo?: Date
}

/** Signed-artifact and verification-record storage. Every method validates its input with zod. */
export interface RecordStorage {
  /**
   * Stores a signed artifact. With an `idempotencyKey` already used, returns the stored record instead
   * of writing a second one (never a second row, also under concurrent calls).
   * @throws StorageError `STORAGE_INVALID_RECORD`; `STORAGE_CONFLICT` on a duplicate `id`, transparency entry
   *   uuid, (logId, logIndex), or an idempotency key reused for a different artifactHash.
   */
  saveSignedArtifact(input: NewSignedArtifact): Promise<SignedArtifact>
  /** @throws StorageError `STORAGE_NOT_FOUND` */
  getSignedArtifact(id: string): Promise<SignedArtifact>
  /**
   * Finds the artifact by its transparency entry: a 64-hex UUID or an 80-hex entry ID match the same entry.
   * @throws StorageError `STORAGE_NOT_FOUND`
   */
  getSignedArtifactByEntryUuid(uuid: string): Promise<SignedArtifact>
  /**
   * Finds the artifact by log index (and log id, when several logs are in use; without it, the newest match).
   * @throws StorageError `STORAGE_NOT_FOUND`
   */
  getSignedArtifactByLogIndex(logIndex: number, options?: { logId?: string }): Promise<SignedArtifact>
  /**
   * Artifacts with this hash, newest first.
   * @throws StorageError `STORAGE_INVALID_QUERY` for a malformed hash, limit or cursor.
   */
  listSignedArtifactsByHash(artifactHash: string, options?: PageOptions): Promise<Page<SignedArtifact>>
  /**
   * Artifacts matching every given filter, newest first (by `createdAt`, then `id`).
   * @throws StorageError `STORAGE_INVALID_QUERY`
   */
  listSignedArtifacts(query?: SignedArtifactQuery): Promise<Page<SignedArtifact>>
  /** @throws StorageError `STORAGE_INVALID_RECORD`, `STORAGE_CONFLICT` on a duplicate `id`. */
  saveVerificationRecord(input: NewVerificationRecord): Promise<VerificationRecord>
  /** @throws StorageError `STORAGE_NOT_FOUND` */
  getVerificationRecord(id: string): Promise<VerificationRecord>
  /**
   * Verification records matching every given filter, newest first (by `verifiedAt`, then `id`).
   * @throws StorageError `STORAGE_INVALID_QUERY`
   */
  listVerificationRecords(query?: VerificationRecordQuery): Promise<Page<VerificationRecord>>
}
