import { defineErrorClass } from '../errors.js'

/**
 * Stable codes of {@link X509Error}: one per RFC 5280 / Fulcio-profile rule, so a caller (and a test) can tell
 * exactly which rule a certificate broke. Codes are API.
 */
export type X509ErrorCode =
  /** Not a DER certificate: bad TLV, trailing bytes, missing or misplaced fields (`cause` is the DerError). */
  | 'X509_MALFORMED'
  /** Unknown version, or extensions / unique identifiers in a version that does not allow them (§4.1.2.1). */
  | 'X509_VERSION'
  /** The TBS `signature` algorithm differs from the outer `signatureAlgorithm` (§4.1.1.2). */
  | 'X509_ALGORITHM_MISMATCH'
  /** The same extension appears twice (§4.2). */
  | 'X509_DUPLICATE_EXTENSION'
  /** A critical extension this parser does not process (§4.2: must reject). */
  | 'X509_UNKNOWN_CRITICAL_EXTENSION'
  /** A basicConstraints, keyUsage, extKeyUsage or subjectAltName value that does not decode. */
  | 'X509_MALFORMED_EXTENSION'
  /** An issuing certificate is not a CA: basicConstraints absent or cA FALSE (§6.1.4(k)). */
  | 'X509_ISSUER_NOT_CA'
  /** An issuing certificate's keyUsage lacks keyCertSign (§6.1.4(n)). */
  | 'X509_ISSUER_KEY_USAGE'
  /** More intermediates below a CA than its pathLenConstraint allows (§6.1.4(l)/(m)). */
  | 'X509_PATH_LENGTH'
  /** The end-entity certificate is a CA (Fulcio profile: CA:FALSE). */
  | 'X509_LEAF_IS_CA'
  /** The end-entity keyUsage is absent or lacks the bit the profile requires (digitalSignature). */
  | 'X509_LEAF_KEY_USAGE'
  /** The end-entity extKeyUsage is absent or lacks the purpose the profile requires (codeSigning, timeStamping). */
  | 'X509_LEAF_EXTENDED_KEY_USAGE'
  /** Issuer and subject names do not chain, or the issuer's signature does not verify (§6.1.3(a)(1), (a)(4)). */
  | 'X509_SIGNATURE_INVALID'
  /** A certificate of the path was not valid (notBefore…notAfter) at a checked time (§6.1.3(a)(2)). */
  | 'X509_NOT_VALID_AT_TIME'

// Typed through ReturnType so the declaration build does not need the base class's private marker.
const X509ErrorBase: ReturnType<typeof defineErrorClass<X509ErrorCode>> = defineErrorClass<X509ErrorCode>(
  'X509Error',
  {
    // A certificate that is not a well-formed RFC 5280 certificate is unusable input…
    X509_MALFORMED: 'invalid_input',
    X509_VERSION: 'invalid_input',
    X509_ALGORITHM_MISMATCH: 'invalid_input',
    X509_DUPLICATE_EXTENSION: 'invalid_input',
    X509_UNKNOWN_CRITICAL_EXTENSION: 'invalid_input',
    X509_MALFORMED_EXTENSION: 'invalid_input',
    // …one that parses but breaks a path or profile rule failed verification.
    X509_ISSUER_NOT_CA: 'verification_failed',
    X509_ISSUER_KEY_USAGE: 'verification_failed',
    X509_PATH_LENGTH: 'verification_failed',
    X509_LEAF_IS_CA: 'verification_failed',
    X509_LEAF_KEY_USAGE: 'verification_failed',
    X509_LEAF_EXTENDED_KEY_USAGE: 'verification_failed',
    X509_SIGNATURE_INVALID: 'verification_failed',
    X509_NOT_VALID_AT_TIME: 'verification_failed',
  },
)

/**
 * A certificate or certificate path broke an RFC 5280 / Fulcio-profile rule. `details.position` is the index
 * in the path (0 = leaf) for path errors; `details.oid` names the extension for extension errors.
 */
export class X509Error extends X509ErrorBase {}

/** Throws an {@link X509Error}. */
export function x509Fail(
  code: X509ErrorCode,
  message: string,
  details?: Record<string, unknown>,
  cause?: unknown,
): never {
  throw new X509Error({ code, message, details, cause })
}
