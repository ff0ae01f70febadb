import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto'
import {
  type FakeRequest,
  type FakeResponse,
  json,
  type LocalServer,
  startLocalServer,
} from './http-server.js'
import { signLikeKms } from './kms-signing.js'

/** One key of the fake KMS. */
export interface FakeAwsKey {
  keySpec: string
  privateKey: KeyObject
  publicKey: KeyObject
  enabled: boolean
}

/** A local stand-in for the AWS KMS JSON 1.1 API (GetPublicKey, Sign, CreateKey, CreateAlias) over real keys. */
export interface FakeAwsKms extends LocalServer {
  keys: Map<string, FakeAwsKey>
  aliases: Map<string, string>
  /** Errors to answer the next requests with, in order (`__type` names such as ThrottlingException). */
  failures: Array<{ type: string; status?: number }>
  /** Delay before every answer. */
  delayMs: number
  /** Target names of every request received, in order. */
  calls: string[]
  addKey(keySpec: string, alias?: string): string
}

function generate(keySpec: string): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (keySpec) {
    case 'ECC_NIST_P256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' })
    case 'ECC_NIST_P384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' })
    case 'ECC_SECG_P256K1':
      return generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
    case 'ECC_NIST_EDWARDS25519':
      return generateKeyPairSync('ed25519')
    default:
      return generateKeyPairSync('rsa', { modulusLength: Number(keySpec.slice(4)) })
  }
}

const SIGNING_ALGORITHMS: Record<string, string[]> = {
  ECC_NIST_P256: ['ECDSA_SHA_256'],
  ECC_NIST_P384: ['ECDSA_SHA_384'],
  ECC_SECG_P256K1: ['ECDSA_SHA_256'],
  ECC_NIST_EDWARDS25519: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'],
}
const RSA_ALGORITHMS = ['RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PSS_SHA_256']

export async function startFakeAwsKms(): Promise<FakeAwsKms> {
  const keys = new Map<string, FakeAwsKey>()
  const aliases = new Map<string, string>()
  const error = (type: string, status = 400, message = type) =>
    json(status, { __type: type, message }, { 'x-amzn-errortype': type })
  const lookup = (keyId: string): FakeAwsKey | FakeResponse => {
    const id = keyId.startsWith('alias/') ? aliases.get(keyId) : keyId.replace(/^arn:.*:key\//, '')
    const key = id === undefined ? undefined : keys.get(id)
    if (!key) return error('NotFoundException', 400, `Key '${keyId}' does not exist`)
    if (!key.enabled) return error('DisabledException', 400, `${keyId} is disabled.`)
    return key
  }
  const handle = async (request: FakeRequest): Promise<FakeResponse> => {
    const target = String(request.headers['x-amz-target'] ?? '').replace('TrentService.', '')
    fake.calls.push(target)
    if (fake.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.delayMs))
    const failure = fake.failures.shift()
    if (failure) return error(failure.type, failure.status ?? 400)
    const body = JSON.parse(request.body.toString('utf8') || '{}')
    switch (target) {
      case 'GetPublicKey': {
        const key = lookup(body.KeyId)
        if ('status' in key) return key
        return json(200, {
          KeyId: body.KeyId,
          KeySpec: key.keySpec,
          KeyUsage: 'SIGN_VERIFY',
          PublicKey: key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
          SigningAlgorithms: SIGNING_ALGORITHMS[key.keySpec] ?? RSA_ALGORITHMS,
        })
      }
      case 'Sign': {
        const key = lookup(body.KeyId)
        if ('status' in key) return key
        const algorithms = SIGNING_ALGORITHMS[key.keySpec] ?? RSA_ALGORITHMS
        if (!algorithms.includes(body.SigningAlgorithm)) return error('InvalidKeyUsageException')
        const message = Buffer.from(body.Message, 'base64')
        const expected = body.SigningAlgorithm.endsWith('384') ? 48 : 32
        if (body.MessageType === 'DIGEST' && message.length !== expected) return error('ValidationException')
        const scheme = body.SigningAlgorithm.startsWith('ECDSA')
          ? 'ecdsa'
          : body.SigningAlgorithm.startsWith('ED25519')
            ? 'ed25519'
            : body.SigningAlgorithm.startsWith('RSASSA_PSS')
              ? 'rsa-pss'
              : 'rsa-pkcs1v15'
        if ((scheme === 'ed25519') !== (body.MessageType === 'RAW')) return error('ValidationException')
        const signature = signLikeKms(key.privateKey, scheme, message)
        return json(200, {
          KeyId: body.KeyId,
          Signature: Buffer.from(signature).toString('base64'),
          SigningAlgorithm: body.SigningAlgorithm,
        })
      }
      case 'CreateKey': {
        const id = fake.addKey(body.KeySpec)
        return json(200, { KeyMetadata: { KeyId: id, KeySpec: body.KeySpec, KeyUsage: body.KeyUsage } })
      }
      case 'CreateAlias':
        if (aliases.has(body.AliasName)) return error('AlreadyExistsException')
        aliases.set(body.AliasName, body.TargetKeyId)
        return json(200, {})
      default:
        return error('UnknownOperationException')
    }
  }
  const server = await startLocalServer(handle)
  const fake: FakeAwsKms = {
    ...server,
    keys,
    aliases,
    failures: [],
    delayMs: 0,
    calls: [],
    addKey(keySpec, alias) {
      const id = randomUUID()
      keys.set(id, { keySpec, ...generate(keySpec), enabled: true })
      if (alias) aliases.set(alias, id)
      return id
    },
  }
  return fake
}
