import { defineErrorClass } from '@certus-trust/core'

/**
 * Stable error codes of @certus-trust/tlog. Codes are API: adding one is minor, renaming one is major.
 *
 * - `TLOG_ENTRY_INVALID` — the proposed entry is malformed (bad JSON shape, digest, key or encoding).
 * - `TLOG_ENTRY_UNSUPPORTED` — kind/apiVersion, hash algorithm or key type the log does not accept.
 * - `TLOG_SIGNATURE_INVALID` — the entry's signature does not verify with its key or certificate.
 * - `TLOG_ENTRY_CONFLICT` — an equivalent entry (same leaf hash) is already in the log; `details.entryId` names it.
 * - `TLOG_INVALID_REQUEST` — a read request is out of range or malformed (index, tree size, tree ID, query).
 * - `TLOG_TOO_MANY_QUERIES` — a retrieve request asked for more than the allowed number of entries.
 * - `TLOG_KEY_INVALID` — the log key cannot be read, has an unsupported type, or cannot be saved.
 * - `TLOG_KEY_MISMATCH` — the configured key is not the key of the active shard in storage.
 * - `TLOG_INCONSISTENT` — stored tree state contradicts itself (a node or root does not recompute).
 * - `TLOG_STORAGE_FAILED` — the storage backend failed; the entry was not acknowledged.
 * - `TLOG_ABORTED` — the caller's `AbortSignal` fired before the entry was committed.
 * - `TLOG_CLOSED` — the log was closed.
 * - `TLOG_TIMESTAMP_REQUEST_INVALID` — a timestamp request is malformed (bad DER or JSON, digest length, nonce).
 * - `TLOG_TIMESTAMP_UNSUPPORTED` — a timestamp request asks for a hash algorithm, policy or extension the TSA
 *   does not offer.
 * - `TLOG_TSA_KEY_INVALID` — the timestamp authority's keys or certificates cannot be read, saved or used.
 */
export type TlogErrorCode =
  | 'TLOG_ENTRY_INVALID'
  | 'TLOG_ENTRY_UNSUPPORTED'
  | 'TLOG_SIGNATURE_INVALID'
  | 'TLOG_ENTRY_CONFLICT'
  | 'TLOG_INVALID_REQUEST'
  | 'TLOG_TOO_MANY_QUERIES'
  | 'TLOG_KEY_INVALID'
  | 'TLOG_KEY_MISMATCH'
  | 'TLOG_INCONSISTENT'
  | 'TLOG_STORAGE_FAILED'
  | 'TLOG_ABORTED'
  | 'TLOG_CLOSED'
  | 'TLOG_TIMESTAMP_REQUEST_INVALID'
  | 'TLOG_TIMESTAMP_UNSUPPORTED'
  | 'TLOG_TSA_KEY_INVALID'

/** The one error class of @certus-trust/tlog. Check with `TlogError.is(error, 'TLOG_ENTRY_CONFLICT')`. */
// The explicit annotation lets declaration emit name the base type (core's marker symbol is module-private).
const TlogErrorBase: ReturnType<typeof defineErrorClass<TlogErrorCode>> = defineErrorClass<TlogErrorCode>(
  'TlogError',
  {
    TLOG_ENTRY_INVALID: 'invalid_input',
    TLOG_ENTRY_UNSUPPORTED: 'invalid_input',
    // The proposed entry's own signature: the caller's input, not a verification the caller asked for.
    TLOG_SIGNATURE_INVALID: 'invalid_input',
    TLOG_ENTRY_CONFLICT: 'conflict',
    TLOG_INVALID_REQUEST: 'invalid_input',
    TLOG_TOO_MANY_QUERIES: 'invalid_input',
    TLOG_KEY_INVALID: 'invalid_config',
    TLOG_KEY_MISMATCH: 'invalid_config',
    TLOG_INCONSISTENT: 'internal',
    TLOG_STORAGE_FAILED: 'unavailable',
    TLOG_ABORTED: 'unavailable',
    TLOG_CLOSED: 'unavailable',
    TLOG_TIMESTAMP_REQUEST_INVALID: 'invalid_input',
    TLOG_TIMESTAMP_UNSUPPORTED: 'invalid_input',
    TLOG_TSA_KEY_INVALID: 'invalid_config',
  },
)
export class TlogError extends TlogErrorBase {}

/** Throws a {@link TlogError}; `never` lets it end expressions. */
export function fail(
  code: TlogErrorCode,
  message: string,
  details?: Record<string, unknown>,
  cause?: unknown,
): never {
  throw new TlogError({
    code,
    message,
    ...(details ? { details } : {}),
    ...(cause === undefined ? {} : { cause }),
  })
}
