// `@certus-trust/core/der`: the strict DER reader and the DER writer (a subpath: most packages never touch DER).
export type { DerErrorCode, DerNode } from './der/reader.js'
export {
  children,
  content,
  DerError,
  decodeOid,
  decodeTime,
  encodeLength,
  encodeTlv,
  encoding,
  readDer,
  readNode,
} from './der/reader.js'
export {
  DER_TAG,
  derBitString,
  derBoolean,
  derExplicit,
  derGeneralizedTime,
  derImplicit,
  derInteger,
  derNull,
  derOctetString,
  derOid,
  derPrintableString,
  derSequence,
  derSetOf,
  derUtcTime,
  derUtf8String,
  derValidityTime,
} from './der/writer.js'
