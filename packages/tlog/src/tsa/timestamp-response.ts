import { createHash, sign } from 'node:crypto'
import {
  derExplicit,
  derGeneralizedTime,
  derImplicit,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derSetOf,
} from '@certus-trust/core/der'
import { randomSerial } from './certificate-builder.js'
import { OID, TIMESTAMP_HASHES } from './oids.js'
import type { TimestampRequest } from './timestamp-request.js'
import { issuerAndSerial, type TsaMaterial } from './tsa-material.js'

/** What goes into one token besides the request. */
export interface TokenContext {
  material: TsaMaterial
  policy: string
  genTime: Date
}

function algorithmIdentifier(oid: string): Uint8Array {
  // RFC 5754 §2: SHA-2 AlgorithmIdentifiers leave the parameters out.
  return derSequence(derOid(oid))
}

function nonceElement(nonce: TimestampRequest['nonce']): Uint8Array[] {
  if (nonce === undefined) return []
  return [derInteger(nonce)]
}

/** TSTInfo (RFC 3161 §2.4.2), DER. */
export function encodeTstInfo(request: TimestampRequest, context: TokenContext): Uint8Array {
  const hash = TIMESTAMP_HASHES[request.hashAlgorithm]
  return derSequence(
    derInteger(1),
    derOid(context.policy),
    derSequence(algorithmIdentifier(hash.oid), derOctetString(request.hashedMessage)),
    // A fresh random serial per token: unique without shared state across server processes.
    derInteger(randomSerial()),
    derGeneralizedTime(context.genTime),
    // accuracy: genTime is truncated to whole seconds, so it is good to within one second.
    derSequence(derInteger(1)),
    ...nonceElement(request.nonce),
  )
}

function attribute(oid: string, value: Uint8Array): Uint8Array {
  return derSequence(derOid(oid), derSetOf(value))
}

/** The signed attributes of the SignerInfo, as the SET OF whose DER encoding is signed (RFC 5652 §5.4). */
function signedAttributes(tstInfo: Uint8Array, material: TsaMaterial): Uint8Array[] {
  const certificateHash = createHash('sha256').update(material.tsaCertificate.raw).digest()
  return [
    attribute(OID.contentType, derOid(OID.tstInfo)),
    attribute(OID.messageDigest, derOctetString(createHash('sha256').update(tstInfo).digest())),
    // ESS signingCertificateV2 (RFC 5035) binds the signer certificate; RFC 3161 §2.4.1 requires it and
    // `openssl ts -verify` checks it. ESSCertIDv2's hashAlgorithm defaults to SHA-256, so it is left out.
    attribute(
      OID.signingCertificateV2,
      derSequence(derSequence(derSequence(derOctetString(certificateHash)))),
    ),
  ]
}

/** A TimeStampToken: CMS ContentInfo holding SignedData over the TSTInfo (RFC 3161 §2.4.2, RFC 5652). */
export function encodeTimestampToken(request: TimestampRequest, context: TokenContext): Uint8Array {
  const { material } = context
  const tstInfo = encodeTstInfo(request, context)
  const attributes = signedAttributes(tstInfo, material)
  // The signature covers the attributes encoded as a SET OF (tag 0x31); they travel as [0] IMPLICIT.
  const attributeSet = derSetOf(...attributes)
  const signature = new Uint8Array(sign('sha256', attributeSet, material.tsaPrivateKey))
  const { issuer, serial } = issuerAndSerial(material.tsaCertificate)
  const signerInfo = derSequence(
    derInteger(1),
    derSequence(issuer, serial),
    algorithmIdentifier(OID.sha256),
    derImplicit(0, attributeSet),
    algorithmIdentifier(OID.ecdsaWithSha256),
    derOctetString(signature),
  )
  const certificates = request.certReq
    ? [derImplicit(0, derSetOf(new Uint8Array(material.tsaCertificate.raw)))]
    : []
  const signedData = derSequence(
    // version 3: the encapsulated content type is not id-data (RFC 5652 §5.1).
    derInteger(3),
    derSetOf(algorithmIdentifier(OID.sha256)),
    derSequence(derOid(OID.tstInfo), derExplicit(0, derOctetString(tstInfo))),
    ...certificates,
    derSetOf(signerInfo),
  )
  return derSequence(derOid(OID.signedData), derExplicit(0, signedData))
}

/** A granted TimeStampResp (RFC 3161 §2.4.2): `{ status: granted(0), timeStampToken }`. */
export function encodeTimestampResponse(request: TimestampRequest, context: TokenContext): Uint8Array {
  return derSequence(derSequence(derInteger(0)), encodeTimestampToken(request, context))
}
