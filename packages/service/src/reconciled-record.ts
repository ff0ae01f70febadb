import { X509Certificate } from 'node:crypto'
import { PROTOBUF_HASH_NAMES, type SigstoreHash } from '@certus-trust/core'
import type { LogEntry } from '@certus-trust/log-protocol'
import {
  type EntryBody,
  parseEntryBody,
  toBundleTransparencyLogEntry,
} from '@certus-trust/log-protocol/entries'
import type { JsonValue, NewSignedArtifact } from '@certus-trust/storage'
import { entryFieldsForRecord } from './entry-record-fields.js'

/** `artifactType` of a record rebuilt from its log entry: what the caller asked for is not in the log. */
export const RECONCILED_ARTIFACT_TYPE = 'reconciled'

const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json'

/** The PEM (key or certificate) an entry body names its signer by, decoded from base64. */
function signerPem(body: EntryBody): string {
  if (body.kind === 'hashedrekord')
    return Buffer.from(body.spec.signature.publicKey.content, 'base64').toString()
  if (body.kind === 'dsse') return Buffer.from(body.spec.signatures[0]!.verifier, 'base64').toString()
  const key = body.spec.content.envelope.signatures[0]!.publicKey
  // The service never logs intoto entries; one without a key names no signer a record could hold.
  if (!key) throw new Error('an intoto entry without a public key cannot be recorded')
  return Buffer.from(key, 'base64').toString()
}

/**
 * The bundle the log entry supports: key material, the entry (with its inclusion proof and SET) and, for a
 * hashedrekord, the message signature. A DSSE entry keeps only hashes of the envelope, so its bundle has no
 * content: the envelope went to nobody (the caller was told the signing failed).
 */
function bundleFromEntry(entry: LogEntry, body: EntryBody, pem: string, signature: string) {
  const keyMaterial = pem.includes('CERTIFICATE')
    ? { certificate: { rawBytes: new X509Certificate(pem).raw.toString('base64') } }
    : { publicKey: { hint: '' } }
  const content =
    body.kind === 'hashedrekord'
      ? {
          messageSignature: {
            messageDigest: {
              algorithm: PROTOBUF_HASH_NAMES[body.spec.data.hash.algorithm as SigstoreHash] ?? 'SHA2_256',
              digest: Buffer.from(body.spec.data.hash.value, 'hex').toString('base64'),
            },
            signature,
          },
        }
      : {}
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      ...keyMaterial,
      tlogEntries: [toBundleTransparencyLogEntry(entry)],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    ...content,
  } as unknown as { [key: string]: JsonValue }
}

/**
 * The SignedArtifact record of a log entry whose record was never written (see `reconcileOrphans`): everything
 * the entry says — artifact digest, signature, key or certificate, index, time, a bundle — under artifactType
 * `reconciled`, with the digest as subject, since the caller's type, subject, predicates and idempotency key
 * are not in the log.
 * @throws RekorError `REKOR_BODY_INVALID` for a body it cannot read.
 */
export function reconciledRecord(entry: LogEntry): NewSignedArtifact {
  const body = parseEntryBody(entry.body)
  const fields = entryFieldsForRecord(entry, body)
  const pem = signerPem(body)
  return {
    artifactHash: fields.artifactHash,
    artifactType: RECONCILED_ARTIFACT_TYPE,
    subject: fields.artifactHash,
    signature: fields.signature,
    ...(pem.includes('CERTIFICATE') ? { certificate: pem } : { publicKey: pem }),
    bundle: bundleFromEntry(entry, body, pem, fields.signature),
    transparencyEntryUuid: entry.uuid.toLowerCase(),
    logIndex: fields.logIndex,
    integratedTime: fields.integratedTime,
    logId: entry.logID.toLowerCase(),
  }
}
