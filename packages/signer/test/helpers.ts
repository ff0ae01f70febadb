import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createRequire } from 'node:module'
import {
  type EntryCreator,
  hashChildren,
  hashLeaf,
  type LogEntry,
  logIdFromPublicKey,
  signCheckpoint,
  signSignedEntryTimestamp,
} from '@certus-trust/log-protocol'
import { canonicalizeProposedEntry, type ProposedEntry } from '@certus-trust/log-protocol/entries'
import { bundleFromJSON, type SerializedBundle } from '@sigstore/bundle'
import { toSignedEntity, toTrustMaterial, Verifier, type VerifierOptions } from '@sigstore/verify'

// @sigstore/protobuf-specs is not our dependency; load it from @sigstore/verify's own tree.
const requireFromVerify = createRequire(createRequire(import.meta.url).resolve('@sigstore/verify'))
const { TrustedRoot } = requireFromVerify('@sigstore/protobuf-specs') as {
  TrustedRoot: { fromJSON(json: unknown): never }
}

export interface TrustedRootParts {
  tlogs?: Array<{ baseUrl: string; publicKey: KeyObject; keyDetails?: string }>
  certificateAuthorities?: Array<{ uri?: string; certificates: Buffer[] }>
  ctlogs?: Array<{ baseUrl: string; publicKey: Buffer; logId: Buffer }>
  timestampAuthorities?: Array<{ uri?: string; certificates: Buffer[] }>
}

/** Sigstore TrustedRoot JSON from parts (what a deployment writes into trusted_root.json). */
export function trustedRootJson(parts: TrustedRootParts): Record<string, unknown> {
  const start = '2000-01-01T00:00:00Z'
  const ca = (authority: { uri?: string; certificates: Buffer[] }) => ({
    subject: { organization: 'test', commonName: 'test' },
    uri: authority.uri ?? 'https://ca.test',
    certChain: { certificates: authority.certificates.map((der) => ({ rawBytes: der.toString('base64') })) },
    validFor: { start },
  })
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: (parts.tlogs ?? []).map((tlog) => {
      const der = tlog.publicKey.export({ type: 'spki', format: 'der' })
      return {
        baseUrl: tlog.baseUrl,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: der.toString('base64'),
          keyDetails: tlog.keyDetails ?? 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: createHash('sha256').update(der).digest('base64') },
      }
    }),
    certificateAuthorities: (parts.certificateAuthorities ?? []).map(ca),
    ctlogs: (parts.ctlogs ?? []).map((ctlog) => ({
      baseUrl: ctlog.baseUrl,
      hashAlgorithm: 'SHA2_256',
      publicKey: {
        rawBytes: ctlog.publicKey.toString('base64'),
        keyDetails: 'PKIX_ECDSA_P256_SHA_256',
        validFor: { start },
      },
      logId: { keyId: ctlog.logId.toString('base64') },
    })),
    timestampAuthorities: (parts.timestampAuthorities ?? []).map(ca),
  }
}

/** Verifies a bundle with upstream @sigstore/verify. Throws on failure. */
export function verifyUpstream(
  bundle: SerializedBundle | unknown,
  artifact: Buffer | undefined,
  options: {
    root?: TrustedRootParts
    /** A whole TrustedRoot JSON (e.g. the embedded log's exportTrustedRoot()); wins over `root`. */
    rootJson?: unknown
    publicKeys?: Record<string, string /* PEM */>
    verifier?: VerifierOptions
    policy?: object
  },
) {
  const keys: Record<string, { rawBytes: Buffer; keyDetails: number; validFor?: { start: Date } }> = {}
  for (const [hint, pem] of Object.entries(options.publicKeys ?? {})) {
    const base64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
    keys[hint] = { rawBytes: Buffer.from(base64, 'base64'), keyDetails: 0, validFor: { start: new Date(0) } }
  }
  const trustMaterial = toTrustMaterial(
    TrustedRoot.fromJSON(options.rootJson ?? trustedRootJson(options.root ?? {})),
    keys as never,
  )
  const entity = toSignedEntity(bundleFromJSON(bundle), artifact)
  return new Verifier(trustMaterial, options.verifier).verify(entity, options.policy as never)
}

function merkleRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!
  let k = 1
  while (k * 2 < leaves.length) k *= 2
  return hashChildren(merkleRoot(leaves.slice(0, k)), merkleRoot(leaves.slice(k)))
}

function inclusionPath(index: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return []
  let k = 1
  while (k * 2 < leaves.length) k *= 2
  return index < k
    ? [...inclusionPath(index, leaves.slice(0, k)), merkleRoot(leaves.slice(k))]
    : [...inclusionPath(index - k, leaves.slice(k)), merkleRoot(leaves.slice(0, k))]
}

export interface TestLog extends EntryCreator {
  baseUrl: string
  publicKey: KeyObject
  requests: Array<{ entry: ProposedEntry; artifact?: Uint8Array }>
  /** Lets a test corrupt what the log returns. */
  tamper?: (entry: LogEntry) => LogEntry
  /** Makes createEntry reject with this error. */
  failWith?: unknown
}

/**
 * A minimal in-process Rekor v1 log for tests: real canonical bodies, RFC 6962 tree, signed checkpoint and SET
 * (built from @certus-trust/log-protocol's functions), so bundles verify upstream.
 */
export function createTestLog(options: { baseUrl?: string; keyType?: 'ec' | 'ed25519' } = {}): TestLog {
  const baseUrl = options.baseUrl ?? 'https://log.certus.test'
  const host = new URL(baseUrl).host
  const { privateKey, publicKey } =
    options.keyType === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const logID = logIdFromPublicKey(publicKey)
  const leaves: Uint8Array[] = []
  const log: TestLog = {
    baseUrl,
    publicKey,
    requests: [],
    async createEntry(entry, createOptions = {}) {
      log.requests.push({ entry, ...(createOptions.artifact ? { artifact: createOptions.artifact } : {}) })
      if (log.failWith !== undefined) throw log.failWith
      const body = await canonicalizeProposedEntry(
        entry,
        createOptions.artifact ? { artifact: createOptions.artifact } : {},
      )
      const bodyBase64 = Buffer.from(body).toString('base64')
      const leafHash = hashLeaf(body)
      leaves.push(leafHash)
      const logIndex = leaves.length - 1
      const treeSize = leaves.length
      const rootHash = merkleRoot(leaves)
      const integratedTime = Math.floor(Date.now() / 1000)
      const checkpoint = signCheckpoint(
        { origin: `${host} - 1`, treeSize, rootHash },
        { name: host, privateKey },
      )
      const set = signSignedEntryTimestamp({ body: bodyBase64, integratedTime, logID, logIndex }, privateKey)
      const result: LogEntry = {
        uuid: Buffer.from(leafHash).toString('hex'),
        body: bodyBase64,
        integratedTime,
        logID,
        logIndex,
        verification: {
          signedEntryTimestamp: Buffer.from(set).toString('base64'),
          inclusionProof: {
            logIndex,
            treeSize,
            rootHash: Buffer.from(rootHash).toString('hex'),
            hashes: inclusionPath(logIndex, leaves).map((hash) => Buffer.from(hash).toString('hex')),
            checkpoint,
          },
        },
      }
      return log.tamper ? log.tamper(result) : result
    },
  }
  return log
}

/** Flips one bit in a base64 string's decoded bytes. */
export function flipBase64(value: string, byte = 0): string {
  const bytes = Buffer.from(value, 'base64')
  bytes[byte % bytes.length]! ^= 0x01
  return bytes.toString('base64')
}

export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

/** Bundle JSON as a loosely typed tree, for tests that tamper with arbitrary fields. */
// biome-ignore lint/suspicious/noExplicitAny: tampering tests index arbitrary bundle fields
export type Loose = Record<string, any>
