import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { publicKeyFingerprint, toHex } from '@certus-trust/core'
import type { KmsKeyAlgorithm } from '@certus-trust/kms'
import { CliError } from '../errors.js'
import { resolvePath, writeOutputFile } from '../files.js'
import { createKmsKeyFromUri, isKmsKeyUri } from '../kms.js'
import type { Output } from '../output.js'
import { readPassword } from '../password.js'

/** Algorithms `certus keygen` creates. */
export const KEY_ALGORITHMS = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa'] as const
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number]

export interface KeygenOptions {
  algorithm: string
  /** Required unless `kms` is given. */
  privateKey?: string
  /** Required unless `kms` is given (then optional: where to write the KMS key's public key). */
  publicKey?: string
  /** Create the key in this KMS (`awskms://…`, `gcpkms://…`, `azurekms://…`, `hashivault://…`) instead. */
  kms?: string
  rsaBits?: string
  force?: boolean
  /** Encrypt the private key with the password read from stdin (else `$CERTUS_PASSWORD` when set). */
  passwordStdin?: boolean
}

/**
 * `certus keygen`: a new key pair as PKCS#8 (private, mode 0600) and SPKI (public) PEM files, or with `--kms URI`
 * a new key inside a KMS (only its public key is written).
 */
export async function runKeygen(options: KeygenOptions, out: Output): Promise<void> {
  if (options.kms !== undefined) return runKmsKeygen(options, out)
  // The password is read before anything is generated or written; only --password-stdin and CERTUS_PASSWORD
  // encrypt (CERTUS_TRUST_KEY_PASSPHRASE only ever decrypted keys, so keygen ignores it).
  const password = await readPassword(out.io, {
    passwordStdin: options.passwordStdin === true,
    legacy: false,
  })
  const algorithm = options.algorithm as KeyAlgorithm
  if (!KEY_ALGORITHMS.includes(algorithm)) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: `unknown --algorithm ${JSON.stringify(options.algorithm)} (expected one of ${KEY_ALGORITHMS.join(', ')})`,
    })
  }
  const rsaBits = options.rsaBits === undefined ? 3072 : Number(options.rsaBits)
  if (!Number.isInteger(rsaBits) || ![2048, 3072, 4096].includes(rsaBits)) {
    throw new CliError({ code: 'CLI_USAGE', message: '--rsa-bits must be 2048, 3072 or 4096' })
  }
  if (options.privateKey === undefined || options.publicKey === undefined) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: 'give --private-key and --public-key (or --kms URI to create the key in a KMS)',
    })
  }
  const privatePath = resolvePath(out.io.cwd, options.privateKey)
  const publicPath = resolvePath(out.io.cwd, options.publicKey)
  if (privatePath === publicPath) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: '--private-key and --public-key must be different files',
    })
  }
  const pair = generate(algorithm, rsaBits, password?.value)
  await writeOutputFile(privatePath, pair.privateKey, {
    secret: true,
    overwrite: options.force === true,
    what: 'private key',
  })
  await writeOutputFile(publicPath, pair.publicKey, { overwrite: options.force === true, what: 'public key' })
  const keyId = toHex(publicKeyFingerprint(createPublicKey(pair.publicKey)))
  out.result(
    [
      `generated ${algorithm} key pair`,
      `  private key: ${privatePath} (mode 0600${password ? `, encrypted with the password from ${password.source}` : ''})`,
      `  public key:  ${publicPath}`,
      `  key id:      sha256:${keyId}`,
    ],
    {
      ok: true,
      algorithm,
      privateKey: privatePath,
      publicKey: publicPath,
      keyId: `sha256:${keyId}`,
      encrypted: password !== undefined,
    },
  )
}

async function runKmsKeygen(options: KeygenOptions, out: Output): Promise<void> {
  const uri = options.kms as string
  if (options.privateKey !== undefined || options.rsaBits !== undefined || options.passwordStdin) {
    throw new CliError({
      code: 'CLI_USAGE',
      message:
        '--kms creates the key inside the KMS: --private-key, --rsa-bits and --password-stdin do not apply',
    })
  }
  if (!(await isKmsKeyUri(uri))) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: '--kms takes a KMS key URI: awskms://, gcpkms://, azurekms:// or hashivault://',
    })
  }
  const algorithm = options.algorithm === 'rsa' ? 'rsa-pkcs1v15' : (options.algorithm as KmsKeyAlgorithm)
  const publicPath = options.publicKey === undefined ? undefined : resolvePath(out.io.cwd, options.publicKey)
  const { info } = await createKmsKeyFromUri(uri, algorithm)
  if (publicPath !== undefined) {
    await writeOutputFile(publicPath, info.publicKeyPem, {
      overwrite: options.force === true,
      what: 'public key',
    })
  }
  out.result(
    [
      `created ${info.algorithm} key ${uri} (${info.keyDetails})`,
      ...(publicPath ? [`  public key:  ${publicPath}`] : []),
      `  key id:      sha256:${info.keyId}`,
      `  sign with:   certus sign --key ${uri} FILE`,
    ],
    {
      ok: true,
      kms: uri,
      algorithm: info.algorithm,
      keyDetails: info.keyDetails,
      ...(publicPath ? { publicKey: publicPath } : {}),
      keyId: `sha256:${info.keyId}`,
    },
  )
}

/** A PEM key pair; with a password the private key is encrypted PKCS#8 ("ENCRYPTED PRIVATE KEY", AES-256-CBC). */
function generate(
  algorithm: KeyAlgorithm,
  rsaBits: number,
  password: string | undefined,
): { privateKey: string; publicKey: string } {
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const
  const privateKeyEncoding = {
    type: 'pkcs8',
    format: 'pem',
    ...(password !== undefined ? { cipher: 'aes-256-cbc', passphrase: password } : {}),
  } as const
  switch (algorithm) {
    case 'ecdsa-p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding, privateKeyEncoding })
    case 'ecdsa-p384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384', publicKeyEncoding, privateKeyEncoding })
    case 'ed25519':
      return generateKeyPairSync('ed25519', { publicKeyEncoding, privateKeyEncoding })
    case 'rsa':
      return generateKeyPairSync('rsa', { modulusLength: rsaBits, publicKeyEncoding, privateKeyEncoding })
  }
}
