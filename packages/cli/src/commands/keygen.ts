import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto'
import { CliError } from '../errors.js'
import { resolvePath, writeOutputFile } from '../files.js'
import type { Output } from '../output.js'

/** Algorithms `certus keygen` creates. */
export const KEY_ALGORITHMS = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa'] as const
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number]

export interface KeygenOptions {
  algorithm: string
  privateKey: string
  publicKey: string
  rsaBits?: string
  force?: boolean
}

/** `certus keygen`: a new key pair as PKCS#8 (private, mode 0600) and SPKI (public) PEM files. */
export async function runKeygen(options: KeygenOptions, out: Output): Promise<void> {
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
  const privatePath = resolvePath(out.io.cwd, options.privateKey)
  const publicPath = resolvePath(out.io.cwd, options.publicKey)
  if (privatePath === publicPath) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: '--private-key and --public-key must be different files',
    })
  }
  const pair = generate(algorithm, rsaBits)
  await writeOutputFile(privatePath, pair.privateKey, {
    secret: true,
    overwrite: options.force === true,
    what: 'private key',
  })
  await writeOutputFile(publicPath, pair.publicKey, { overwrite: options.force === true, what: 'public key' })
  const der = createPublicKey(pair.publicKey).export({ type: 'spki', format: 'der' })
  const keyId = createHash('sha256').update(der).digest('hex')
  out.result(
    [
      `generated ${algorithm} key pair`,
      `  private key: ${privatePath} (mode 0600)`,
      `  public key:  ${publicPath}`,
      `  key id:      sha256:${keyId}`,
    ],
    { ok: true, algorithm, privateKey: privatePath, publicKey: publicPath, keyId: `sha256:${keyId}` },
  )
}

function generate(algorithm: KeyAlgorithm, rsaBits: number): { privateKey: string; publicKey: string } {
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const
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
