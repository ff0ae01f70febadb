import { createPrivateKey, generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto'
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { children, encoding, readNode } from '@certus-trust/core/der'
import * as z from 'zod'
import { fail, TlogError } from '../errors.js'
import { buildCertificate, type CertificateName } from './certificate-builder.js'

/** Default organization named in generated TSA certificates. */
export const DEFAULT_TSA_ORGANIZATION = 'Certus Trust'

/** Default lifetime of a generated TSA CA and leaf: ten years. */
export const DEFAULT_TSA_VALIDITY_DAYS = 3650

/**
 * The keys and certificates of a timestamp authority: a CA the deployment generated and keeps, and the TSA signing
 * certificate it issued. Private keys never appear in errors, logs or exports.
 */
export interface TsaMaterial {
  caPrivateKey: KeyObject
  caCertificate: X509Certificate
  tsaPrivateKey: KeyObject
  tsaCertificate: X509Certificate
}

/** Options for generating TSA material. */
export interface GenerateTsaMaterialOptions {
  /** @default DEFAULT_TSA_ORGANIZATION */
  organization?: string
  /** Common name prefix; the CA is "<name> CA", the leaf "<name> Timestamping". @default 'Certus Trust TSA' */
  commonName?: string
  /** @default DEFAULT_TSA_VALIDITY_DAYS */
  validityDays?: number
  /** @internal Clock for tests. */
  now?: Date
}

const DAY_MS = 86_400_000

/** Generates a fresh ECDSA P-256 CA and a timestamping certificate it signs. */
export function generateTsaMaterial(options: GenerateTsaMaterialOptions = {}): TsaMaterial {
  const organization = options.organization ?? DEFAULT_TSA_ORGANIZATION
  const name = options.commonName ?? 'Certus Trust TSA'
  const now = options.now ?? new Date()
  // Back-date a minute so a verifier whose clock is slightly behind still sees the certificates as valid.
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 60_000)
  const notAfter = new Date(
    notBefore.getTime() + (options.validityDays ?? DEFAULT_TSA_VALIDITY_DAYS) * DAY_MS,
  )
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const caName: CertificateName = { organization, commonName: `${name} CA` }
  const caDer = buildCertificate({
    subject: caName,
    issuer: caName,
    subjectPublicKey: ca.publicKey,
    issuerPrivateKey: ca.privateKey,
    notBefore,
    notAfter,
    profile: 'ca',
  })
  const leafDer = buildCertificate({
    subject: { organization, commonName: `${name} Timestamping` },
    issuer: caName,
    subjectPublicKey: leaf.publicKey,
    issuerPublicKey: ca.publicKey,
    issuerPrivateKey: ca.privateKey,
    notBefore,
    notAfter,
    profile: 'timestamping',
  })
  return {
    caPrivateKey: ca.privateKey,
    caCertificate: new X509Certificate(caDer),
    tsaPrivateKey: leaf.privateKey,
    tsaCertificate: new X509Certificate(leafDer),
  }
}

/** The issuer Name and serial number of a certificate, as DER, for a CMS IssuerAndSerialNumber. */
export function issuerAndSerial(certificate: X509Certificate): { issuer: Uint8Array; serial: Uint8Array } {
  const der = new Uint8Array(certificate.raw)
  const [tbs] = children(readNode(der))
  const fields = children(tbs!)
  // tbsCertificate: [0] version, serialNumber, signature, issuer, …
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0
  return { serial: encoding(fields[offset]!), issuer: encoding(fields[offset + 2]!) }
}

/** Checks that the material is usable: keys match certificates, the leaf is a timestamping cert the CA signed. */
export function checkTsaMaterial(material: TsaMaterial): void {
  const { caCertificate, tsaCertificate } = material
  if (material.tsaPrivateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    fail('TLOG_TSA_KEY_INVALID', 'the TSA key must be an ECDSA P-256 private key')
  if (!tsaCertificate.checkPrivateKey(material.tsaPrivateKey))
    fail('TLOG_TSA_KEY_INVALID', 'the TSA private key does not match the TSA certificate')
  if (!caCertificate.checkPrivateKey(material.caPrivateKey))
    fail('TLOG_TSA_KEY_INVALID', 'the CA private key does not match the CA certificate')
  if (!tsaCertificate.verify(caCertificate.publicKey) || !tsaCertificate.checkIssued(caCertificate))
    fail('TLOG_TSA_KEY_INVALID', 'the TSA certificate was not issued by the TSA CA')
  const usage = tsaCertificate.keyUsage ?? []
  if (usage.length !== 1 || usage[0] !== '1.3.6.1.5.5.7.3.8')
    fail('TLOG_TSA_KEY_INVALID', 'the TSA certificate must carry exactly the id-kp-timeStamping EKU')
}

// Schemas are built on first use (z.lazy): importing this module builds none (start-up of `certus`, issue 11).
// The file format: one JSON document, written once, atomically, mode 0600.
const MaterialFileSchema = z.lazy(() =>
  z.object({
    version: z.literal(1),
    caPrivateKey: z.string(),
    caCertificate: z.string(),
    tsaPrivateKey: z.string(),
    tsaCertificate: z.string(),
  }),
)

function toFileText(material: TsaMaterial): string {
  return `${JSON.stringify(
    {
      version: 1,
      caPrivateKey: material.caPrivateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      caCertificate: material.caCertificate.toString(),
      tsaPrivateKey: material.tsaPrivateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      tsaCertificate: material.tsaCertificate.toString(),
    },
    null,
    2,
  )}\n`
}

function fromFileText(text: string, path: string): TsaMaterial {
  try {
    const parsed = MaterialFileSchema.parse(JSON.parse(text))
    const material: TsaMaterial = {
      caPrivateKey: createPrivateKey(parsed.caPrivateKey),
      caCertificate: new X509Certificate(parsed.caCertificate),
      tsaPrivateKey: createPrivateKey(parsed.tsaPrivateKey),
      tsaCertificate: new X509Certificate(parsed.tsaCertificate),
    }
    checkTsaMaterial(material)
    return material
  } catch (error) {
    if (TlogError.is(error)) throw error
    // Never echo the file's contents: it holds private keys.
    return fail('TLOG_TSA_KEY_INVALID', 'the TSA key file is not readable', { path }, error)
  }
}

/**
 * Loads the TSA material from `path`, or generates it and saves it there (mode 0600). The file appears complete or
 * not at all (written to a temporary file, then hard-linked into place), and when two processes race to create it
 * both end up with the one that won.
 * @throws TlogError `TLOG_TSA_KEY_INVALID` when the file is unreadable, malformed or inconsistent.
 */
export async function loadOrCreateTsaMaterial(
  path: string,
  options: GenerateTsaMaterialOptions = {},
): Promise<TsaMaterial> {
  try {
    return fromFileText(await readFile(path, 'utf8'), path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const material = generateTsaMaterial(options)
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    await writeFile(temporary, toFileText(material), { mode: 0o600, flag: 'wx' })
    await link(temporary, path)
    return material
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return fromFileText(await readFile(path, 'utf8'), path)
    return fail('TLOG_TSA_KEY_INVALID', 'could not save the TSA key file', { path }, error)
  } finally {
    await unlink(temporary).catch(() => undefined)
  }
}

/** PEM of the chain a verifier needs, leaf first: the TSA certificate, then the CA. */
export function tsaChainPem(material: TsaMaterial): string {
  return `${material.tsaCertificate.toString()}${material.caCertificate.toString()}`
}
