import {
  type Checkpoint,
  namedNoteKeyId,
  parseCheckpoint,
  RekorError,
  verifyCheckpoint,
} from '@certus-trust/log-protocol'
import { fail, viaRekor } from './errors.js'
import type { TrustedLog } from './trust-root.js'

// Parsing and signature checking are @certus-trust/log-protocol's (one copy of the protocol code); this module adds what
// only a verifier knows: resource limits for untrusted bundles and which trusted-root log may sign which note.

/** Upper bound on signature lines (log signature plus witness cosignatures). */
export const MAX_SIGNATURE_LINES = 64

/** Upper bound on a checkpoint's length: real ones are well under 16 KiB even with 64 cosignatures. */
export const MAX_CHECKPOINT_LENGTH = 65_536

/**
 * Parses a C2SP signed note carrying a tlog checkpoint (Rekor v1 and v2 both use it) with rekor's strict parser,
 * within the verifier's resource limits.
 * @throws VerifierError `VERIFIER_CHECKPOINT_SIGNATURE_INVALID` when malformed or over a limit.
 */
export function parseCheckpointEnvelope(envelope: string): Checkpoint {
  // Bounds the work (decimal size → BigInt, base64 decoding) an attacker can ask for before any check.
  if (envelope.length > MAX_CHECKPOINT_LENGTH)
    fail(
      'VERIFIER_CHECKPOINT_SIGNATURE_INVALID',
      `checkpoint is longer than ${MAX_CHECKPOINT_LENGTH} characters`,
    )
  const checkpoint = viaRekor('VERIFIER_CHECKPOINT_SIGNATURE_INVALID', () => parseCheckpoint(envelope))
  // Each plausible line may cost a signature check: bound the work an attacker can ask for.
  if (checkpoint.signatures.length > MAX_SIGNATURE_LINES)
    fail(
      'VERIFIER_CHECKPOINT_SIGNATURE_INVALID',
      `checkpoint carries more than ${MAX_SIGNATURE_LINES} signatures`,
    )
  return checkpoint
}

/** True when a signature line is signed under the checkpoint's own origin (`name` or `name - <tree id>`). */
function signsOrigin(checkpoint: Checkpoint, name: string): boolean {
  return checkpoint.origin === name || checkpoint.origin.startsWith(`${name} - `)
}

/**
 * True when the trusted root ties signer `name` to `log`: its checkpoint key ID is the C2SP key ID of the log key
 * under that name (Ed25519 and RSA note keys commit to their name; Rekor v2 logs), or, for keys whose ID names
 * nothing (ECDSA, every Rekor v1 log), its base URL contains the name (sigstore-js's rule).
 */
function namesLog(log: TrustedLog, name: string): boolean {
  if (log.baseUrl.includes(name)) return true
  const keyId = namedNoteKeyId(name, log.publicKey)
  return keyId !== undefined && log.checkpointKeyId.equals(keyId)
}

/**
 * Finds the trusted log (among `logs`, the ones the entry names) that signed the checkpoint. A line counts
 * only if its name is the origin's host part, the trusted root ties that name to the log ({@link namesLog}), its
 * key hint is the first 4 bytes of the log's checkpoint key ID (SHA-256(SPKI) for Rekor v1, the C2SP key ID for
 * v2) and it verifies (rekor's `verifyCheckpoint`). Other lines (witness cosignatures) are ignored.
 * @throws VerifierError `VERIFIER_CHECKPOINT_SIGNATURE_INVALID`.
 */
export function verifyCheckpointSignature(checkpoint: Checkpoint, logs: TrustedLog[]): TrustedLog {
  const fromOrigin = checkpoint.signatures.filter((line) => signsOrigin(checkpoint, line.name))
  for (const log of logs) {
    const signatures = fromOrigin.filter((line) => namesLog(log, line.name))
    if (signatures.length === 0) continue
    try {
      verifyCheckpoint(
        { ...checkpoint, signatures },
        { publicKey: log.publicKey, keyHint: log.checkpointKeyId.subarray(0, 4) },
      )
      return log
    } catch (error) {
      // Not this log: try the next one the entry may name (e.g. the same log under another validity window).
      if (!RekorError.is(error)) throw error
    }
  }
  return fail(
    'VERIFIER_CHECKPOINT_SIGNATURE_INVALID',
    'no checkpoint signature from the trusted log verifies',
  )
}
