-- Certus Trust storage schema, version 1.
-- Applied by migrate() inside one transaction; recorded in certus_schema_migrations.

-- Signed artifacts. bundle/predicates are `json`, not `jsonb`: json keeps the document's text (key order,
-- spacing) so every backend returns it byte for byte as stored.
CREATE TABLE certus_signed_artifacts (
  id uuid PRIMARY KEY,
  artifact_hash text NOT NULL,
  artifact_type text NOT NULL,
  subject text NOT NULL,
  signature text NOT NULL,
  certificate text,
  public_key text,
  bundle json NOT NULL,
  transparency_entry_uuid text,
  -- The 64-hex UUID part of transparency_entry_uuid (which may be an 80-hex entry ID): what identifies the entry.
  entry_uuid_key text,
  log_index bigint,
  integrated_time bigint,
  log_id text,
  predicates json,
  created_at timestamptz NOT NULL,
  idempotency_key text,
  CONSTRAINT certus_signed_artifacts_entry_uuid_key UNIQUE (entry_uuid_key),
  CONSTRAINT certus_signed_artifacts_log_index_key UNIQUE (log_id, log_index),
  CONSTRAINT certus_signed_artifacts_idempotency_key UNIQUE (idempotency_key)
);
-- One index per query shape; every list is ordered (created_at DESC, id DESC) for keyset pagination.
CREATE INDEX certus_signed_artifacts_hash_idx ON certus_signed_artifacts (artifact_hash, created_at DESC, id DESC);
CREATE INDEX certus_signed_artifacts_created_idx ON certus_signed_artifacts (created_at DESC, id DESC);
CREATE INDEX certus_signed_artifacts_type_idx ON certus_signed_artifacts (artifact_type, created_at DESC, id DESC);
CREATE INDEX certus_signed_artifacts_subject_idx ON certus_signed_artifacts (subject, created_at DESC, id DESC);
CREATE INDEX certus_signed_artifacts_log_index_idx ON certus_signed_artifacts (log_index, created_at DESC, id DESC);

CREATE TABLE certus_verification_records (
  id uuid PRIMARY KEY,
  artifact_hash text NOT NULL,
  signature text,
  valid boolean NOT NULL,
  signer text,
  issuer text,
  verified_at timestamptz NOT NULL,
  transparency_index bigint,
  failure_code text,
  failure_message text
);
CREATE INDEX certus_verification_records_hash_idx ON certus_verification_records (artifact_hash, verified_at DESC, id DESC);
CREATE INDEX certus_verification_records_verified_idx ON certus_verification_records (verified_at DESC, id DESC);
CREATE INDEX certus_verification_records_valid_idx ON certus_verification_records (valid, verified_at DESC, id DESC);

-- Embedded transparency log: one row per tree (shard).
CREATE TABLE certus_log_trees (
  tree_id text PRIMARY KEY,
  -- Creation order, for "oldest first" listings.
  seq bigint GENERATED ALWAYS AS IDENTITY,
  origin text NOT NULL,
  public_key_pem text NOT NULL,
  key_algorithm text NOT NULL,
  log_id text NOT NULL,
  start_index bigint NOT NULL,
  active boolean NOT NULL,
  created_at timestamptz NOT NULL,
  frozen_at timestamptz
);
-- At most one active tree.
CREATE UNIQUE INDEX certus_log_trees_one_active ON certus_log_trees (active) WHERE active;

-- Leaves: the primary key makes an index unique per tree; the writer lock plus an under-lock count check
-- makes them gapless.
CREATE TABLE certus_log_leaves (
  tree_id text NOT NULL REFERENCES certus_log_trees (tree_id),
  leaf_index bigint NOT NULL,
  leaf_hash bytea NOT NULL,
  body bytea NOT NULL,
  integrated_time bigint NOT NULL,
  signed_entry_timestamp bytea NOT NULL,
  search_keys text[] NOT NULL,
  PRIMARY KEY (tree_id, leaf_index),
  CONSTRAINT certus_log_leaves_hash_key UNIQUE (tree_id, leaf_hash)
);

-- Search index: key → leaves.
CREATE TABLE certus_log_search_keys (
  search_key text NOT NULL,
  tree_id text NOT NULL,
  leaf_index bigint NOT NULL,
  PRIMARY KEY (search_key, tree_id, leaf_index),
  FOREIGN KEY (tree_id, leaf_index) REFERENCES certus_log_leaves (tree_id, leaf_index)
);

-- Perfect-subtree hashes: level L, index I covers leaves [I*2^L, (I+1)*2^L).
CREATE TABLE certus_log_nodes (
  tree_id text NOT NULL REFERENCES certus_log_trees (tree_id),
  level smallint NOT NULL,
  node_index bigint NOT NULL,
  hash bytea NOT NULL,
  PRIMARY KEY (tree_id, level, node_index)
);

-- Committed tree heads with their signed checkpoints; one per size.
CREATE TABLE certus_log_tree_heads (
  tree_id text NOT NULL REFERENCES certus_log_trees (tree_id),
  tree_size bigint NOT NULL,
  root_hash bytea NOT NULL,
  checkpoint text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tree_id, tree_size)
);
