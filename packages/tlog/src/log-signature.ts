import { hash } from 'node:crypto'
import {
  type EcdsaPresignature,
  ecPrivateScalar,
  signWithEcdsaPresignature,
} from '@certus-trust/core/signing'
import { signLogData } from '@certus-trust/log-protocol'
import type { LogKeyPair } from './log-key.js'

/**
 * A stock of ECDSA presignatures made off the log's thread; the signer's signing threads keep one
 * (`SigningThreads.presignatures('ecdsa-p256')` in `@certus-trust/signer`).
 */
export interface PresignatureSource {
  /** A presignature no one was handed before, or `undefined` when none is in stock. */
  take(): EcdsaPresignature | undefined
}

/**
 * `data` signed with the log key as Rekor v1 signs it (ECDSA P-256: SHA-256, DER) — an entry's SET payload, a
 * checkpoint's note text. With a presignature in stock (ECDSA P-256 log keys) the signature is finished from it — two
 * multiplications here, the nonce and its point made on a signing thread beforehand — instead of one whole OpenSSL
 * signature on this thread, which holds the log, the records and HTTP (issue 12: the largest single cost left on
 * it). Same scheme, a random nonce either way; verifiers cannot tell them apart. Otherwise signed whole here.
 */
export function signWithLogKey(
  key: LogKeyPair,
  data: Uint8Array,
  presignatures: PresignatureSource | undefined,
): Uint8Array {
  const presignature = key.algorithm === 'ecdsa-p256' ? presignatures?.take() : undefined
  if (presignature?.algorithm === 'ecdsa-p256') {
    try {
      return signWithEcdsaPresignature(
        presignature,
        ecPrivateScalar(key.privateKey),
        hash('sha256', data, 'buffer'),
      )
    } catch {
      // s = 0 (about never): sign it whole below.
    }
  }
  return signLogData(key.privateKey, data)
}
