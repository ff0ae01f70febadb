import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto'
import {
  type FakeRequest,
  type FakeResponse,
  json,
  type LocalServer,
  startLocalServer,
} from './http-server.js'
import { signLikeKms } from './kms-signing.js'

/** One crypto key version of the fake Cloud KMS. */
export interface FakeGcpKeyVersion {
  algorithm: string
  privateKey: KeyObject
  publicKey: KeyObject
  state: 'ENABLED' | 'DISABLED'
  /** GetPublicKey answers FAILED_PRECONDITION this many more times (key material being generated). */
  pendingGeneration: number
}

/** A local stand-in for the Cloud KMS REST API (GetPublicKey, AsymmetricSign, ListCryptoKeyVersions, CreateCryptoKey). */
export interface FakeGcpKms extends LocalServer {
  /** By version name (`projects/…/cryptoKeys/K/cryptoKeyVersions/N`). */
  versions: Map<string, FakeGcpKeyVersion>
  keyRings: Set<string>
  failures: Array<{ status: number; grpcStatus: string }>
  delayMs: number
  /** `METHOD path` of every request. */
  calls: string[]
  addVersion(cryptoKey: string, algorithm: string): string
}

function generate(algorithm: string): { privateKey: KeyObject; publicKey: KeyObject } {
  if (algorithm.startsWith('EC_SIGN_P256')) return generateKeyPairSync('ec', { namedCurve: 'P-256' })
  if (algorithm.startsWith('EC_SIGN_P384')) return generateKeyPairSync('ec', { namedCurve: 'P-384' })
  if (algorithm.startsWith('EC_SIGN_SECP256K1')) return generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
  if (algorithm === 'EC_SIGN_ED25519') return generateKeyPairSync('ed25519')
  return generateKeyPairSync('rsa', { modulusLength: Number(/_(\d{4})_/.exec(algorithm)?.[1] ?? 2048) })
}

// CryptoKeyVersionAlgorithm numbers (google/cloud/kms/v1/resources.proto) of the algorithms keys are created with.
const ALGORITHM_NUMBERS: Record<number, string> = {
  3: 'RSA_SIGN_PSS_3072_SHA256',
  6: 'RSA_SIGN_PKCS1_3072_SHA256',
  12: 'EC_SIGN_P256_SHA256',
  13: 'EC_SIGN_P384_SHA384',
  40: 'EC_SIGN_ED25519',
}

const STATUS_CODES: Record<string, number> = {
  NOT_FOUND: 404,
  FAILED_PRECONDITION: 400,
  INVALID_ARGUMENT: 400,
  ALREADY_EXISTS: 409,
}

function exchangeToken(request: FakeRequest): FakeResponse {
  const form = new URLSearchParams(request.body.toString('utf8'))
  if (
    form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange' ||
    !form.get('subject_token')
  )
    return json(400, { error: 'invalid_request', error_description: 'expected an RFC 8693 token exchange' })
  return json(200, {
    access_token: `ya29.sts-${randomBytes(8).toString('hex')}`,
    issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    token_type: 'Bearer',
    expires_in: 3600,
  })
}

