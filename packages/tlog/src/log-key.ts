import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fail, TlogError } from './errors.js'

/** Signature algorithms a log key may use: ECDSA P-256 (Rekor's default) or Ed25519. */
export type LogKeyAlgorithm = 'ecdsa-p256' | 'ed25519'

/** Default algorithm for generated log keys (what Rekor's public instance uses). */
export const DEFAULT_LOG_KEY_ALGORITHM: LogKeyAlgorithm = 'ecdsa-p256'

/**
 * Where the log's signing key comes from.
 * - a `KeyObject` or PEM text (PKCS#8 or SEC1/PKCS#1 private key): used as is, never written anywhere;
 * - `{ path }`: loaded from the PEM file, or generated (with `algorithm`) and saved there with mode 0600
 *   when the file does not exist. Key rotation writes the new key to the same path.
 */
export type LogKeySource = KeyObject | string | { path: string; algorithm?: LogKeyAlgorithm }

/** A loaded log key pair. The private key never appears in errors, logs or exports. */
export interface LogKeyPair {
  privateKey: KeyObject
  publicKey: KeyObject
  algorithm: LogKeyAlgorithm
  publicKeyPem: string
}

/** Which of our algorithms a key uses. @throws TlogError `TLOG_KEY_INVALID` for any other key type. */
export function keyAlgorithmOf(key: KeyObject): LogKeyAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519'
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return 'ecdsa-p256'
  return fail('TLOG_KEY_INVALID', 'the log key must be an ECDSA P-256 or Ed25519 private key', {
    keyType: key.asymmetricKeyType,
  })
}

/** Builds a key pair from a private key. */
export function toLogKeyPair(privateKey: KeyObject): LogKeyPair {
  if (privateKey.type !== 'private') fail('TLOG_KEY_INVALID', 'the log key must be a private key')
  const algorithm = keyAlgorithmOf(privateKey)
  const publicKey = createPublicKey(privateKey)
  return {
    privateKey,
    publicKey,
    algorithm,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}

/** Generates a fresh log key pair. */
export function generateLogKey(algorithm: LogKeyAlgorithm = DEFAULT_LOG_KEY_ALGORITHM): LogKeyPair {
  const { privateKey } =
    algorithm === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return toLogKeyPair(privateKey)
}

function parsePrivateKeyPem(pem: string): KeyObject {
  try {
    return createPrivateKey(pem)
  } catch (error) {
    // The message of OpenSSL's error never contains key bytes, but we still keep it out of ours.
    return fail('TLOG_KEY_INVALID', 'the log key is not a readable PEM private key', undefined, error)
  }
}

/** PKCS#8 PEM of a private key (what we write to key files). */
export function privateKeyPem(key: LogKeyPair): string {
  return key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
}

/**
 * Writes a private key file with owner-only permissions, atomically (temp file + rename), so a crash never leaves a
 * half-written key. `exclusive` refuses to replace an existing file.
 */
export async function savePrivateKey(path: string, key: LogKeyPair, exclusive: boolean): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    if (exclusive) {
      // `wx` makes two processes racing to create the first key agree on one file.
      await writeFile(path, privateKeyPem(key), { mode: 0o600, flag: 'wx' })
      return
    }
    const temporary = `${path}.${process.pid}.tmp`
    await writeFile(temporary, privateKeyPem(key), { mode: 0o600, flag: 'w' })
    await rename(temporary, path)
  } catch (error) {
    if (TlogError.is(error)) throw error
    if (exclusive && (error as NodeJS.ErrnoException).code === 'EEXIST') throw error
    return fail('TLOG_KEY_INVALID', 'could not save the log key file', { path }, error)
  }
}

async function loadOrCreate(path: string, algorithm: LogKeyAlgorithm): Promise<LogKeyPair> {
  let pem: string | undefined
  try {
    pem = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      return fail('TLOG_KEY_INVALID', 'could not read the log key file', { path }, error)
    }
  }
  if (pem !== undefined) return toLogKeyPair(parsePrivateKeyPem(pem))
  const generated = generateLogKey(algorithm)
  try {
    await savePrivateKey(path, generated, true)
    return generated
  } catch (error) {
    // Another process created the file first: use its key.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return toLogKeyPair(parsePrivateKeyPem(await readFile(path, 'utf8')))
    throw error
  }
}

/** Resolves a {@link LogKeySource} (or generates an in-memory key when there is none). */
export async function resolveLogKey(
  source: LogKeySource | undefined,
  algorithm: LogKeyAlgorithm = DEFAULT_LOG_KEY_ALGORITHM,
): Promise<{ key: LogKeyPair; path?: string }> {
  if (source === undefined) return { key: generateLogKey(algorithm) }
  if (typeof source === 'string') return { key: toLogKeyPair(parsePrivateKeyPem(source)) }
  if (typeof source === 'object' && source !== null && 'path' in source && typeof source.path === 'string') {
    return { key: await loadOrCreate(source.path, source.algorithm ?? algorithm), path: source.path }
  }
  if (typeof source === 'object' && source !== null && 'asymmetricKeyType' in source) {
    return { key: toLogKeyPair(source as KeyObject) }
  }
  return fail('TLOG_KEY_INVALID', 'unsupported log key option: pass a KeyObject, PEM text or { path }')
}
