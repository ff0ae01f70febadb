// Test-only certificate builder (never shipped: tsup builds src/ only). Every certificate is assembled field by
// field with core's DER writer and signed with a real P-256 key, so each test can break exactly one rule.
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import {
  derBitString,
  derBoolean,
  derExplicit,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derSetOf,
  derUtf8String,
  derValidityTime,
  encodeTlv,
} from '../../src/der.js'

export const OIDS = {
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  nameConstraints: '2.5.29.30',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  fulcioIssuer: '1.3.6.1.4.1.57264.1.8',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
} as const

export const DAY = 86_400_000
/** A fixed signing time the test PKI is built around. */
export const AT = Date.UTC(2026, 5, 1, 12, 0, 0)

export interface Keys {
  privateKey: KeyObject
  publicKey: KeyObject
}

export function keys(): Keys {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
}

export interface ExtensionSpec {
  oid: string
  critical?: boolean
  /** The DER the extension holds (wrapped in the extnValue OCTET STRING). */
  value: Uint8Array
  /** Encode `critical FALSE` explicitly (BER, not DER). */
  explicitFalse?: boolean
}

export function ext(oid: string, value: Uint8Array, critical = false): ExtensionSpec {
  return { oid, value, critical }
}

/** keyUsage with the named bits set (bit 0 = digitalSignature … bit 8 = decipherOnly), DER-minimal. */
export function keyUsage(...bits: number[]): Uint8Array {
  const highest = Math.max(...bits, 0)
  const bytes = new Uint8Array(highest >= 8 ? 2 : 1)
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7)
  const unused = bits.length === 0 ? 0 : 7 - (highest & 7)
  return derBitString(bytes, unused)
}
export const KU = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  keyCertSign: 5,
  cRLSign: 6,
} as const

export function basicConstraints(ca: boolean, pathLength?: number): Uint8Array {
  return derSequence(
    ...(ca ? [derBoolean(true)] : []),
    ...(pathLength === undefined ? [] : [derInteger(pathLength)]),
  )
}

export function extKeyUsage(...purposes: string[]): Uint8Array {
  return derSequence(...purposes.map((purpose) => derOid(purpose)))
}

export function sanUri(...uris: string[]): Uint8Array {
  return derSequence(...uris.map((uri) => encodeTlv(0x86, [Buffer.from(uri)])))
}

export function name(commonName: string): Uint8Array {
  return derSequence(derSetOf(derSequence(derOid('2.5.4.3'), derUtf8String(commonName))))
}

export interface CertificateSpec {
  subject: string
  issuer: string
  /** Key certified by this certificate. */
  publicKey: KeyObject
  /** Key that signs it. */
  signer: KeyObject
  extensions?: ExtensionSpec[]
  /** 1, 2 or 3 (default 3); `explicitV1` encodes version 0 explicitly. */
  version?: number
  explicitV1?: boolean
  notBefore?: number
  notAfter?: number
  serial?: number
  /** AlgorithmIdentifier OID inside the TBS (default ecdsa-with-SHA256). */
  innerAlgorithm?: string
  /** Outer signatureAlgorithm OID (default: the inner one). */
  outerAlgorithm?: string
}

function encodeExtension(spec: ExtensionSpec): Uint8Array {
  const critical = spec.critical ? [derBoolean(true)] : spec.explicitFalse ? [derBoolean(false)] : []
  return derSequence(derOid(spec.oid), ...critical, derOctetString(spec.value))
}

export function tbsCertificate(spec: CertificateSpec): Uint8Array {
  const version = spec.version ?? 3
  const extensions = spec.extensions ?? []
  const versionField = version > 1 || spec.explicitV1 ? [derExplicit(0, derInteger(version - 1))] : []
  return derSequence(
    ...versionField,
    derInteger(spec.serial ?? 1),
    derSequence(derOid(spec.innerAlgorithm ?? OIDS.ecdsaSha256)),
    name(spec.issuer),
    derSequence(
      derValidityTime(new Date(spec.notBefore ?? AT - 30 * DAY)),
      derValidityTime(new Date(spec.notAfter ?? AT + 30 * DAY)),
    ),
    name(spec.subject),
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    ...(extensions.length ? [derExplicit(3, derSequence(...extensions.map(encodeExtension)))] : []),
  )
}

/** A complete DER certificate for `spec`, signed with `spec.signer`. */
export function certificate(spec: CertificateSpec): Buffer {
  const tbs = tbsCertificate(spec)
  const algorithm = derSequence(derOid(spec.outerAlgorithm ?? spec.innerAlgorithm ?? OIDS.ecdsaSha256))
  return Buffer.from(derSequence(tbs, algorithm, derBitString(sign('sha256', tbs, spec.signer))))
}

/** Fulcio-profile extensions for a code-signing leaf. */
export function fulcioLeafExtensions(): ExtensionSpec[] {
  return [
    ext(OIDS.keyUsage, keyUsage(KU.digitalSignature), true),
    ext(OIDS.extKeyUsage, extKeyUsage(OIDS.codeSigning)),
    ext(OIDS.subjectAltName, sanUri('https://example.test/signer'), true),
    ext(OIDS.fulcioIssuer, derUtf8String('https://issuer.example.test')),
  ]
}

export function caExtensions(pathLength?: number): ExtensionSpec[] {
  return [
    ext(OIDS.keyUsage, keyUsage(KU.keyCertSign, KU.cRLSign), true),
    ext(OIDS.basicConstraints, basicConstraints(true, pathLength), true),
  ]
}

/** A root → intermediate → leaf PKI; each part can be replaced through `overrides`. */
export interface Pki {
  rootKeys: Keys
  intermediateKeys: Keys
  leafKeys: Keys
  root: Buffer
  intermediate: Buffer
  leaf: Buffer
}

export interface PkiOverrides {
  root?: Partial<CertificateSpec>
  intermediate?: Partial<CertificateSpec>
  leaf?: Partial<CertificateSpec>
}

const sharedKeys = { root: keys(), intermediate: keys(), leaf: keys() }

export function pki(overrides: PkiOverrides = {}): Pki {
  const { root: rootKeys, intermediate: intermediateKeys, leaf: leafKeys } = sharedKeys
  const root = certificate({
    subject: 'test-root',
    issuer: 'test-root',
    publicKey: rootKeys.publicKey,
    signer: rootKeys.privateKey,
    extensions: caExtensions(1),
    notBefore: AT - 365 * DAY,
    notAfter: AT + 365 * DAY,
    ...overrides.root,
  })
  const intermediate = certificate({
    subject: 'test-intermediate',
    issuer: 'test-root',
    publicKey: intermediateKeys.publicKey,
    signer: rootKeys.privateKey,
    extensions: caExtensions(0),
    notBefore: AT - 300 * DAY,
    notAfter: AT + 300 * DAY,
    ...overrides.intermediate,
  })
  const leaf = certificate({
    subject: '',
    issuer: 'test-intermediate',
    publicKey: leafKeys.publicKey,
    signer: intermediateKeys.privateKey,
    extensions: fulcioLeafExtensions(),
    notBefore: AT - 600_000,
    notAfter: AT + 600_000,
    ...overrides.leaf,
  })
  return { rootKeys, intermediateKeys, leafKeys, root, intermediate, leaf }
}
