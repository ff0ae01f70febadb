import {
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
  X509Certificate,
} from 'node:crypto'
import { publicKeyFingerprint, toHex } from '@certus-trust/core'
import { fail } from './errors.js'

/** A public key as accepted by this package: a Node `KeyObject` or PEM text (SPKI public key or X.509 certificate). */
export type PublicKeyInput = KeyObject | string

/**
 * Turns a `KeyObject` (public or private) or PEM text (public key or certificate) into a public `KeyObject`.
 * @throws RekorError `REKOR_KEY_INVALID`.
 */
export function toPublicKey(key: PublicKeyInput): KeyObject {
  try {
    if (typeof key === 'string') {
      if (key.includes('-----BEGIN CERTIFICATE-----')) return new X509Certificate(key).publicKey
      return createPublicKey(key)
    }
    if (key.type === 'public') return key
    if (key.type === 'private') return createPublicKey(key)
  } catch (error) {
    fail('REKOR_KEY_INVALID', 'could not read the public key', undefined, error)
  }
  return fail('REKOR_KEY_INVALID', 'expected a public key, a private key or PEM text')
}

/** DER SubjectPublicKeyInfo bytes of a key. */
export function spkiDer(key: PublicKeyInput): Uint8Array {
  return new Uint8Array(toPublicKey(key).export({ type: 'spki', format: 'der' }))
}

/**
 * Rekor v1 log ID of a log key: lower-case hex SHA-256 of its DER SubjectPublicKeyInfo.
 * @throws RekorError `REKOR_KEY_INVALID`.
 */
export function logIdFromPublicKey(publicKey: PublicKeyInput): string {
  // A KeyObject's fingerprint is memoised in core by the object itself (a private key too: core derives its public
  // key once), so SPKI export + hash do not dominate SET checks; text is parsed (and checked) first.
  const key =
    typeof publicKey !== 'string' && publicKey.type !== 'secret' ? publicKey : toPublicKey(publicKey)
  return toHex(publicKeyFingerprint(key))
}

/**
 * Verifies a log signature (SET, checkpoint) the way Rekor v1 makes them: ECDSA with SHA-256 and a DER signature
 * (whatever the curve), pure Ed25519, or RSA PKCS#1 v1.5 with SHA-256. Returns false instead of throwing.
 */
export function verifyLogSignature(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (key.asymmetricKeyType === 'ed25519') return cryptoVerify(null, data, key, signature)
    // DER is node's default dsaEncoding: passing the KeyObject itself (not `{ key, dsaEncoding }`) gives the same
    // result ~8 µs faster per call, which matters on the SET/checkpoint hot path of verifiers and logs.
    if (key.asymmetricKeyType === 'ec') return cryptoVerify('sha256', data, key, signature)
    if (key.asymmetricKeyType === 'rsa') return cryptoVerify('sha256', data, key, signature)
    return false
  } catch {
    return false
  }
}

/** node:crypto's algorithm and key arguments for signing like a Rekor v1 log. */
function logSigningParameters(privateKey: KeyObject): [algorithm: string | null, key: KeyObject] {
  if (privateKey.type !== 'private') fail('REKOR_KEY_INVALID', 'signing needs a private key')
  const type = privateKey.asymmetricKeyType
  if (type === 'ed25519') return [null, privateKey]
  // ECDSA signatures are DER, node's default dsaEncoding: the bare KeyObject skips re-preparing the key per call.
  if (type === 'ec' || type === 'rsa') return ['sha256', privateKey]
  return fail('REKOR_KEY_INVALID', `unsupported log key type ${String(type)}`)
}

/** Signs like a Rekor v1 log (see {@link verifyLogSignature}). */
export function signLogData(privateKey: KeyObject, data: Uint8Array): Uint8Array {
  const [algorithm, key] = logSigningParameters(privateKey)
  return new Uint8Array(cryptoSign(algorithm, data, key))
}

/**
 * {@link signLogData} on libuv's thread pool (node:crypto's callback form): a log signing a batch of SETs keeps
 * its main thread for other work and spreads the signatures over the cores.
 */
export function signLogDataOffThread(privateKey: KeyObject, data: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    // Inside the executor, so a key we cannot sign with is a rejection, not a throw.
    const [algorithm, key] = logSigningParameters(privateKey)
    cryptoSign(algorithm, data, key, (error, signature) => {
      if (error) reject(error)
      else resolve(new Uint8Array(signature))
    })
  })
}
