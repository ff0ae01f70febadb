import type { KeyObject } from 'node:crypto'
import { fromBase64, utf8 } from '@certus-trust/core'
import { fail, RekorError } from './errors.js'
import {
  logIdFromPublicKey,
  type PublicKeyInput,
  signLogData,
  signLogDataOffThread,
  toPublicKey,
  verifyLogSignature,
} from './keys.js'
import type { LogEntry } from './log-entry.js'

/** The four fields a Rekor v1 signed entry timestamp covers. */
export interface SignedEntryTimestampInput {
  /** Base64 canonical body, the same string as the REST `body`. */
  body: string
  integratedTime: number
  /** Lower-case hex log ID. */
  logID: string
  /** The global (top-level) log index. */
  logIndex: number
}

/**
 * The bytes a SET signs: RFC 8785 JSON of `{body, integratedTime, logID, logIndex}`.
 * @throws RekorError `REKOR_INVALID_INPUT` when a field has the wrong type.
 */
export function signedEntryTimestampPayload(input: SignedEntryTimestampInput): Uint8Array {
  if (typeof input.body !== 'string' || typeof input.logID !== 'string') {
    fail('REKOR_INVALID_INPUT', 'SET payload needs string body and logID')
  }
  if (!Number.isSafeInteger(input.integratedTime) || !Number.isSafeInteger(input.logIndex)) {
    fail('REKOR_INVALID_INPUT', 'SET payload needs integer integratedTime and logIndex')
  }
  // RFC 8785 of these four fields, written out (one per log entry, on the log's thread): the keys in their sorted
  // order, strings as JSON.stringify writes them (RFC 8785 §3.2.2.2), safe integers in decimal (§3.2.2.3; -0 as 0).
  // Property-tested against canonicalJson.
  return utf8(
    `{"body":${JSON.stringify(input.body)},"integratedTime":${input.integratedTime},` +
      `"logID":${JSON.stringify(input.logID)},"logIndex":${input.logIndex}}`,
  )
}

/** Signs a SET payload like Rekor v1 (ECDSA SHA-256 DER, Ed25519, or RSA PKCS#1 v1.5 SHA-256). */
export function signSignedEntryTimestamp(
  input: SignedEntryTimestampInput,
  privateKey: KeyObject,
): Uint8Array {
  return signLogData(privateKey, signedEntryTimestampPayload(input))
}

/** {@link signSignedEntryTimestamp} on libuv's thread pool, for a log signing a batch of SETs at once. */
export function signSignedEntryTimestampOffThread(
  input: SignedEntryTimestampInput,
  privateKey: KeyObject,
): Promise<Uint8Array> {
  return signLogDataOffThread(privateKey, signedEntryTimestampPayload(input))
}

/**
 * Verifies an entry's signed entry timestamp with the log key. The entry's `logID` must be the key's log ID.
 * @throws RekorError `REKOR_SET_INVALID`.
 */
export function verifySignedEntryTimestamp(entry: LogEntry, publicKey: PublicKeyInput): void {
  const encoded = entry.verification?.signedEntryTimestamp
  if (typeof encoded !== 'string') fail('REKOR_SET_INVALID', 'entry has no signed entry timestamp')
  const signature = fromBase64(encoded)
  if (!signature || signature.length === 0) fail('REKOR_SET_INVALID', 'signed entry timestamp is not base64')
  let key: KeyObject
  try {
    key = toPublicKey(publicKey)
  } catch (error) {
    throw new RekorError({ code: 'REKOR_SET_INVALID', message: 'SET key is unusable', cause: error })
  }
  if (logIdFromPublicKey(key) !== String(entry.logID).toLowerCase()) {
    fail('REKOR_SET_INVALID', 'entry logID is not the log ID of the given key', { logID: entry.logID })
  }
  let payload: Uint8Array
  try {
    payload = signedEntryTimestampPayload(entry)
  } catch (error) {
    throw new RekorError({
      code: 'REKOR_SET_INVALID',
      message: 'entry fields cannot form a SET payload',
      cause: error,
    })
  }
  if (!verifyLogSignature(key, payload, signature)) {
    fail('REKOR_SET_INVALID', 'signed entry timestamp does not verify with the log key')
  }
}
