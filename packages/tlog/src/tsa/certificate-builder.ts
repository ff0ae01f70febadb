import { type KeyObject, randomBytes, sign } from 'node:crypto'
import { publicKeyFingerprint } from '@certus-trust/core'
import {
  derBitString,
  derBoolean,
  derExplicit,
  derImplicit,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derSetOf,
  derUtf8String,
  derValidityTime,
} from '@certus-trust/core/der'
import { OID } from './oids.js'

/** A distinguished name with the two attributes our certificates use. */
export interface CertificateName {
  organization: string
  commonName: string
}

/** What {@link buildCertificate} needs: the subject's key and name, and the issuer's. */
export interface CertificateTemplate {
  subject: CertificateName
  subjectPublicKey: KeyObject
  issuer: CertificateName
  /** The issuer's public key, for the authority key identifier. Omit for a self-signed certificate. */
  issuerPublicKey?: KeyObject
  /** The issuer's private key (ECDSA P-256); the certificate is signed with ECDSA-SHA256. */
  issuerPrivateKey: KeyObject
  notBefore: Date
  notAfter: Date
  /** A CA certificate (basicConstraints CA, pathLen 0, keyCertSign) or a timestamping leaf. */
  profile: 'ca' | 'timestamping'
}

/** `Name` as a DER RDNSequence: O then CN, each attribute in its own RDN. */
export function encodeName(name: CertificateName): Uint8Array {
  return derSequence(
    derSetOf(derSequence(derOid(OID.organization), derUtf8String(name.organization))),
    derSetOf(derSequence(derOid(OID.commonName), derUtf8String(name.commonName))),
  )
}

/** Key identifier: SHA-256 of the DER SubjectPublicKeyInfo, cut to 20 bytes (RFC 7093 §2 method 1 style). */
export function keyIdentifier(publicKey: KeyObject): Uint8Array {
  return publicKeyFingerprint(publicKey).subarray(0, 20)
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? derSequence(derOid(oid), derBoolean(true), derOctetString(value))
    : derSequence(derOid(oid), derOctetString(value))
}

function profileExtensions(template: CertificateTemplate): Uint8Array[] {
  const subjectKeyId = extension(
    OID.subjectKeyIdentifier,
    false,
    derOctetString(keyIdentifier(template.subjectPublicKey)),
  )
  const authorityKey = template.issuerPublicKey ?? template.subjectPublicKey
  const authorityKeyId = extension(
    OID.authorityKeyIdentifier,
    false,
    derSequence(derImplicit(0, derOctetString(keyIdentifier(authorityKey)))),
  )
  if (template.profile === 'ca') {
    return [
      // CA:TRUE, pathLenConstraint 0: this CA issues only the TSA certificate, never another CA.
      extension(OID.basicConstraints, true, derSequence(derBoolean(true), derInteger(0))),
      // keyCertSign (bit 5) + cRLSign (bit 6) = 0b0000_0110, one unused bit.
      extension(OID.keyUsage, true, derBitString(Uint8Array.of(0x06), 1)),
      subjectKeyId,
      authorityKeyId,
    ]
  }
  return [
    extension(OID.basicConstraints, true, derSequence()),
    // digitalSignature (bit 0), seven unused bits.
    extension(OID.keyUsage, true, derBitString(Uint8Array.of(0x80), 7)),
    // RFC 3161 §2.3: exactly one EKU, id-kp-timeStamping, and the extension MUST be critical.
    extension(OID.extendedKeyUsage, true, derSequence(derOid(OID.timeStamping))),
    subjectKeyId,
    authorityKeyId,
  ]
}

/** A random positive 16-byte serial number (RFC 5280 allows up to 20 octets). */
export function randomSerial(): Uint8Array {
  const serial = randomBytes(16)
  serial[0] = (serial[0]! & 0x7f) | 0x01
  return new Uint8Array(serial)
}

/** Builds and signs an X.509 v3 certificate (ECDSA-SHA256); returns its DER encoding. */
export function buildCertificate(template: CertificateTemplate): Uint8Array {
  const signatureAlgorithm = derSequence(derOid(OID.ecdsaWithSha256))
  const spki = new Uint8Array(template.subjectPublicKey.export({ type: 'spki', format: 'der' }))
  const tbs = derSequence(
    derExplicit(0, derInteger(2)),
    derInteger(randomSerial()),
    signatureAlgorithm,
    encodeName(template.issuer),
    derSequence(derValidityTime(template.notBefore), derValidityTime(template.notAfter)),
    encodeName(template.subject),
    spki,
    derExplicit(3, derSequence(...profileExtensions(template))),
  )
  // node:crypto writes ECDSA signatures in DER, the form X.509 requires.
  const signature = sign('sha256', tbs, template.issuerPrivateKey)
  return derSequence(tbs, signatureAlgorithm, derBitString(new Uint8Array(signature)))
}
