import { createHash, type KeyObject } from 'node:crypto'
import { bytesEqual, fromAnyBase64, fromBase64, fromHex, toHex } from '@certus-trust/core'
import { type Checkpoint, verifyCheckpoint } from './checkpoint.js'
import {
  type EntryBody,
  type ExpectedEntryContent,
  parseDsseEnvelope,
  parseEntryBody,
  verifyEntryBodyMatches,
  verifyEntryBodySignature,
} from './entry-body.js'
import { RekorError, type RekorErrorCode } from './errors.js'
import { logIdFromPublicKey, type PublicKeyInput, toPublicKey } from './keys.js'
import type { LogEntry } from './log-entry.js'
import { hashLeaf, verifyInclusionProof } from './merkle.js'
import { verifySignedEntryTimestamp } from './signed-entry-timestamp.js'

/** The checks {@link verifyEntry} can run. */
export type EntryCheck =
  | 'uuid'
  | 'logId'
  | 'body'
  | 'signedEntryTimestamp'
  | 'checkpoint'
  | 'inclusionProof'
  | 'artifact'
  | 'expectedContent'
  | 'signature'

/** Options of {@link verifyEntry}. */
export interface VerifyEntryOptions {
  /** The log's public key (KeyObject or PEM). */
  logKey: PublicKeyInput
  /** The artifact: its digest must be the recorded one, and the recorded signature must verify over it. */
  artifact?: Uint8Array
  /** DSSE envelope JSON text for dsse/intoto entries: checked against the body and its signatures verified. */
  envelope?: string
  /** Extra fields the body must record (digest, signature, key or certificate). */
  expected?: ExpectedEntryContent
  /** Checkpoint signer name to require (e.g. `rekor.sigstore.dev`). */
  checkpointName?: string
  /**
   * Require the SET and the inclusion proof to both be present.
   * @default false — at least one of them is required.
   */
  requireBoth?: boolean
}

/** What {@link verifyEntry} established. */
export interface VerifyEntryResult {
  /** Checks that ran and passed, in order. */
  passed: EntryCheck[]
  /** Checks that could not run because the entry or options lacked their input. */
  skipped: EntryCheck[]
  body: EntryBody
  /** The verified checkpoint, when the entry had an inclusion proof. */
  checkpoint?: Checkpoint
}

function failed(check: EntryCheck, code: RekorErrorCode, message: string, cause?: unknown): never {
  throw new RekorError({
    code,
    message: `entry check "${check}" failed: ${message}`,
    details: { check },
    ...(cause ? { cause } : {}),
  })
}

/**
 * Verifies a log entry offline: its UUID is the leaf hash of its body, its log ID is the key's, its SET verifies,
 * its checkpoint is signed by the log key, its inclusion proof leads to the checkpoint's root (and the proof's own
 * rootHash/treeSize agree with the checkpoint), and — when given — the artifact, envelope and expected content
 * match the body and the body's signature verifies.
 * Asynchronous for the body's signature check (see `verifyEntryBodySignature`).
 * @returns which checks passed and which were skipped.
 * @throws RekorError whose `details.check` names the failed check; codes `REKOR_ENTRY_INVALID`, `REKOR_BODY_INVALID`,
 * `REKOR_SET_INVALID`, `REKOR_CHECKPOINT_SIGNATURE_INVALID`, `REKOR_CHECKPOINT_INVALID`,
 * `REKOR_INCLUSION_PROOF_INVALID`, `REKOR_BODY_MISMATCH`, `REKOR_SIGNATURE_INVALID`.
 */
