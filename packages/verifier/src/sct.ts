import { createHash, verify as cryptoVerify } from 'node:crypto'
import { children, content, encodeTlv, readNode } from '@certus-trust/core/der'
import type { ParsedCertificate } from '@certus-trust/core/x509'
import { fail } from './errors.js'
import { type TrustedLog, within } from './trust-root.js'

const OID_SCT_LIST = '1.3.6.1.4.1.11129.2.4.2'

interface Sct {
  logId: Buffer
  timestamp: bigint
  extensions: Uint8Array
  hashAlgorithm: number
  signature: Uint8Array
}

/** Parses the TLS-encoded SignedCertificateTimestampList inside the extension (RFC 6962 §3.3). */
function parseSctList(extensionValue: Uint8Array): Sct[] {
  const list = content(readNode(extensionValue))
  const view = Buffer.from(list.buffer, list.byteOffset, list.byteLength)
  const total = view.readUInt16BE(0)
  if (total + 2 !== view.length) throw new Error('SCT list length mismatch')
  const scts: Sct[] = []
  let cursor = 2
  while (cursor < view.length) {
    const length = view.readUInt16BE(cursor)
    const start = cursor + 2
    const end = start + length
    if (end > view.length) throw new Error('truncated SCT')
    if (view[start] !== 0) throw new Error('unsupported SCT version')
    const logId = view.subarray(start + 1, start + 33)
    const timestamp = view.readBigUInt64BE(start + 33)
    const extensionsLength = view.readUInt16BE(start + 41)
    const extensions = view.subarray(start + 43, start + 43 + extensionsLength)
    let offset = start + 43 + extensionsLength
    const hashAlgorithm = view[offset]!
    offset += 2
    const signatureLength = view.readUInt16BE(offset)
    const signature = view.subarray(offset + 2, offset + 2 + signatureLength)
    if (offset + 2 + signatureLength !== end) throw new Error('SCT length mismatch')
    scts.push({ logId: Buffer.from(logId), timestamp, extensions, hashAlgorithm, signature })
    cursor = end
  }
  return scts
}

/** The precertificate TBS: the certificate's TBS with the SCT list extension cut out (RFC 6962 §3.2). */
function precertificateTbs(
  certificate: ParsedCertificate,
  sctExtension: ParsedCertificate['extensions'][number],
): Buffer {
  const tbs = certificate.tbs
  const fields = children(tbs)
  const parts: Uint8Array[] = []
  for (const field of fields) {
    if (field.tag !== 0xa3) {
      parts.push(field.bytes.subarray(field.start, field.end))
      continue
    }
    const list = children(field)[0]!
    const kept = children(list)
      .filter((extension) => extension.start !== sctExtension.node.start)
      .map((extension) => extension.bytes.subarray(extension.start, extension.end))
    parts.push(encodeTlv(0xa3, [encodeTlv(0x30, kept)]))
  }
  return encodeTlv(0x30, parts)
}

const HASHES: Record<number, string> = { 4: 'sha256', 5: 'sha384', 6: 'sha512' }

/**
 * Verifies the embedded SCTs of a certificate against trusted CT logs. An SCT from a trusted log that
 * fails to verify is an error; SCTs from unknown logs are ignored; at least `threshold` must verify.
 * @returns the hex log IDs of verified SCTs.
 * @throws VerifierError `VERIFIER_SCT_INVALID`.
 */
export function verifyScts(
  certificate: ParsedCertificate,
  issuer: ParsedCertificate,
  ctlogs: TrustedLog[],
  threshold: number,
): string[] {
  if (threshold <= 0) return []
  const extension = certificate.extensions.find((item) => item.oid === OID_SCT_LIST)
  if (!extension) fail('VERIFIER_SCT_INVALID', 'certificate carries no signed certificate timestamps')
  let scts: Sct[]
  try {
    scts = parseSctList(extension.value)
  } catch (error) {
    return fail('VERIFIER_SCT_INVALID', 'certificate SCT list is malformed', error)
  }
  if (scts.length > 32) fail('VERIFIER_SCT_INVALID', 'certificate carries more than 32 SCTs')
  const issuerKeyHash = createHash('sha256').update(issuer.spki).digest()
  const tbs = precertificateTbs(certificate, extension)
  const verified: string[] = []
  for (const sct of scts) {
    const at = Number(sct.timestamp)
    const logs = ctlogs.filter((log) => log.logId.equals(sct.logId) && within(log.validFor, at))
    if (logs.length === 0) continue
    const header = Buffer.alloc(12)
    header.writeUInt8(0, 0) // version v1
    header.writeUInt8(0, 1) // signature type: certificate_timestamp
    header.writeBigUInt64BE(sct.timestamp, 2)
    header.writeUInt16BE(1, 10) // entry type: precert_entry
    const tbsLength = Buffer.alloc(3)
    tbsLength.writeUIntBE(tbs.length, 0, 3)
    const extensionsLength = Buffer.alloc(2)
    extensionsLength.writeUInt16BE(sct.extensions.length, 0)
    const signed = Buffer.concat([header, issuerKeyHash, tbsLength, tbs, extensionsLength, sct.extensions])
    const hash = HASHES[sct.hashAlgorithm] ?? 'sha256'
    const ok = logs.some((log) => {
      try {
        return cryptoVerify(hash, signed, log.publicKey, sct.signature)
      } catch {
        return false
      }
    })
    if (!ok) fail('VERIFIER_SCT_INVALID', 'an SCT from a trusted CT log does not verify')
    // One log's SCT counts once toward the threshold, however often it is repeated.
    if (!verified.includes(sct.logId.toString('hex'))) verified.push(sct.logId.toString('hex'))
  }
  if (verified.length < threshold)
    fail(
      'VERIFIER_SCT_INVALID',
      `expected ${threshold} verified SCTs from trusted CT logs, got ${verified.length}`,
    )
  return verified
}
