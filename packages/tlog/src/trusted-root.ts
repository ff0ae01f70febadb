import { createPublicKey } from 'node:crypto'
import { toBase64 } from '@certus-trust/core'
import type { LogTree } from '@certus-trust/storage'

/** Sigstore TrustedRoot media type (protobuf-specs `dev.sigstore.trustedroot.v1.TrustedRoot`, JSON form). */
export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1'

/** One `tlogs[]` item of a TrustedRoot (proto3 JSON: bytes as base64, timestamps as RFC 3339). */
export interface TransparencyLogInstanceJson {
  baseUrl: string
  hashAlgorithm: 'SHA2_256'
  publicKey: {
    rawBytes: string
    keyDetails: 'PKIX_ECDSA_P256_SHA_256' | 'PKIX_ED25519'
    validFor: { start: string; end?: string }
  }
  logId: { keyId: string }
  /** Rekor v2 logs: the C2SP signed-note key ID of the checkpoint key (for ECDSA, equal to `logId`). */
  checkpointKeyId?: { keyId: string }
}

/** A Sigstore TrustedRoot JSON document. Members we do not produce are passed through from `base`. */
export interface TrustedRootJson {
  mediaType: string
  tlogs: TransparencyLogInstanceJson[]
  certificateAuthorities: unknown[]
  ctlogs: unknown[]
  timestampAuthorities: unknown[]
  [member: string]: unknown
}

/** Options of `TransparencyLog.exportTrustedRoot`. */
export interface ExportTrustedRootOptions {
  /**
   * A trusted root to extend (e.g. one holding your Fulcio CA or TSA); its `tlogs` entries with one of this log's
   * key IDs are replaced, everything else is kept.
   */
  base?: TrustedRootJson
}

/** Whole seconds, RFC 3339: entry times are whole seconds, so a sub-second start could exclude the first entries. */
function isoSeconds(date: Date, roundUp: boolean): string {
  const seconds = (roundUp ? Math.ceil : Math.floor)(date.getTime() / 1000)
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}

/** The TrustedRoot `tlogs[]` item for one shard. */
export function shardTrustedRootEntry(
  tree: LogTree,
  baseUrl: string,
  checkpointKeyId = false,
): TransparencyLogInstanceJson {
  const der = createPublicKey(tree.publicKeyPem).export({ type: 'spki', format: 'der' })
  const validFor: { start: string; end?: string } = { start: isoSeconds(tree.createdAt, false) }
  if (tree.frozenAt) validFor.end = isoSeconds(tree.frozenAt, true)
  const keyId = Buffer.from(tree.logId, 'hex').toString('base64')
  return {
    baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: {
      rawBytes: toBase64(new Uint8Array(der)),
      keyDetails: tree.keyAlgorithm === 'ed25519' ? 'PKIX_ED25519' : 'PKIX_ECDSA_P256_SHA_256',
      validFor,
    },
    // v1: leave `checkpointKeyId` out, sigstore-js would use it instead of logId for SETs and key hints. v2 (ECDSA
    // only): the C2SP key ID is SHA-256(SPKI), the log ID, and Rekor v2 trusted roots name it in both fields.
    logId: { keyId },
    ...(checkpointKeyId ? { checkpointKeyId: { keyId } } : {}),
  }
}

/** Builds a TrustedRoot naming every shard of the log (oldest first). */
export function buildTrustedRoot(
  trees: readonly LogTree[],
  baseUrl: string,
  options: ExportTrustedRootOptions & { checkpointKeyId?: boolean } = {},
): TrustedRootJson {
  const ours = trees.map((tree) => shardTrustedRootEntry(tree, baseUrl, options.checkpointKeyId))
  const ourIds = new Set(ours.map((entry) => entry.logId.keyId))
  const base = options.base
  const kept = (base?.tlogs ?? []).filter((entry) => !ourIds.has(entry?.logId?.keyId))
  return {
    ...(base ?? {}),
    mediaType: base?.mediaType ?? TRUSTED_ROOT_MEDIA_TYPE,
    tlogs: [...kept, ...ours],
    certificateAuthorities: base?.certificateAuthorities ?? [],
    ctlogs: base?.ctlogs ?? [],
    timestampAuthorities: base?.timestampAuthorities ?? [],
  }
}
