// A test-only RFC 3161 timestamp authority: a generated TSA root and leaf, and TimeStampResp tokens built
// field by field from RFC 3161 §2.4.2 and RFC 5652 §5 (SignedData with signed attributes content-type and
// message-digest, one ECDSA P-256 SignerInfo identified by issuer and serial).
import { createHash, type KeyObject, sign } from 'node:crypto'
import { ECDSA_SHA256, ecKeys, extension, integer, name, oid, seq, signTbs, tbsFor, tlv } from './fixture.js'

const SHA256 = seq(oid('2.16.840.1.101.3.4.2.1'))
const OID_SIGNED_DATA = '1.2.840.113549.1.7.2'
const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4'
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3'
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4'
const DAY = 86_400_000

const generalizedTime = (date: Date) =>
  tlv(0x18, Buffer.from(`${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`))

export interface TestTsa {
  uri: string
  /** Trusted-root entry for `timestampAuthorities`. */
  authority: Record<string, unknown>
  /** A TimeStampResp over `signature` at `at`, base64 as in a bundle's rfc3161Timestamps. */
  stamp(signature: Buffer, at: Date, options?: StampOptions): { signedTimestamp: string }
}

export interface StampOptions {
  /** Message imprint hash (default sha256). */
  imprint?: 'sha256' | 'sha1'
}

export interface TestTsaOptions {
  /** Extensions of the TSA signing certificate (default: the critical timeStamping EKU only). */
  leafExtensions?: Buffer[]
}

/** Creates a TSA (root → leaf with the critical timeStamping EKU) named `label`. */
export function createTestTsa(label: string, options: TestTsaOptions = {}): TestTsa {
  const now = Date.now()
  const rootKeys = ecKeys()
  const leafKeys = ecKeys()
  const rootName = `${label}-root`
  const serial = 0x51
  const rootDer = signTbs(
    tbsFor({
      subject: rootName,
      issuer: rootName,
      serial: 1,
      notBefore: new Date(now - 365 * DAY),
      notAfter: new Date(now + 365 * DAY),
      publicKey: rootKeys.publicKey,
      extensions: [extension('2.5.29.19', true, seq(tlv(0x01, Buffer.of(0xff))))],
    }),
    rootKeys.privateKey,
  )
  const leafDer = signTbs(
    tbsFor({
      subject: `${label}-signer`,
      issuer: rootName,
      serial,
      notBefore: new Date(now - 300 * DAY),
      notAfter: new Date(now + 300 * DAY),
      publicKey: leafKeys.publicKey,
      extensions: options.leafExtensions ?? [extension('2.5.29.37', true, seq(oid('1.3.6.1.5.5.7.3.8')))],
    }),
    rootKeys.privateKey,
  )
  const uri = `https://${label}.local.test`
  return {
    uri,
    authority: {
      uri,
      certChain: {
        certificates: [{ rawBytes: leafDer.toString('base64') }, { rawBytes: rootDer.toString('base64') }],
      },
      validFor: { start: new Date(now - 365 * DAY).toISOString() },
    },
    stamp: (signature, at, stampOptions = {}) => ({
      signedTimestamp: timestampResponse(signature, at, stampOptions, {
        issuer: name(rootName),
        serial,
        privateKey: leafKeys.privateKey,
      }).toString('base64'),
    }),
  }
}

function timestampResponse(
  signature: Buffer,
  at: Date,
  options: StampOptions,
  signer: { issuer: Buffer; serial: number; privateKey: KeyObject },
): Buffer {
  const tstInfo = seq(
    integer(1),
    oid('1.3.6.1.4.1.57264.2'),
    options.imprint === 'sha1'
      ? seq(seq(oid('1.3.14.3.2.26')), tlv(0x04, createHash('sha1').update(signature).digest()))
      : seq(SHA256, tlv(0x04, createHash('sha256').update(signature).digest())),
    integer(Math.floor(at.getTime() / 1000)),
    generalizedTime(at),
  )
  const attributes = Buffer.concat([
    seq(oid(OID_CONTENT_TYPE), tlv(0x31, oid(OID_TST_INFO))),
    seq(oid(OID_MESSAGE_DIGEST), tlv(0x31, tlv(0x04, createHash('sha256').update(tstInfo).digest()))),
  ])
  // The signature covers the signed attributes DER-encoded as a SET OF (RFC 5652 §5.4), not the [0] tag.
  const attributeSignature = sign('sha256', tlv(0x31, attributes), signer.privateKey)
  const signerInfo = seq(
    integer(1),
    seq(signer.issuer, integer(signer.serial)),
    SHA256,
    tlv(0xa0, attributes),
    ECDSA_SHA256,
    tlv(0x04, attributeSignature),
  )
  const signedData = seq(
    integer(3),
    tlv(0x31, SHA256),
    seq(oid(OID_TST_INFO), tlv(0xa0, tlv(0x04, tstInfo))),
    tlv(0x31, signerInfo),
  )
  return seq(seq(integer(0)), seq(oid(OID_SIGNED_DATA), tlv(0xa0, signedData)))
}
