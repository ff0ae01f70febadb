// Builds complete, real Sigstore bundles and a matching trusted root from scratch (test-only): a
// private CA (root + intermediate), a Fulcio-style leaf with SAN, issuer extension and an embedded SCT
// from a private CT log, and a Rekor-v1-style log entry with SET, checkpoint and a Merkle proof in a
// 7-leaf tree. SETs and checkpoints are signed with @certus-trust/rekor, so this also checks that the
// verifier accepts exactly what our rekor package produces.
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { hashChildren, hashLeaf, signCheckpoint, signSignedEntryTimestamp } from '@certus-trust/log-protocol'

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n)
  const bytes: number[] = []
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff)
  return Buffer.of(0x80 | bytes.length, ...bytes)
}
export function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts)
  return Buffer.concat([Buffer.of(tag), length(body.length), body])
}
export const seq = (...parts: Uint8Array[]) => tlv(0x30, ...parts)
export function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number)
  const bytes = [a! * 40 + b!]
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f]
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128))
      chunk.unshift((value & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}
export function integer(value: number): Buffer {
  let hex = value.toString(16)
  if (hex.length % 2) hex = `0${hex}`
  let bytes = Buffer.from(hex, 'hex')
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.of(0), bytes])
  return tlv(0x02, bytes)
}
export const utf8 = (text: string) => tlv(0x0c, Buffer.from(text))
export function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14)
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${iso}Z`))
}
export const name = (cn: string) => (cn ? seq(tlv(0x31, seq(oid('2.5.4.3'), utf8(cn)))) : seq())
export const extension = (id: string, critical: boolean, value: Uint8Array) =>
  seq(oid(id), ...(critical ? [tlv(0x01, Buffer.of(0xff))] : []), tlv(0x04, value))
export const spkiOf = (key: KeyObject) => key.export({ type: 'spki', format: 'der' }) as Buffer
export const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'))
/** keyUsage values as Fulcio issues them: digitalSignature for leaves; keyCertSign + cRLSign for CAs. */
export const KEY_USAGE_DIGITAL_SIGNATURE = tlv(0x03, Buffer.of(7, 0x80))
export const KEY_USAGE_CERT_SIGN = tlv(0x03, Buffer.of(1, 0x06))

export interface Issued {
  der: Buffer
  privateKey: KeyObject
  publicKey: KeyObject
}

export interface CertificateSpec {
  subject: string
  issuer: string
  serial: number
  notBefore: Date
  notAfter: Date
  publicKey: KeyObject
  extensions: Buffer[]
}

export function tbsFor(spec: CertificateSpec): Buffer {
  return seq(
    tlv(0xa0, integer(2)),
    integer(spec.serial),
    ECDSA_SHA256,
    name(spec.issuer),
    seq(time(spec.notBefore), time(spec.notAfter)),
    name(spec.subject),
    spkiOf(spec.publicKey),
    tlv(0xa3, seq(...spec.extensions)),
  )
}

export function signTbs(tbs: Buffer, signer: KeyObject): Buffer {
  return seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.of(0), sign('sha256', tbs, signer)))
}

export function ecKeys() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
}

export const OID_SCT = '1.3.6.1.4.1.11129.2.4.2'
export const IDENTITY = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main'
export const ISSUER = 'https://token.actions.githubusercontent.com'

export interface Fixture {
  trustedRoot: Record<string, unknown>
  artifact: Buffer
  /** v0.3 keyless message-signature bundle. */
  bundle: Record<string, unknown>
  /** v0.3 DSSE (in-toto) bundle signed by the same leaf. */
  dsseBundle: Record<string, unknown>
  /** v0.3 public-key bundle and its PEM key. */
  keyBundle: Record<string, unknown>
  keyPem: string
  keys: {
    log: Issued
    ct: Issued
    intermediate: Issued
    root: Issued
    leaf: Issued
    managed: { privateKey: KeyObject; publicKey: KeyObject }
  }
  integratedTime: number
}

/** Merkle audit path for leaf `index` in `leaves` (RFC 6962 PATH). */
function auditPath(index: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return []
  let split = 1
  while (split * 2 < leaves.length) split *= 2
  if (index < split) return [...auditPath(index, leaves.slice(0, split)), treeHash(leaves.slice(split))]
  return [...auditPath(index - split, leaves.slice(split)), treeHash(leaves.slice(0, split))]
}
function treeHash(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!
  let split = 1
  while (split * 2 < leaves.length) split *= 2
  return hashChildren(treeHash(leaves.slice(0, split)), treeHash(leaves.slice(split)))
}

const LOG_URL = 'https://rekor.local.test'
const LOG_NAME = 'rekor.local.test'

/** Builds a log entry for `body`, as leaf 5 of a 7-leaf tree, with SET and signed checkpoint. */
export function logEntry(
  body: Buffer,
  kind: string,
  version: string,
  log: Issued,
  integratedTime: number,
  logIndex = 1005,
) {
  const leaves = Array.from({ length: 7 }, (_, index) =>
    index === 5 ? hashLeaf(body) : hashLeaf(Buffer.from(`other ${index}`)),
  )
  const root = treeHash(leaves)
  const logId = createHash('sha256').update(spkiOf(log.publicKey)).digest()
  const set = signSignedEntryTimestamp(
    { body: body.toString('base64'), integratedTime, logID: logId.toString('hex'), logIndex },
    log.privateKey,
  )
  const checkpoint = signCheckpoint(
    { origin: `${LOG_NAME} - 42`, treeSize: 7, rootHash: root },
    { name: LOG_NAME, privateKey: log.privateKey },
  )
  return {
    logIndex: String(logIndex),
    logId: { keyId: logId.toString('base64') },
    kindVersion: { kind, version },
    integratedTime: String(integratedTime),
    inclusionPromise: { signedEntryTimestamp: Buffer.from(set).toString('base64') },
    inclusionProof: {
      logIndex: '5',
      rootHash: Buffer.from(root).toString('base64'),
      treeSize: '7',
      hashes: auditPath(5, leaves).map((hash) => Buffer.from(hash).toString('base64')),
      checkpoint: { envelope: checkpoint },
    },
    canonicalizedBody: body.toString('base64'),
  }
}

export const pem = (label: string, der: Buffer) =>
  `-----BEGIN ${label}-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END ${label}-----\n`

export function buildFixture(): Fixture {
  const now = Date.now()
  const integratedTime = Math.floor(now / 1000) - 3600
  const day = 86_400_000
  const rootKeys = ecKeys()
  const intermediateKeys = ecKeys()
  const leafKeys = ecKeys()
  const ctKeys = ecKeys()
  const logKeys = ecKeys()
  const managed = ecKeys()

  const rootDer = signTbs(
    tbsFor({
      subject: 'test-root',
      issuer: 'test-root',
      serial: 1,
      notBefore: new Date(now - 365 * day),
      notAfter: new Date(now + 365 * day),
      publicKey: rootKeys.publicKey,
      extensions: [
        extension('2.5.29.15', true, KEY_USAGE_CERT_SIGN),
        extension('2.5.29.19', true, seq(tlv(0x01, Buffer.of(0xff)))),
      ],
    }),
    rootKeys.privateKey,
  )
  const intermediateDer = signTbs(
    tbsFor({
      subject: 'test-intermediate',
      issuer: 'test-root',
      serial: 2,
      notBefore: new Date(now - 300 * day),
      notAfter: new Date(now + 300 * day),
      publicKey: intermediateKeys.publicKey,
      extensions: [
        extension('2.5.29.15', true, KEY_USAGE_CERT_SIGN),
        extension('2.5.29.19', true, seq(tlv(0x01, Buffer.of(0xff)), integer(0))),
      ],
    }),
    rootKeys.privateKey,
  )
  // The leaf is valid for 10 minutes around the integrated time, like a Fulcio certificate.
  const leafSpec: CertificateSpec = {
    subject: '',
    issuer: 'test-intermediate',
    serial: 3,
    notBefore: new Date((integratedTime - 300) * 1000),
    notAfter: new Date((integratedTime + 300) * 1000),
    publicKey: leafKeys.publicKey,
    extensions: [
      extension('2.5.29.15', true, KEY_USAGE_DIGITAL_SIGNATURE),
      extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.3'))),
      extension('2.5.29.17', true, seq(tlv(0x86, Buffer.from(IDENTITY)))),
      extension('1.3.6.1.4.1.57264.1.8', false, utf8(ISSUER)),
      extension('1.3.6.1.4.1.57264.1.5', false, Buffer.from('acme/app')),
      extension('1.3.6.1.4.1.57264.1.12', false, utf8('https://github.com/acme/app')),
      extension('1.3.6.1.4.1.57264.1.14', false, utf8('refs/heads/main')),
    ],
  }
  // SCT over the precertificate TBS (the TBS without the SCT extension), RFC 6962 §3.2.
  const precertTbs = tbsFor(leafSpec)
  const sctTime = BigInt(integratedTime * 1000 - 1000)
  const issuerKeyHash = createHash('sha256').update(spkiOf(intermediateKeys.publicKey)).digest()
  const signedHeader = Buffer.alloc(12)
  signedHeader.writeBigUInt64BE(sctTime, 2)
  signedHeader.writeUInt16BE(1, 10)
  const tbsLength = Buffer.alloc(3)
  tbsLength.writeUIntBE(precertTbs.length, 0, 3)
  const sctSignature = sign(
    'sha256',
    Buffer.concat([signedHeader, issuerKeyHash, tbsLength, precertTbs, Buffer.alloc(2)]),
    ctKeys.privateKey,
  )
  const ctLogId = createHash('sha256').update(spkiOf(ctKeys.publicKey)).digest()
  const sct = Buffer.concat([
    Buffer.of(0),
    ctLogId,
    (() => {
      const b = Buffer.alloc(8)
      b.writeBigUInt64BE(sctTime)
      return b
    })(),
    Buffer.alloc(2),
    Buffer.of(4, 3),
    (() => {
      const b = Buffer.alloc(2)
      b.writeUInt16BE(sctSignature.length)
      return b
    })(),
    sctSignature,
  ])
  const sctEntry = Buffer.concat([
    (() => {
      const b = Buffer.alloc(2)
      b.writeUInt16BE(sct.length)
      return b
    })(),
    sct,
  ])
  const sctList = Buffer.concat([
    (() => {
      const b = Buffer.alloc(2)
      b.writeUInt16BE(sctEntry.length)
      return b
    })(),
    sctEntry,
  ])
  leafSpec.extensions.push(extension(OID_SCT, false, tlv(0x04, sctList)))
  const leafDer = signTbs(tbsFor(leafSpec), intermediateKeys.privateKey)

  const artifact = Buffer.from('hello from the certus verifier tests\n')
  const digest = createHash('sha256').update(artifact).digest()
  const signature = sign('sha256', artifact, leafKeys.privateKey)
  const certPem = pem('CERTIFICATE', leafDer)
  const body = Buffer.from(
    JSON.stringify({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: digest.toString('hex') } },
        signature: {
          content: signature.toString('base64'),
          publicKey: { content: Buffer.from(certPem).toString('base64') },
        },
      },
    }),
  )
  const log: Issued = { der: Buffer.alloc(0), ...logKeys }
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      certificate: { rawBytes: leafDer.toString('base64') },
      tlogEntries: [logEntry(body, 'hashedrekord', '0.0.1', log, integratedTime)],
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: digest.toString('base64') },
      signature: signature.toString('base64'),
    },
  }

  // DSSE in-toto statement about the artifact, signed by the same leaf, logged as dsse 0.0.1.
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'artifact.txt', digest: { sha256: digest.toString('hex') } }],
      predicateType: 'https://example.com/test/v1',
      predicate: {},
    }),
  )
  const payloadType = 'application/vnd.in-toto+json'
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${statement.length} `),
    statement,
  ])
  const dsseSignature = sign('sha256', pae, leafKeys.privateKey)
  const dsseBody = Buffer.from(
    JSON.stringify({
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: createHash('sha256').update('envelope').digest('hex') },
        payloadHash: { algorithm: 'sha256', value: createHash('sha256').update(statement).digest('hex') },
        signatures: [
          { signature: dsseSignature.toString('base64'), verifier: Buffer.from(certPem).toString('base64') },
        ],
      },
    }),
  )
  const dsseBundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      certificate: { rawBytes: leafDer.toString('base64') },
      tlogEntries: [logEntry(dsseBody, 'dsse', '0.0.1', log, integratedTime, 1006)],
    },
    dsseEnvelope: {
      payload: statement.toString('base64'),
      payloadType,
      signatures: [{ sig: dsseSignature.toString('base64'), keyid: '' }],
    },
  }

  // Managed-key bundle (no certificate).
  const keyPem = managed.publicKey.export({ type: 'spki', format: 'pem' }) as string
  const keySignature = sign('sha256', artifact, managed.privateKey)
  const keyBody = Buffer.from(
    JSON.stringify({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: digest.toString('hex') } },
        signature: {
          content: keySignature.toString('base64'),
          publicKey: { content: Buffer.from(keyPem).toString('base64') },
        },
      },
    }),
  )
  const keyBundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      publicKey: { hint: 'managed' },
      tlogEntries: [logEntry(keyBody, 'hashedrekord', '0.0.1', log, integratedTime, 1007)],
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: digest.toString('base64') },
      signature: keySignature.toString('base64'),
    },
  }

  const start = new Date(now - 365 * day).toISOString()
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: LOG_URL,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: spkiOf(logKeys.publicKey).toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: createHash('sha256').update(spkiOf(logKeys.publicKey)).digest('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'test', commonName: 'test-intermediate' },
        uri: 'https://fulcio.local.test',
        certChain: {
          certificates: [
            { rawBytes: intermediateDer.toString('base64') },
            { rawBytes: rootDer.toString('base64') },
          ],
        },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: 'https://ctfe.local.test',
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: spkiOf(ctKeys.publicKey).toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: ctLogId.toString('base64') },
      },
    ],
    timestampAuthorities: [],
  }
  return {
    trustedRoot,
    artifact,
    bundle,
    dsseBundle,
    keyBundle,
    keyPem,
    integratedTime,
    keys: {
      log,
      ct: { der: Buffer.alloc(0), ...ctKeys },
      intermediate: { der: intermediateDer, ...intermediateKeys },
      root: { der: rootDer, ...rootKeys },
      leaf: { der: leafDer, ...leafKeys },
      managed,
    },
  }
}
