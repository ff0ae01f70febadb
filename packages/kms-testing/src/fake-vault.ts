import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import {
  type FakeRequest,
  type FakeResponse,
  json,
  type LocalServer,
  startLocalServer,
} from './http-server.js'
import { signLikeKms } from './kms-signing.js'

/** One transit key of the fake Vault (one version). */
export interface FakeVaultKey {
  type: string
  privateKey: KeyObject
  publicKey: KeyObject
}

/** A local stand-in for Vault's transit HTTP API (keys read/create, sign) over real keys. */
export interface FakeVault extends LocalServer {
  token: string
  keys: Map<string, FakeVaultKey[]>
  /** Answers for the next requests, in order. */
  failures: Array<{ status: number; errors?: string[] }>
  delayMs: number
  /** `METHOD path` of every request. */
  calls: string[]
  /** Sign requests received (a batch counts once). */
  signRequests: number
  addKey(name: string, type: string): FakeVaultKey
}

function generate(type: string): { privateKey: KeyObject; publicKey: KeyObject } {
  if (type === 'ecdsa-p256') return generateKeyPairSync('ec', { namedCurve: 'P-256' })
  if (type === 'ecdsa-p384') return generateKeyPairSync('ec', { namedCurve: 'P-384' })
  if (type === 'ecdsa-p521') return generateKeyPairSync('ec', { namedCurve: 'P-521' })
  if (type.startsWith('rsa-')) return generateKeyPairSync('rsa', { modulusLength: Number(type.slice(4)) })
  // Ed25519, and a placeholder pair for symmetric types (never shown: Vault lists only their creation times).
  return generateKeyPairSync('ed25519')
}

/** Vault returns Ed25519 public keys as base64 of the raw 32 bytes, the others as PEM. */
function publicKeyText(key: FakeVaultKey): string {
  if (key.type !== 'ed25519') return key.publicKey.export({ type: 'spki', format: 'pem' }).toString()
  return key.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64')
}

export async function startFakeVault(): Promise<FakeVault> {
  const keys = new Map<string, FakeVaultKey[]>()
  const errors = (status: number, ...messages: string[]) => json(status, { errors: messages })
  const handle = async (request: FakeRequest): Promise<FakeResponse> => {
    fake.calls.push(`${request.method} ${request.url}`)
    if (fake.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.delayMs))
    const failure = fake.failures.shift()
    if (failure) return errors(failure.status, ...(failure.errors ?? []))
    if (request.headers['x-vault-token'] !== fake.token) return errors(403, 'permission denied')
    const match = /^\/v1\/transit\/(keys|sign)\/([^/?]+)$/.exec(request.url)
    if (!match) return errors(404)
    const [, action, name] = match as unknown as [string, string, string]
    const versions = keys.get(name)
    const body = request.body.length ? JSON.parse(request.body.toString('utf8')) : {}
    if (action === 'keys' && request.method === 'GET') {
      if (!versions) return errors(404)
      return json(200, {
        data: {
          name,
          type: versions[0]!.type,
          latest_version: versions.length,
          keys: Object.fromEntries(
            versions.map((key, index) => [
              String(index + 1),
              { public_key: publicKeyText(key), name: 'P-256' },
            ]),
          ),
        },
      })
    }
    if (action === 'keys' && request.method === 'POST') {
      if (!versions) fake.addKey(name, body.type ?? 'aes256-gcm96')
      return { status: 204 }
    }
    if (!versions) return errors(400, 'signing key not found')
    const key = versions[(body.key_version ?? versions.length) - 1]
    if (!key) return errors(400, 'invalid key version')
    if (!/^(ecdsa|ed25519|rsa)/.test(key.type))
      return errors(400, `key type ${key.type} does not support signing`)
    fake.signRequests++
    const version = body.key_version ?? versions.length
    const signOne = (encoded: string): { signature: string } | { error: string } => {
      const input = Buffer.from(encoded, 'base64')
      let signature: Uint8Array
      if (key.type === 'ed25519') {
        if (body.prehashed) return { error: 'prehashed input is not supported for ed25519 keys' }
        signature = signLikeKms(key.privateKey, 'ed25519', input)
      } else {
        if (!body.prehashed || body.hash_algorithm !== 'sha2-256' || input.length !== 32) {
          return { error: 'this fake only signs prehashed sha2-256 input' }
        }
        const scheme = key.type.startsWith('ecdsa')
          ? 'ecdsa'
          : body.signature_algorithm === 'pss'
            ? 'rsa-pss'
            : 'rsa-pkcs1v15'
        if (scheme === 'rsa-pss' && body.salt_length !== 'hash') return { error: 'expected salt_length hash' }
        signature = signLikeKms(key.privateKey, scheme, input)
      }
      return { signature: `vault:v${version}:${Buffer.from(signature).toString('base64')}` }
    }
    if (Array.isArray(body.batch_input)) {
      return json(200, {
        data: { batch_results: body.batch_input.map((item: { input: string }) => signOne(item.input)) },
      })
    }
    const result = signOne(body.input)
    if ('error' in result) return errors(400, result.error)
    return json(200, { data: { ...result, key_version: version } })
  }
  const server = await startLocalServer(handle)
  const fake: FakeVault = {
    ...server,
    token: 'hvs.test-token',
    keys,
    failures: [],
    delayMs: 0,
    calls: [],
    signRequests: 0,
    addKey(name, type) {
      const key = { type, ...generate(type) }
      keys.set(name, [...(keys.get(name) ?? []), key])
      return key
    },
  }
  return fake
}
