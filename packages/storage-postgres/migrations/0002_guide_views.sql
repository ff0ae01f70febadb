-- Certus Trust storage schema, version 2: read-only views with the production guide's table and column
-- names, so SQL, ETL jobs and dashboards written for the guide's `signed_artifacts` and
-- `verification_records` tables run unchanged. Writes go through the storage API (the certus_* tables).
-- Timestamps are timestamptz (the guide's `integrated_time` is a timestamp; we store epoch seconds).

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
  to_timestamp(integrated_time) AS integrated_time,
  predicates,
  created_at,
  idempotency_key
FROM certus_signed_artifacts;

COMMENT ON VIEW signed_artifacts IS
  'Read-only view of certus_signed_artifacts with the production guide''s column names and types.';

CREATE VIEW verification_records AS
SELECT
  id,
  artifact_hash,
  signature,
  valid,
  signer,
  issuer,
  transparency_index AS rekor_index,
  verified_at,
  failure_code,
  failure_message
FROM certus_verification_records;

COMMENT ON VIEW verification_records IS
  'Read-only view of certus_verification_records with the production guide''s column names and types.';

-- Simple views are updatable in PostgreSQL; a write through them would skip the storage API's validation
-- (and the guide's `integrated_time` cannot be written back), so they refuse writes with a clear message.
CREATE FUNCTION certus_guide_view_read_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is a read-only view of the Certus Trust records; write through the API', TG_TABLE_NAME
    USING ERRCODE = 'read_only_sql_transaction';
END
$$;

CREATE TRIGGER signed_artifacts_read_only INSTEAD OF INSERT OR UPDATE OR DELETE ON signed_artifacts
  FOR EACH ROW EXECUTE FUNCTION certus_guide_view_read_only();
CREATE TRIGGER verification_records_read_only INSTEAD OF INSERT OR UPDATE OR DELETE ON verification_records
  FOR EACH ROW EXECUTE FUNCTION certus_guide_view_read_only();
