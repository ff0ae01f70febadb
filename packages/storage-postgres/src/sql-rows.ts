// The PostgreSQL dialect of the shared SQL backend code (pg and PGlite run the same SQL).
import { type SqlDialect, sqlRowMappers } from '@certus-trust/storage/backend'

// Bound parameters per statement stay far below PostgreSQL's 65535 limit.
export const ROWS_PER_INSERT = 500

/**
 * How pg (and PGlite) return and take timestamps, booleans and arrays, and name parameters. Records select their
 * uuid and json columns as text: the drivers would otherwise parse JSON documents, which must come back byte for byte.
 */
export const POSTGRES_DIALECT: SqlDialect = {
  date: (value) => new Date((value instanceof Date ? value : new Date(String(value))).getTime()),
  boolean: (value) => value === true,
  stringArray: (value) => (value as unknown[]).map(String),
  bindDate: (value) => value,
  bindBoolean: (value) => value,
  bindStringArray: (value) => value,
  param: (n, cast) => (cast === undefined ? `$${n}` : `$${n}::${cast}`),
  artifactColumns: `id::text AS id, artifact_hash, artifact_type, subject, signature, certificate, public_key,
  bundle::text AS bundle, transparency_entry_uuid, log_index, integrated_time, log_id, predicates::text AS predicates,
  created_at, idempotency_key`,
  verificationColumns: `id::text AS id, artifact_hash, signature, valid, signer, issuer, verified_at, transparency_index,
  failure_code, failure_message`,
}

export const rows = sqlRowMappers(POSTGRES_DIALECT)

/** Builds `($1, $2, …), (…)` for `rows` rows of `columns` values starting at parameter `offset + 1`. */
export function valuesList(rows: number, columns: number, offset = 0, casts: string[] = []): string {
  const tuples: string[] = []
  for (let row = 0; row < rows; row++) {
    const cells: string[] = []
    for (let column = 0; column < columns; column++) {
      cells.push(`$${offset + row * columns + column + 1}${casts[column] ?? ''}`)
    }
    tuples.push(`(${cells.join(', ')})`)
  }
  return tuples.join(', ')
}

export function chunks<T>(items: ReadonlyArray<T>, size: number): T[][] {
  const result: T[][] = []
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size))
  return result
}
