import { fromBase64, fromHex, toBase64, toHex } from '@certus-trust/core'
import * as z from 'zod'
import { parseEntryBody } from './entry-body.js'
import { fail, RekorError } from './errors.js'
import type { LogEntry } from './log-entry.js'
import { hashLeaf } from './merkle.js'

/** Sigstore bundle v0.3 `TransparencyLogEntry` in proto3 JSON (int64 as strings, bytes as base64). */
export interface TransparencyLogEntryJson {
  logIndex: string
  logId: { keyId: string }
  kindVersion: { kind: string; version: string }
  integratedTime: string
  inclusionPromise?: { signedEntryTimestamp: string }
  inclusionProof?: {
    logIndex: string
    rootHash: string
    treeSize: string
    hashes: string[]
    checkpoint: { envelope: string }
  }
  canonicalizedBody: string
}

function hexToBase64(hex: string, field: string): string {
  const bytes = fromHex(hex)
  if (!bytes) fail('REKOR_ENTRY_INVALID', `${field} is not hex`, { field })
  return toBase64(bytes)
}

/**
 * Converts a Rekor v1 entry to the Sigstore bundle v0.3 `TransparencyLogEntry` JSON. `kindVersion` comes from the
 * parsed body.
 * @throws RekorError `REKOR_BODY_INVALID` or `REKOR_ENTRY_INVALID`.
 */
export function toBundleTransparencyLogEntry(entry: LogEntry): TransparencyLogEntryJson {
  const body = parseEntryBody(entry.body)
  const result: TransparencyLogEntryJson = {
    logIndex: String(entry.logIndex),
    logId: { keyId: hexToBase64(entry.logID, 'logID') },
    kindVersion: { kind: body.kind, version: body.apiVersion },
    integratedTime: String(entry.integratedTime),
    canonicalizedBody: entry.body,
  }
  const set = entry.verification?.signedEntryTimestamp
  if (set !== undefined) result.inclusionPromise = { signedEntryTimestamp: set }
  const proof = entry.verification?.inclusionProof
  if (proof) {
    result.inclusionProof = {
      logIndex: String(proof.logIndex),
      rootHash: hexToBase64(proof.rootHash, 'inclusionProof.rootHash'),
      treeSize: String(proof.treeSize),
      hashes: proof.hashes.map((hash, index) => hexToBase64(hash, `inclusionProof.hashes.${index}`)),
      checkpoint: { envelope: proof.checkpoint },
    }
  }
  return result
}

// Schemas are built on first use (z.lazy): importing this module builds none (start-up of `certus`, issue 11).
const Int64String = z.lazy(() =>
  z
    .union([z.string().regex(/^(?:0|[1-9][0-9]*)$/), z.number().int().nonnegative()])
    .transform(Number)
    .pipe(z.number().refine(Number.isSafeInteger, 'exceeds 2^53')),
)
const Base64String = z.lazy(() => z.string().refine((value) => fromBase64(value) !== undefined, 'not base64'))

const BundleEntrySchema = z.lazy(() =>
  z.object({
    logIndex: Int64String,
    logId: z.object({ keyId: Base64String }),
    kindVersion: z.object({ kind: z.string(), version: z.string() }).optional(),
    integratedTime: Int64String,
    inclusionPromise: z.object({ signedEntryTimestamp: Base64String }).nullish(),
    inclusionProof: z
      .object({
        logIndex: Int64String,
        rootHash: Base64String,
        treeSize: Int64String,
        hashes: z.array(Base64String),
        checkpoint: z.object({ envelope: z.string() }),
      })
      .nullish(),
    canonicalizedBody: Base64String,
  }),
)

/**
 * Converts a bundle `TransparencyLogEntry` (JSON) back into a Rekor v1 {@link LogEntry}. `uuid` becomes the
 * 64-hex leaf hash of the canonicalized body.
 * @throws RekorError `REKOR_ENTRY_INVALID` naming the field.
 */
export function fromBundleTransparencyLogEntry(json: unknown): LogEntry {
  const parsed = BundleEntrySchema.safeParse(json)
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') ?? ''
    throw new RekorError({
      code: 'REKOR_ENTRY_INVALID',
      message: `bundle tlog entry is invalid at ${field || '(root)'}`,
      details: { field },
      cause: parsed.error,
    })
  }
  const value = parsed.data
  const hex = (b64: string) => toHex(fromBase64(b64)!)
  const entry: LogEntry = {
    uuid: toHex(hashLeaf(fromBase64(value.canonicalizedBody)!)),
    body: value.canonicalizedBody,
    integratedTime: value.integratedTime,
    logID: hex(value.logId.keyId),
    logIndex: value.logIndex,
  }
  const verification: NonNullable<LogEntry['verification']> = {}
  if (value.inclusionPromise) verification.signedEntryTimestamp = value.inclusionPromise.signedEntryTimestamp
  if (value.inclusionProof) {
    verification.inclusionProof = {
      logIndex: value.inclusionProof.logIndex,
      rootHash: hex(value.inclusionProof.rootHash),
      treeSize: value.inclusionProof.treeSize,
      hashes: value.inclusionProof.hashes.map(hex),
      checkpoint: value.inclusionProof.checkpoint.envelope,
    }
  }
  if (verification.signedEntryTimestamp !== undefined || verification.inclusionProof)
    entry.verification = verification
  return entry
}
