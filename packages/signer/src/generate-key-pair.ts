import { generateKeyPair as generateKeyPairCallback, type KeyObject } from 'node:crypto'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import * as z from 'zod'
import { SignerError } from './errors.js'
import { describeKey, type KeyAlgorithm, type KeyInfo, MIN_RSA_BITS } from './keys.js'

type KeyPairObjects = { publicKey: KeyObject; privateKey: KeyObject }

// util.promisify loses the overloads for 'rsa-pss'; wrap the callback form once.
function generate(type: string, options: Record<string, unknown>): Promise<KeyPairObjects> {
  return new Promise((resolve, reject) => {
    ;(
      generateKeyPairCallback as unknown as (
        type: string,
        options: object,
        callback: (error: Error | null, publicKey: KeyObject, privateKey: KeyObject) => void,
      ) => void
    )(type, options, (error, publicKey, privateKey) =>
      error ? reject(error) : resolve({ publicKey, privateKey }),
    )
  })
}

/** Options of {@link generateKeyPair}. */
export interface GenerateKeyPairOptions {
  /** @default 'ecdsa-p256' */
  algorithm?: KeyAlgorithm
  /** RSA modulus length in bits (≥ 2048). @default 3072 */
  rsaBits?: number
  /** Where to write the PKCS#8 PEM private key, created with mode 0600 (owner read/write only). Not written when unset. */
  privateKeyPath?: string
  /** Where to write the SPKI PEM public key (mode 0644). */
  publicKeyPath?: string
  /** Encrypts the written private key (AES-256-CBC PKCS#8) with this passphrase. */
  passphrase?: string
  /** Replace existing files instead of failing with `SIGNER_KEY_WRITE_FAILED`. @default false */
  overwrite?: boolean
}

/** Result of {@link generateKeyPair}. The private key stays a `KeyObject`; it is never returned as text. */
export interface GeneratedKeyPair extends KeyInfo {
  privateKey: KeyObject
  publicKey: KeyObject
}

// Schemas are built on first use (z.lazy): importing this module builds none (start-up of `certus`, issue 11).
const OptionsSchema = z.lazy(() =>
  z.strictObject({
    algorithm: z.enum(['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-pkcs1v15', 'rsa-pss']).optional(),
    rsaBits: z.number().int().min(MIN_RSA_BITS).max(16384).optional(),
    privateKeyPath: z.string().min(1).optional(),
    publicKeyPath: z.string().min(1).optional(),
    passphrase: z.string().min(1).optional(),
    overwrite: z.boolean().optional(),
  }),
)

/**
 * Generates a signing key pair and optionally writes it to disk, the private key with owner-only permissions.
 *
 * @example
 * const { publicKeyPem } = await generateKeyPair({ privateKeyPath: 'keys/signing.pem', publicKeyPath: 'keys/signing.pub' })
 * @throws SignerError `SIGNER_INVALID_INPUT` (bad options, e.g. rsaBits < 2048), `SIGNER_KEY_WRITE_FAILED`
 */
export async function generateKeyPair(options: GenerateKeyPairOptions = {}): Promise<GeneratedKeyPair> {
  const parsed = OptionsSchema.safeParse(options)
  if (!parsed.success) {
    const weak = parsed.error.issues.some(
      (issue) => issue.path[0] === 'rsaBits' && issue.code === 'too_small',
    )
    throw new SignerError({
      code: weak ? 'SIGNER_WEAK_KEY' : 'SIGNER_INVALID_INPUT',
      message: weak ? `RSA keys must have at least ${MIN_RSA_BITS} bits` : 'invalid generateKeyPair options',
      details: {
        issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      },
    })
  }
  const { algorithm = 'ecdsa-p256', rsaBits = 3072 } = parsed.data
  const pair = await generateFor(algorithm, rsaBits)
  const info = describeKey(pair.publicKey)

  if (options.privateKeyPath) {
    const pem = pair.privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      ...(options.passphrase ? { cipher: 'aes-256-cbc', passphrase: options.passphrase } : {}),
    })
    await writeKeyFile(options.privateKeyPath, pem.toString(), 0o600, options.overwrite ?? false)
  }
  if (options.publicKeyPath) {
    await writeKeyFile(options.publicKeyPath, info.publicKeyPem, 0o644, options.overwrite ?? false)
  }
  return { ...info, privateKey: pair.privateKey, publicKey: pair.publicKey }
}

function generateFor(algorithm: KeyAlgorithm, rsaBits: number): Promise<KeyPairObjects> {
  switch (algorithm) {
    case 'ecdsa-p256':
      return generate('ec', { namedCurve: 'P-256' })
    case 'ecdsa-p384':
      return generate('ec', { namedCurve: 'P-384' })
    case 'ed25519':
      return generate('ed25519', {})
    case 'rsa-pkcs1v15':
      return generate('rsa', { modulusLength: rsaBits })
    case 'rsa-pss':
      // Restricting the key to SHA-256/MGF1-SHA-256/salt 32 puts the PSS parameters into the SPKI, so
      // verifiers (node, @sigstore/verify) pick PSS padding from the key itself.
      return generate('rsa-pss', {
        modulusLength: rsaBits,
        hashAlgorithm: 'sha256',
        mgf1HashAlgorithm: 'sha256',
        saltLength: 32,
      })
  }
}

async function writeKeyFile(path: string, content: string, mode: number, overwrite: boolean): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true })
    // 'wx' refuses to follow into an existing file, so a key is never silently replaced.
    await writeFile(path, content, { mode, flag: overwrite ? 'w' : 'wx' })
    // writeFile's mode only applies on creation and is masked by umask; make it exact.
    await chmod(path, mode)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new SignerError({
      code: 'SIGNER_KEY_WRITE_FAILED',
      message:
        code === 'EEXIST'
          ? `refusing to overwrite existing key file ${path} (pass overwrite: true)`
          : `could not write key file ${path} (${code ?? 'unknown error'})`,
      details: { path, errno: code },
      cause: error,
    })
  }
}
