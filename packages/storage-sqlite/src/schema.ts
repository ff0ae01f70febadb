import { defineMigration, type Migration } from '@certus-trust/storage/backend'

/** One versioned schema migration. */
export type { Migration }

/** `PRAGMA application_id` of a Certus Trust database ('CERT'): tells our files from other applications'. */
export const CERTUS_APPLICATION_ID = 0x43455254

/** Name of the table that records applied migrations (the schema version is also `PRAGMA user_version`). */
export const SCHEMA_MIGRATIONS_TABLE = 'certus_schema_migrations'

// Version 1 mirrors storage-postgres' 0001_initial.sql with SQLite types: times are integer milliseconds since
// the epoch (the storage API's precision), booleans 0/1, JSON kept as text so documents come back byte for
// byte, search keys both as a JSON array on the leaf and as rows of the search index. STRICT tables refuse
// values of the wrong type instead of silently storing them.
const INITIAL = `
CREATE TABLE certus_signed_artifacts (
  id TEXT PRIMARY KEY,
  artifact_hash TEXT NOT NULL,
  artifact_type TEXT NOT NULL,
  subject TEXT NOT NULL,
  signature TEXT NOT NULL,
  certificate TEXT,
  public_key TEXT,
  bundle TEXT NOT NULL,
  transparency_entry_uuid TEXT,
  entry_uuid_key TEXT UNIQUE,
  log_index INTEGER,
  integrated_time INTEGER,
  log_id TEXT,
  predicates TEXT,
  created_at INTEGER NOT NULL,
  idempotency_key TEXT UNIQUE,
  UNIQUE (log_id, log_index)
) STRICT;
CREATE INDEX certus_signed_artifacts_hash_idx ON certus_signed_artifacts (artifact_hash, created_at DESC, id DESC);
CREATE INDEX certus_signed_artifacts_created_idx ON certus_signed_artifacts (created_at DESC, id DESC);
CREATE INDEX certus_signed_artifacts_type_idx ON certus_signed_artifacts (artifact_type, created_at DESC, id DESC);
CREATE INDEX certus_signed_artifacts_subject_idx ON certus_signed_artifacts (subject, created_at DESC, id DESC);
CREATE INDEX certus_signed_artifacts_log_index_idx ON certus_signed_artifacts (log_index, created_at DESC, id DESC);

CREATE TABLE certus_verification_records (
  id TEXT PRIMARY KEY,
  artifact_hash TEXT NOT NULL,
  signature TEXT,
  valid INTEGER NOT NULL,
  signer TEXT,
  issuer TEXT,
  verified_at INTEGER NOT NULL,
  transparency_index INTEGER,
  failure_code TEXT,
  failure_message TEXT
) STRICT;
CREATE INDEX certus_verification_records_hash_idx ON certus_verification_records (artifact_hash, verified_at DESC, id DESC);
CREATE INDEX certus_verification_records_verified_idx ON certus_verification_records (verified_at DESC, id DESC);
CREATE INDEX certus_verification_records_valid_idx ON certus_verification_records (valid, verified_at DESC, id DESC);

CREATE TABLE certus_log_trees (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  tree_id TEXT NOT NULL UNIQUE,
  origin TEXT NOT NULL,
  public_key_pem TEXT NOT NULL,
  key_algorithm TEXT NOT NULL,
  log_id TEXT NOT NULL,
  start_index INTEGER NOT NULL,
  active INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  frozen_at INTEGER
) STRICT;
CREATE UNIQUE INDEX certus_log_trees_one_active ON certus_log_trees (active) WHERE active = 1;

CREATE TABLE certus_log_leaves (
  tree_id TEXT NOT NULL REFERENCES certus_log_trees (tree_id),
  leaf_index INTEGER NOT NULL,
  leaf_hash BLOB NOT NULL,
  body BLOB NOT NULL,
  integrated_time INTEGER NOT NULL,
  signed_entry_timestamp BLOB NOT NULL,
  search_keys TEXT NOT NULL,
  PRIMARY KEY (tree_id, leaf_index),
  UNIQUE (tree_id, leaf_hash)
) STRICT, WITHOUT ROWID;

CREATE TABLE certus_log_search_keys (
  search_key TEXT NOT NULL,
  tree_id TEXT NOT NULL,
  leaf_index INTEGER NOT NULL,
  PRIMARY KEY (search_key, tree_id, leaf_index),
  FOREIGN KEY (tree_id, leaf_index) REFERENCES certus_log_leaves (tree_id, leaf_index)
) STRICT, WITHOUT ROWID;

CREATE TABLE certus_log_nodes (
  tree_id TEXT NOT NULL REFERENCES certus_log_trees (tree_id),
  level INTEGER NOT NULL,
  node_index INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (tree_id, level, node_index)
) STRICT, WITHOUT ROWID;

CREATE TABLE certus_log_tree_heads (
  tree_id TEXT NOT NULL REFERENCES certus_log_trees (tree_id),
  tree_size INTEGER NOT NULL,
  root_hash BLOB NOT NULL,
  checkpoint TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tree_id, tree_size)
) STRICT, WITHOUT ROWID;
`

// Version 2 mirrors storage-postgres' 0002_guide_views.sql: the production guide's table and column names as
// views, so SQL written for the guide runs unchanged. SQLite has no timestamp type; its date functions read
// ISO-8601 text, so the guide's timestamps are UTC ISO-8601 strings (exact to the stored millisecond), which
// also sort in time order. SQLite views are read-only: writes go through the storage API.
const isoFromMilliseconds = (column: string) =>
  `strftime('%Y-%m-%dT%H:%M:%S', ${column} / 1000, 'unixepoch') || printf('.%03dZ', ${column} % 1000)`
const GUIDE_VIEWS = `
CREATE VIEW signed_artifacts AS
SELECT
  id,
  artifact_hash,
  artifact_type,
  subject,
  signature,
  certificate,
  public_key,
  bundle,
  transparency_entry_uuid AS rekor_uuid,
  log_index AS rekor_index,
  log_id AS rekor_log_id,
  strftime('%Y-%m-%dT%H:%M:%SZ', integrated_time, 'unixepoch') AS integrated_time,
  predicates,
  ${isoFromMilliseconds('created_at')} AS created_at,
  idempotency_key
FROM certus_signed_artifacts;

CREATE VIEW verification_records AS
SELECT
  id,
  artifact_hash,
  signature,
  valid,
  signer,
  issuer,
  transparency_index AS rekor_index,
  ${isoFromMilliseconds('verified_at')} AS verified_at,
  failure_code,
  failure_message
FROM certus_verification_records;
`

/** The migrations this package ships, ascending by version. Never edit one that shipped; add the next. */
export const MIGRATIONS: ReadonlyArray<Migration> = [
  defineMigration(1, 'initial', INITIAL),
  defineMigration(2, 'guide_views', GUIDE_VIEWS),
]

/** The newest schema version this package knows. */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0
