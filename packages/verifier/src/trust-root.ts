import { createPublicKey, type KeyObject } from 'node:crypto'
import { publicKeyFingerprint } from '@certus-trust/core'
import { isIssuedBy, type ParsedCertificate, parseCertificate } from '@certus-trust/core/x509'
import { fail, VerifierError } from './errors.js'
import { viaX509 } from './x509.js'

/** A closed validity interval in epoch milliseconds (`end` is Infinity when open). */
export interface ValidityWindow {
  start: number
  end: number
}

/** A certificate authority (Fulcio) or timestamp authority from the trusted root. */
export interface CertificateAuthority {
  uri: string
  /** Leaf-most first, root last (as in the trusted root). */
  chain: ParsedCertificate[]
  validFor: ValidityWindow
  /** Set once the chain's internal links were checked (trust material is cached, so this runs once). */
  chainChecked?: boolean
}

/** A transparency log or CT log key from the trusted root, imported once. */
export interface TrustedLog {
  baseUrl: string
  /** SHA-256 of the DER SPKI (v1) or the C2SP key ID (Rekor v2); what entries name. */
  logId: Buffer
  /** The key ID that signs checkpoints (defaults to logId). */
  checkpointKeyId: Buffer
  publicKey: KeyObject
  keyDetails: string
  validFor: ValidityWindow
}

/** Parsed, imported trust material. Build it once and reuse it: it caches keys and chain checks. */
export interface TrustMaterial {
  certificateAuthorities: CertificateAuthority[]
  timestampAuthorities: CertificateAuthority[]
  tlogs: TrustedLog[]
  ctlogs: TrustedLog[]
}

type Json = Record<string, unknown>

function malformed(message: string, cause?: unknown): never {
  return fail('VERIFIER_MALFORMED_TRUSTED_ROOT', message, cause)
}

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    malformed(`${field} must be an object`)
  return value as Json
}

function list(value: unknown, field: string): unknown[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) malformed(`${field} must be an array`)
  return value
}

function base64(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value))
    malformed(`${field} must be base64`)
  return Buffer.from(value, 'base64')
}

function time(value: unknown, field: string): number {
  if (typeof value !== 'string') malformed(`${field} must be an RFC 3339 timestamp`)
  const millis = Date.parse(value)
  if (Number.isNaN(millis)) malformed(`${field} is not a valid timestamp`)
  return millis
}

/**
 * A TimeRange: `start` is required whenever the range is present (a missing start must not silently
 * mean "since forever"); `end` is optional. An absent range means "always".
 */
function validity(value: unknown, field: string): ValidityWindow {
  if (value === undefined || value === null)
    return { start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY }
  const range = object(value, field)
  if (range.start === undefined || range.start === null)
    malformed(
      `${field}.start is required when ${field} is present: set it to an RFC 3339 time (e.g. "2024-01-01T00:00:00Z"), or leave ${field} out for material that is valid at all times`,
    )
  const start = time(range.start, `${field}.start`)
  const end =
    range.end === undefined || range.end === null ? Number.POSITIVE_INFINITY : time(range.end, `${field}.end`)
  if (end < start) malformed(`${field} ends before it starts`)
  return { start, end }
}

/** Imports a trusted-root public key; PKCS#1 RSA keys are accepted as well as SPKI. */
export function importKey(rawBytes: Buffer, keyDetails: string, field: string): KeyObject {
  const pkcs1 = keyDetails.startsWith('PKCS1_')
  try {
    return createPublicKey({ key: rawBytes, format: 'der', type: pkcs1 ? 'pkcs1' : 'spki' })
  } catch (error) {
    try {
      return createPublicKey({ key: rawBytes, format: 'der', type: pkcs1 ? 'spki' : 'pkcs1' })
    } catch {
      return malformed(`${field} is not a usable public key`, error)
    }
  }
}

function parseLog(value: unknown, field: string): TrustedLog {
  const log = object(value, field)
  const publicKey = object(log.publicKey, `${field}.publicKey`)
  const keyDetails = typeof publicKey.keyDetails === 'string' ? publicKey.keyDetails : ''
  const rawBytes = base64(publicKey.rawBytes, `${field}.publicKey.rawBytes`)
  const key = importKey(rawBytes, keyDetails, `${field}.publicKey`)
  const logId =
    log.logId === undefined
      ? Buffer.from(publicKeyFingerprint(key))
      : base64(object(log.logId, `${field}.logId`).keyId, `${field}.logId.keyId`)
  const checkpointKeyId =
    log.checkpointKeyId === undefined || log.checkpointKeyId === null
      ? logId
      : base64(
          object(log.checkpointKeyId, `${field}.checkpointKeyId`).keyId,
          `${field}.checkpointKeyId.keyId`,
        )
  return {
    baseUrl: typeof log.baseUrl === 'string' ? log.baseUrl : '',
    logId,
    checkpointKeyId,
    publicKey: key,
    keyDetails,
    validFor: validity(publicKey.validFor, `${field}.publicKey.validFor`),
  }
}

