import { createPublicKey, X509Certificate } from 'node:crypto'
import { publicKeyFingerprint, toHex } from '@certus-trust/core'
import { identityNames, parseCertificate, subjectAltNames } from '@certus-trust/core/x509'
import type { LogEntry } from '@certus-trust/log-protocol'
import { parseEntryBody } from '@certus-trust/log-protocol/entries'
import type { SignResult } from '@certus-trust/signer'
import type {
  JsonValue,
  NewSignedArtifact,
  NewVerificationRecord,
  SignedArtifact,
} from '@certus-trust/storage'
import { entryFieldsForRecord } from './entry-record-fields.js'
import type { SignRequest, SignResponse, TransparencyEntry, VerifyRequest, VerifyResponse } from './types.js'

/*
 * The mapping between the records storage holds and what the service returns: one place, so the sign
 * response, the entry views and the stored rows cannot disagree.
 */

/** ISO 8601 of a Unix time in seconds (0 when unknown). */
export const isoSeconds = (seconds: number | undefined) => new Date((seconds ?? 0) * 1000).toISOString()

/** `sha256:<hex>` of a PEM key's (or certificate's key's) DER SPKI. */
export function keyFingerprint(pem: string): string {
  const key = pem.includes('CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem)
  return `sha256:${toHex(publicKeyFingerprint(key))}`
}

// The signer's name as the verifier reads it (core's strict parser): the first identity SAN — URI, email or
// Fulcio username, never a DNS name.
function certificateIdentity(pem: string): string | undefined {
  return identityNames(subjectAltNames(parseCertificate(new X509Certificate(pem).raw)))[0]
}

/** Who signed a record: the certificate's first SAN, else the key fingerprint; null when unparseable. */
export function signerName(record: {
  publicKey?: string | undefined
  certificate?: string | undefined
}): string | null {
  try {
    if (record.certificate)
      return certificateIdentity(record.certificate) ?? keyFingerprint(record.certificate)
    if (record.publicKey) return keyFingerprint(record.publicKey)
  } catch {
    // A record whose key cannot be parsed still lists; it just has no signer name.
  }
  return null
}

function signatureOf(result: SignResult): string {
  const bundle = result.bundle as {
    messageSignature?: { signature: string }
    dsseEnvelope?: { signatures: Array<{ sig: string }> }
  }
  return bundle.messageSignature?.signature ?? bundle.dsseEnvelope?.signatures[0]?.sig ?? ''
}

/** The SignedArtifact row for a signature the log (when there is one) acknowledged. */
export function signedArtifactRecord(
  request: SignRequest,
  result: SignResult,
  entry: LogEntry | undefined,
): NewSignedArtifact {
  return {
    artifactHash: request.artifact,
    artifactType: request.artifact_type,
    subject: request.subject,
    signature: signatureOf(result),
    ...(result.certificatePem ? { certificate: result.certificatePem } : {}),
    ...(result.publicKeyPem ? { publicKey: result.publicKeyPem } : {}),
    bundle: result.bundle as unknown as { [key: string]: JsonValue },
    // The entry's own fields: the signer has checked that its body records this signature and that its proof
    // leads to the log's checkpoint, so there is nothing to re-derive from the body here.
    ...(entry
      ? {
          transparencyEntryUuid: entry.uuid.toLowerCase(),
          logIndex: entry.logIndex,
          integratedTime: entry.integratedTime,
          logId: entry.logID.toLowerCase(),
        }
      : {}),
    ...(request.predicates ? { predicates: request.predicates as unknown as JsonValue } : {}),
    ...(request.idempotency_key ? { idempotencyKey: request.idempotency_key } : {}),
  }
}

/** The sign response a stored record stands for (first call and idempotent retries answer alike). */
export function signResponseFromRecord(record: SignedArtifact): SignResponse {
  return {
    entry_id: record.transparencyEntryUuid ?? record.id,
    signature: record.signature,
    ...(record.certificate ? { certificate: record.certificate } : {}),
    ...(record.publicKey ? { public_key: record.publicKey } : {}),
    ...(record.transparencyEntryUuid !== undefined
      ? {
          transparency_entry: {
            uuid: record.transparencyEntryUuid,
            index: record.logIndex ?? 0,
            timestamp: isoSeconds(record.integratedTime),
          },
        }
      : {}),
    bundle: record.bundle as Record<string, unknown>,
  }
}

/** The VerificationRecord row of one verification (bounded failure message, signature only if base64). */
export function verificationRecord(request: VerifyRequest, response: VerifyResponse): NewVerificationRecord {
  const signature =
    'signature' in request
      ? request.signature
      : ((request.bundle.messageSignature as { signature?: unknown } | undefined)?.signature ??
        (request.bundle.dsseEnvelope as { signatures?: Array<{ sig?: unknown }> } | undefined)
          ?.signatures?.[0]?.sig)
  return {
    artifactHash: request.artifact,
    ...(typeof signature === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(signature) ? { signature } : {}),
    valid: response.valid,
    ...(response.signer ? { signer: response.signer } : {}),
    ...(response.issuer ? { issuer: response.issuer } : {}),
    ...(response.transparency_index !== null ? { transparencyIndex: response.transparency_index } : {}),
    ...(response.failure
      ? { failureCode: response.failure.code, failureMessage: response.failure.message.slice(0, 1000) }
      : {}),
  }
}

/** A log entry as the API shows it, with the record's artifact digest when one is stored. */
export function entryView(
  entry: LogEntry,
  record: SignedArtifact | undefined,
  includeProof: boolean,
): TransparencyEntry {
  const body = parseEntryBody(entry.body)
  const fields = entryFieldsForRecord(entry, body)
  const proof = entry.verification?.inclusionProof
  return {
    entry_id: entry.uuid.toLowerCase(),
    uuid: fields.uuid,
    artifact: record?.artifactHash ?? fields.artifactHash,
    timestamp: isoSeconds(entry.integratedTime),
    signer: fields.signer.subjectAlternativeName ?? fields.signer.keyFingerprint,
    signature: fields.signature,
    log_index: entry.logIndex,
    kind: body.kind,
    body: entry.body,
    ...(entry.verification?.signedEntryTimestamp
      ? { signed_entry_timestamp: entry.verification.signedEntryTimestamp }
      : {}),
    ...(includeProof && proof
      ? {
          proof: {
            log_index: proof.logIndex,
            tree_size: proof.treeSize,
            root_hash: proof.rootHash,
            hashes: proof.hashes,
            checkpoint: proof.checkpoint,
          },
        }
      : {}),
  }
}

/** A stored record as an entry view, from its bundle (no log read). */
export function recordView(record: SignedArtifact): TransparencyEntry {
  const entry = (
    record.bundle.verificationMaterial as { tlogEntries?: Array<Record<string, unknown>> } | undefined
  )?.tlogEntries?.[0]
  const kind =
    (entry?.kindVersion as { kind?: string } | undefined)?.kind ??
    (record.bundle.dsseEnvelope ? 'dsse' : 'hashedrekord')
  const id = record.transparencyEntryUuid ?? record.id
  const set = (entry?.inclusionPromise as { signedEntryTimestamp?: string } | undefined)?.signedEntryTimestamp
  return {
    entry_id: id,
    uuid: id.slice(-64),
    artifact: record.artifactHash,
    timestamp: isoSeconds(record.integratedTime),
    signer: signerName(record),
    signature: record.signature,
    log_index: record.logIndex ?? 0,
    kind,
    body: typeof entry?.canonicalizedBody === 'string' ? entry.canonicalizedBody : '',
    ...(set ? { signed_entry_timestamp: set } : {}),
  }
}
