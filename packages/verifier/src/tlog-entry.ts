import {
  hashLeaf,
  signedEntryTimestampPayload,
  verifyInclusionProof,
  verifyLogSignature,
} from '@certus-trust/log-protocol'
import type { TlogEntry } from './bundle.js'
import { parseCheckpointEnvelope, verifyCheckpointSignature } from './checkpoint.js'
import { fail, viaRekor } from './errors.js'
import { type TrustedLog, within } from './trust-root.js'
import type { VerificationCheck, VerifiedTlogEntry } from './verifier.js'

/**
 * Verifies one log entry's inclusion: the signed entry timestamp (with a log key valid at the integrated time)
 * and/or the inclusion proof against a checkpoint signed by the log the entry names. At least one must hold.
 * @throws VerifierError `VERIFIER_UNTRUSTED_LOG`, `VERIFIER_SET_INVALID`, `VERIFIER_CHECKPOINT_SIGNATURE_INVALID`,
 * `VERIFIER_INCLUSION_PROOF_INVALID`, `VERIFIER_TLOG_ENTRY_MISSING`.
 */
export function verifyTlogEntry(entry: TlogEntry, tlogs: TrustedLog[], checks: VerificationCheck[]) {
  const logs = tlogs.filter((log) => log.logId.equals(entry.logId))
  if (logs.length === 0)
    fail('VERIFIER_UNTRUSTED_LOG', 'the entry was not recorded by a transparency log in the trusted root')
  const leaf = hashLeaf(entry.canonicalizedBody)
  const uuid = Buffer.from(leaf.buffer, leaf.byteOffset, leaf.byteLength)
  const verifiedBy: VerifiedTlogEntry['verifiedBy'] = []
  let setTime: number | undefined
  let log: TrustedLog = logs[0]!
  let checkpointInfo: VerifiedTlogEntry['checkpoint']

  if (entry.signedEntryTimestamp) {
    const at = entry.integratedTime * 1000
    // rekor builds the RFC 8785 payload; an index or time it cannot encode (not a safe integer) cannot verify.
    const data = viaRekor('VERIFIER_SET_INVALID', () =>
      signedEntryTimestampPayload({
        body: entry.canonicalizedBody.toString('base64'),
        integratedTime: entry.integratedTime,
        logID: entry.logId.toString('hex'),
        logIndex: Number(entry.logIndex),
      }),
    )
    const signedBy = logs.find(
      (candidate) =>
        within(candidate.validFor, at) &&
        verifyLogSignature(candidate.publicKey, data, entry.signedEntryTimestamp!),
    )
    if (!signedBy)
      fail(
        'VERIFIER_SET_INVALID',
        'the signed entry timestamp does not verify with a log key valid at the integrated time',
      )
    log = signedBy
    verifiedBy.push('signed-entry-timestamp')
    if (!checks.includes('tlog-signed-entry-timestamp')) checks.push('tlog-signed-entry-timestamp')
    if (entry.integratedTime > 0) setTime = at
  }

  const proof = entry.inclusionProof
  if (proof) {
    const checkpoint = parseCheckpointEnvelope(proof.checkpoint)
    log = verifyCheckpointSignature(checkpoint, logs)
    if (!checks.includes('tlog-checkpoint-signature')) checks.push('tlog-checkpoint-signature')
    // The proof's own root and size must be the ones the log signed.
    if (proof.treeSize !== checkpoint.treeSize || !proof.rootHash.equals(checkpoint.rootHash)) {
      fail(
        'VERIFIER_INCLUSION_PROOF_INVALID',
        'the inclusion proof root or size differs from the signed checkpoint',
      )
    }
    verifyInclusion(proof.logIndex, checkpoint.treeSize, leaf, proof.hashes, checkpoint.rootHash)
    verifiedBy.push('inclusion-proof')
    checkpointInfo = { origin: checkpoint.origin, treeSize: checkpoint.treeSize.toString() }
    if (!checks.includes('tlog-inclusion-proof')) checks.push('tlog-inclusion-proof')
  }
  if (verifiedBy.length === 0)
    fail(
      'VERIFIER_TLOG_ENTRY_MISSING',
      'the entry has neither a signed entry timestamp nor a checkpointed inclusion proof',
    )

  const result: VerifiedTlogEntry = {
    baseUrl: log.baseUrl,
    logId: entry.logId.toString('hex'),
    logIndex: entry.logIndex.toString(),
    kind: entry.kind,
    version: entry.version,
    uuid: uuid.toString('hex'),
    integratedTime: entry.integratedTime > 0 ? new Date(entry.integratedTime * 1000) : undefined,
    verifiedBy,
    checkpoint: checkpointInfo,
  }
  return { result, uuid: result.uuid, setTime, log }
}

/**
 * RFC 6962 inclusion check (rekor's `verifyInclusionProof`), reported as the verifier's code.
 * @throws VerifierError `VERIFIER_INCLUSION_PROOF_INVALID` (the RekorError as `cause`).
 */
export function verifyInclusion(
  leafIndex: bigint,
  treeSize: bigint,
  leafHash: Uint8Array,
  proof: Uint8Array[],
  rootHash: Uint8Array,
): void {
  viaRekor('VERIFIER_INCLUSION_PROOF_INVALID', () =>
    verifyInclusionProof({ leafIndex, treeSize, leafHash, proof, rootHash }),
  )
}