function parseAuthority(value: unknown, field: string): CertificateAuthority {
  const authority = object(value, field)
  const chainJson = object(authority.certChain, `${field}.certChain`)
  const chain = list(chainJson.certificates, `${field}.certChain.certificates`).map((item, index) => {
    const raw = base64(
      object(item, `${field}.certChain.certificates[${index}]`).rawBytes,
      `${field}.certChain.certificates[${index}].rawBytes`,
    )
    return viaX509(
      'trusted-root',
      `${field}.certChain.certificates[${index}] is not a valid certificate`,
      () => parseCertificate(raw),
    )
  })
  if (chain.length === 0) malformed(`${field}.certChain is empty`)
  if (chain.length > 1 && isSelfIssued(chain[0]!))
    // The anchor is detectable, but silently reordering operator input would also hide a chain pasted in the
    // wrong place; refuse and say how to fix it (docs/decisions/0003-verifier-compatibility.md).
    malformed(
      `${field}.certChain.certificates is listed root-first (certificates[0] is the self-signed root): list the issuing certificate first and the root last`,
    )
  return {
    uri: typeof authority.uri === 'string' ? authority.uri : '',
    chain,
    validFor: validity(authority.validFor, `${field}.validFor`),
  }
}

function isSelfIssued(certificate: ParsedCertificate): boolean {
  return Buffer.compare(certificate.subjectName, certificate.issuerName) === 0
}

const built = new WeakSet<object>()

/** True for material built by {@link parseTrustedRoot} (not a look-alike JSON object). */
export function isTrustMaterial(value: unknown): value is TrustMaterial {
  return typeof value === 'object' && value !== null && built.has(value)
}

/**
 * Builds {@link TrustMaterial} from a Sigstore TrustedRoot (JSON text, bytes or parsed object).
 * @throws VerifierError `VERIFIER_MALFORMED_TRUSTED_ROOT`.
 */
export function parseTrustedRoot(input: unknown): TrustMaterial {
  try {
    let json = input
    if (typeof input === 'string' || input instanceof Uint8Array) {
      const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8')
      try {
        json = JSON.parse(text)
      } catch (error) {
        malformed('trusted root is not valid JSON', error)
      }
    }
    const root = object(json, 'trustedRoot')
    if (
      typeof root.mediaType === 'string' &&
      !root.mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')
    ) {
      malformed(`unexpected trusted root media type ${root.mediaType.slice(0, 80)}`)
    }
    const material: TrustMaterial = {
      certificateAuthorities: list(root.certificateAuthorities, 'certificateAuthorities').map((item, index) =>
        parseAuthority(item, `certificateAuthorities[${index}]`),
      ),
      timestampAuthorities: list(root.timestampAuthorities, 'timestampAuthorities').map((item, index) =>
        parseAuthority(item, `timestampAuthorities[${index}]`),
      ),
      tlogs: list(root.tlogs, 'tlogs').map((item, index) => parseLog(item, `tlogs[${index}]`)),
      ctlogs: list(root.ctlogs, 'ctlogs').map((item, index) => parseLog(item, `ctlogs[${index}]`)),
    }
    built.add(material)
    return material
  } catch (error) {
    if (VerifierError.is(error)) throw error
    return malformed('trusted root could not be parsed', error)
  }
}

/** True when `at` (ms) lies in the closed window. */
export function within(window: ValidityWindow, at: number): boolean {
  return window.start <= at && at <= window.end
}

/**
 * Checks once per authority that each certificate of its chain is signed by the next and the last is
 * self-signed (the signatures only: the RFC 5280 issuer rules are checked on every path by
 * `validateCertificatePath`). The result is cached on the authority object, which is why trust material is shared.
 */
export function checkAuthorityChain(authority: CertificateAuthority): boolean {
  if (authority.chainChecked !== undefined) return authority.chainChecked
  const { chain } = authority
  let ok = true
  for (let index = 0; index < chain.length; index++) {
    const certificate = chain[index]!
    const issuer = chain[index + 1] ?? certificate
    if (!isIssuedBy(certificate, issuer)) ok = false
  }
  authority.chainChecked = ok
  return ok
}