export async function verifyEntry(entry: LogEntry, options: VerifyEntryOptions): Promise<VerifyEntryResult> {
  const passed: EntryCheck[] = []
  const skipped: EntryCheck[] = []
  const run = async (check: EntryCheck, action: () => void | Promise<void>) => {
    try {
      await action()
    } catch (error) {
      if (RekorError.is(error) && error.details.check !== undefined) throw error
      if (RekorError.is(error)) failed(check, error.code as RekorErrorCode, error.message, error)
      failed(check, 'REKOR_ENTRY_INVALID', String(error), error)
    }
    passed.push(check)
  }
  const bodyBytes = fromBase64(entry.body)
  if (!bodyBytes) failed('body', 'REKOR_BODY_INVALID', 'body is not base64')
  const leafHash = hashLeaf(bodyBytes)

  await run('uuid', () => {
    const uuid = String(entry.uuid).toLowerCase()
    if (!/^(?:[0-9a-f]{16})?[0-9a-f]{64}$/.test(uuid))
      failed('uuid', 'REKOR_ENTRY_INVALID', 'uuid is neither 64 nor 80 hex characters')
    if (uuid.slice(-64) !== toHex(leafHash))
      failed('uuid', 'REKOR_ENTRY_INVALID', 'uuid is not the leaf hash of the body')
  })
  let key!: KeyObject
  await run('logId', () => {
    key = toPublicKey(options.logKey)
    if (logIdFromPublicKey(key) !== String(entry.logID).toLowerCase())
      failed('logId', 'REKOR_ENTRY_INVALID', "logID is not the log key's")
  })
  let body!: EntryBody
  await run('body', () => {
    body = parseEntryBody(entry.body)
  })

  const set = entry.verification?.signedEntryTimestamp
  const proof = entry.verification?.inclusionProof
  if (!set && !proof)
    failed(
      'signedEntryTimestamp',
      'REKOR_ENTRY_INVALID',
      'entry has neither a signed entry timestamp nor an inclusion proof',
    )
  if (options.requireBoth && (!set || !proof)) {
    failed(
      set ? 'inclusionProof' : 'signedEntryTimestamp',
      'REKOR_ENTRY_INVALID',
      'both a SET and an inclusion proof are required',
    )
  }
  if (set) await run('signedEntryTimestamp', () => verifySignedEntryTimestamp(entry, key))
  else skipped.push('signedEntryTimestamp')

  let checkpoint: Checkpoint | undefined
  if (proof) {
    await run('checkpoint', () => {
      checkpoint = verifyCheckpoint(proof.checkpoint, {
        publicKey: key,
        ...(options.checkpointName ? { name: options.checkpointName } : {}),
      })
    })
    await run('inclusionProof', () => {
      const cp = checkpoint!
      const rootHash = fromHex(proof.rootHash)
      const hashes = proof.hashes.map((hash) => fromHex(hash))
      if (!rootHash || hashes.some((hash) => !hash))
        failed('inclusionProof', 'REKOR_INCLUSION_PROOF_INVALID', 'proof hashes are not hex')
      // Verify against the signed checkpoint (what sigstore-js trusts), and insist the unsigned copies agree.
      if (!bytesEqual(rootHash, cp.rootHash) || BigInt(proof.treeSize) !== cp.treeSize) {
        failed(
          'inclusionProof',
          'REKOR_INCLUSION_PROOF_INVALID',
          'proof rootHash/treeSize differ from the signed checkpoint',
        )
      }
      verifyInclusionProof({
        leafIndex: proof.logIndex,
        treeSize: cp.treeSize,
        leafHash,
        proof: hashes as Uint8Array[],
        rootHash: cp.rootHash,
      })
    })
  } else {
    skipped.push('checkpoint', 'inclusionProof')
  }

  if (options.artifact !== undefined && body.kind === 'hashedrekord') {
    await run('artifact', () => {
      const algorithm = body.kind === 'hashedrekord' ? body.spec.data.hash.algorithm : 'sha256'
      const digest = createHash(algorithm).update(options.artifact!).digest('hex')
      verifyEntryBodyMatches(body, { digest: `${algorithm}:${digest}` })
    })
  } else if (options.artifact !== undefined) {
    // For DSSE kinds the artifact is a subject of the in-toto statement the envelope carries.
    await run('artifact', () => {
      if (!options.envelope)
        failed(
          'artifact',
          'REKOR_INVALID_INPUT',
          'a dsse/intoto entry needs the envelope to relate it to an artifact',
        )
      const digest = createHash('sha256').update(options.artifact!).digest('hex')
      if (!inTotoSubjectDigests(options.envelope).includes(digest)) {
        failed('artifact', 'REKOR_BODY_MISMATCH', 'the artifact is not a subject of the in-toto statement')
      }
    })
  } else skipped.push('artifact')

  if (options.expected || options.envelope) {
    await run('expectedContent', () =>
      verifyEntryBodyMatches(body, {
        ...options.expected,
        ...(options.envelope ? { envelope: options.envelope } : {}),
      }),
    )
  } else skipped.push('expectedContent')

  if (body.kind === 'hashedrekord' || options.envelope) {
    await run('signature', () =>
      verifyEntryBodySignature(body, {
        ...(options.artifact ? { artifact: options.artifact } : {}),
        ...(options.envelope ? { envelope: options.envelope } : {}),
      }),
    )
  } else skipped.push('signature')

  return { passed, skipped, body, ...(checkpoint ? { checkpoint } : {}) }
}

/** Lower-case hex SHA-256 subject digests of the in-toto statement inside a DSSE envelope (none if not in-toto). */
function inTotoSubjectDigests(envelopeText: string): string[] {
  const envelope = parseDsseEnvelope(envelopeText)
  const payload = fromAnyBase64(envelope.payload)
  if (!payload) return []
  try {
    const statement = JSON.parse(Buffer.from(payload).toString('utf8')) as {
      subject?: Array<{ digest?: { sha256?: unknown } }>
    }
    return (statement.subject ?? []).flatMap((subject) =>
      typeof subject?.digest?.sha256 === 'string' ? [subject.digest.sha256.toLowerCase()] : [],
    )
  } catch {
    return []
  }
}