export async function startFakeGcpKms(): Promise<FakeGcpKms> {
  const versions = new Map<string, FakeGcpKeyVersion>()
  const error = (grpcStatus: string, message: string, status = STATUS_CODES[grpcStatus] ?? 400) =>
    json(status, { error: { code: status, message, status: grpcStatus } })
  const handle = async (request: FakeRequest): Promise<FakeResponse> => {
    const url = new URL(request.url, 'http://fake')
    fake.calls.push(`${request.method} ${url.pathname}`)
    if (fake.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.delayMs))
    const failure = fake.failures.shift()
    if (failure) return error(failure.grpcStatus, `injected ${failure.grpcStatus}`, failure.status)
    // Security Token Service (workload identity federation): an external_account credential file names this as its
    // token_url, so ADC exchanges the subject token here for an access token, as it would at sts.googleapis.com.
    if (request.method === 'POST' && url.pathname === '/v1/token') return exchangeToken(request)
    if (!/^Bearer \S+/.test(String(request.headers.authorization ?? '')))
      return error('UNAUTHENTICATED', 'no token', 401)
    const path = decodeURIComponent(url.pathname.replace(/^\/v1\//, ''))
    const body = request.body.length ? JSON.parse(request.body.toString('utf8')) : {}
    let match: RegExpExecArray | null
    match = request.method === 'GET' ? /^(.+\/cryptoKeyVersions\/\d+)\/publicKey$/.exec(path) : null
    if (match) {
      const version = versions.get(match[1]!)
      if (!version) return error('NOT_FOUND', `CryptoKeyVersion ${match[1]} not found.`)
      if (version.pendingGeneration > 0) {
        version.pendingGeneration--
        return error(
          'FAILED_PRECONDITION',
          `${match[1]} is not enabled, current state is: PENDING_GENERATION.`,
        )
      }
      return json(200, {
        name: match[1],
        algorithm: version.algorithm,
        pem: version.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        protectionLevel: 'SOFTWARE',
      })
    }
    match = request.method === 'POST' ? /^(.+\/cryptoKeyVersions\/\d+):asymmetricSign$/.exec(path) : null
    if (match) {
      const version = versions.get(match[1]!)
      if (!version) return error('NOT_FOUND', `CryptoKeyVersion ${match[1]} not found.`)
      if (version.state !== 'ENABLED')
        return error('FAILED_PRECONDITION', `${match[1]} is not enabled, current state is: DISABLED.`)
      const digest = body.digest?.sha256 ?? body.digest?.sha384
      let signature: Uint8Array
      if (version.algorithm === 'EC_SIGN_ED25519') {
        if (!body.data) return error('INVALID_ARGUMENT', 'Ed25519 keys sign data, not a digest')
        signature = signLikeKms(version.privateKey, 'ed25519', Buffer.from(body.data, 'base64'))
      } else {
        const expected = version.algorithm.endsWith('SHA384') ? 'sha384' : 'sha256'
        if (!body.digest?.[expected])
          return error('INVALID_ARGUMENT', `The digest must be a ${expected} digest.`)
        const scheme = version.algorithm.startsWith('EC_')
          ? 'ecdsa'
          : version.algorithm.includes('PSS')
            ? 'rsa-pss'
            : 'rsa-pkcs1v15'
        signature = signLikeKms(version.privateKey, scheme, Buffer.from(digest, 'base64'))
      }
      return json(200, {
        name: match[1],
        signature: Buffer.from(signature).toString('base64'),
        protectionLevel: 'SOFTWARE',
      })
    }
    match = request.method === 'GET' ? /^(.+\/cryptoKeys\/[^/]+)\/cryptoKeyVersions$/.exec(path) : null
    if (match) {
      const prefix = `${match[1]}/cryptoKeyVersions/`
      const listed = [...versions.entries()]
        .filter(
          ([name, version]) =>
            name.startsWith(prefix) && (!url.searchParams.get('filter') || version.state === 'ENABLED'),
        )
        .map(([name, version]) => ({ name, state: version.state, algorithm: version.algorithm }))
      return json(200, { cryptoKeyVersions: listed, totalSize: listed.length })
    }
    match =
      request.method === 'POST'
        ? /^(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+)\/cryptoKeys$/.exec(path)
        : null
    if (match) {
      if (!fake.keyRings.has(match[1]!)) return error('NOT_FOUND', `KeyRing ${match[1]} not found.`)
      const cryptoKey = `${match[1]}/cryptoKeys/${url.searchParams.get('cryptoKeyId')}`
      if (versions.has(`${cryptoKey}/cryptoKeyVersions/1`))
        return error('ALREADY_EXISTS', `CryptoKey ${cryptoKey} already exists.`)
      // The client sends enums as numbers (enum-encoding=int).
      if (body.purpose !== 'ASYMMETRIC_SIGN' && body.purpose !== 5)
        return error('INVALID_ARGUMENT', 'purpose')
      const algorithm = body.versionTemplate?.algorithm
      const name = fake.addVersion(cryptoKey, ALGORITHM_NUMBERS[algorithm] ?? String(algorithm))
      versions.get(name)!.pendingGeneration = 1
      return json(200, { name: cryptoKey, purpose: 'ASYMMETRIC_SIGN' })
    }
    return error('NOT_FOUND', `no route ${request.method} ${path}`)
  }
  const server = await startLocalServer(handle)
  const fake: FakeGcpKms = {
    ...server,
    versions,
    keyRings: new Set(),
    failures: [],
    delayMs: 0,
    calls: [],
    addVersion(cryptoKey, algorithm) {
      const count = [...versions.keys()].filter((name) =>
        name.startsWith(`${cryptoKey}/cryptoKeyVersions/`),
      ).length
      const name = `${cryptoKey}/cryptoKeyVersions/${count + 1}`
      versions.set(name, { algorithm, ...generate(algorithm), state: 'ENABLED', pendingGeneration: 0 })
      return name
    },
  }
  return fake
}
