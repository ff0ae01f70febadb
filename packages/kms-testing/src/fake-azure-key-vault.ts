import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type FakeRequest,
  type FakeResponse,
  json,
  type LocalServer,
  startLocalServer,
} from './http-server.js'
import { signLikeKms } from './kms-signing.js'

/** One key version of the fake Key Vault. */
export interface FakeAzureKey {
  kty: 'EC' | 'RSA'
  crv?: string
  privateKey: KeyObject
  publicKey: KeyObject
  enabled: boolean
  version: string
}

/**
 * A local stand-in for the Azure Key Vault keys REST API (get, create, sign) over real keys, served over https
 * with a self-signed certificate (the SDK insists on https) and Key Vault's 401 bearer challenge.
 */
export interface FakeAzureKeyVault extends LocalServer {
  /** The self-signed certificate (PEM) to trust, e.g. `tlsOptions: { ca }`. */
  certificate: string
  /** Host and port for `azurekms://HOST:PORT/KEY`. */
  host: string
  keys: Map<string, FakeAzureKey[]>
  failures: Array<{ status: number; code: string; message?: string }>
  delayMs: number
  calls: string[]
  addKey(name: string, kty: 'EC' | 'RSA', curveOrBits: string | number): FakeAzureKey
}

function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'certus-fake-akv-'))
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,DNS:*.vault.azure.net,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    )
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function jwkOf(name: string, key: FakeAzureKey, base: string) {
  const jwk = key.publicKey.export({ format: 'jwk' })
  return {
    key: {
      kid: `${base}/keys/${name}/${key.version}`,
      kty: key.kty,
      key_ops: ['sign', 'verify'],
      ...(key.kty === 'EC' ? { crv: jwk.crv, x: jwk.x, y: jwk.y } : { n: jwk.n, e: jwk.e }),
    },
    attributes: {
      enabled: key.enabled,
      created: 1_700_000_000,
      updated: 1_700_000_000,
      recoveryLevel: 'Recoverable',
    },
  }
}

export async function startFakeAzureKeyVault(): Promise<FakeAzureKeyVault> {
  const keys = new Map<string, FakeAzureKey[]>()
  const error = (status: number, code: string, message = code) => json(status, { error: { code, message } })
  const handle = async (request: FakeRequest): Promise<FakeResponse> => {
    const url = new URL(request.url, 'https://fake')
    fake.calls.push(`${request.method} ${url.pathname}`)
    if (!String(request.headers.authorization ?? '').startsWith('Bearer ')) {
      // Key Vault's challenge: the SDK then asks its credential for a token for this resource.
      return {
        status: 401,
        headers: {
          'www-authenticate':
            'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"',
        },
      }
    }
    if (fake.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.delayMs))
    const failure = fake.failures.shift()
    if (failure) return error(failure.status, failure.code, failure.message)
    const body = request.body.length ? JSON.parse(request.body.toString('utf8')) : {}
    // Key ids name the vault as the client addressed it (a vault is reached by one name).
    const base = `https://${request.headers.host ?? fake.host}`
    let match: RegExpExecArray | null
    match = request.method === 'POST' ? /^\/keys\/([^/]+)\/create$/.exec(url.pathname) : null
    if (match) {
      const key = fake.addKey(match[1]!, body.kty, body.kty === 'EC' ? body.crv : body.key_size)
      return json(200, jwkOf(match[1]!, key, base))
    }
    match = request.method === 'GET' ? /^\/keys\/([^/]+)(?:\/([^/]*))?$/.exec(url.pathname) : null
    if (match) {
      const versions = keys.get(match[1]!)
      const key = match[2] ? versions?.find((candidate) => candidate.version === match![2]) : versions?.at(-1)
      if (!key)
        return error(404, 'KeyNotFound', `A key with (name/id) ${match[1]} was not found in this key vault.`)
      return json(200, jwkOf(match[1]!, key, base))
    }
    match = request.method === 'POST' ? /^\/keys\/([^/]+)\/([^/]+)\/sign$/.exec(url.pathname) : null
    if (match) {
      const key = keys.get(match[1]!)?.find((candidate) => candidate.version === match![2])
      if (!key)
        return error(404, 'KeyNotFound', `A key with (name/id) ${match[1]} was not found in this key vault.`)
      if (!key.enabled) return error(403, 'Forbidden', 'Operation sign is not allowed on a disabled key.')
      const digest = Buffer.from(body.value, 'base64url')
      const alg = String(body.alg)
      const expected =
        key.kty === 'EC' ? (key.crv === 'P-256' ? 'ES256' : key.crv === 'P-384' ? 'ES384' : 'ES256K') : ''
      if (key.kty === 'EC' && alg !== expected)
        return error(400, 'BadParameter', `Invalid algorithm ${alg} for this key.`)
      if (key.kty === 'RSA' && !['RS256', 'PS256'].includes(alg))
        return error(400, 'BadParameter', `Invalid algorithm ${alg}.`)
      const size = alg.endsWith('384') ? 48 : 32
      if (digest.length !== size) return error(400, 'BadParameter', 'Invalid digest length.')
      const scheme = key.kty === 'EC' ? 'ecdsa' : alg === 'PS256' ? 'rsa-pss' : 'rsa-pkcs1v15'
      const signature = signLikeKms(key.privateKey, scheme, digest, { p1363: true })
      return json(200, {
        kid: `${base}/keys/${match[1]}/${key.version}`,
        value: Buffer.from(signature).toString('base64url'),
      })
    }
    return error(404, 'NotFound', `no route ${request.method} ${url.pathname}`)
  }
  const tls = selfSignedCertificate()
  const server = await startLocalServer(handle, tls)
  const fake: FakeAzureKeyVault = {
    ...server,
    certificate: tls.cert,
    host: `localhost:${server.port}`,
    keys,
    failures: [],
    delayMs: 0,
    calls: [],
    addKey(name, kty, curveOrBits) {
      const pair =
        kty === 'EC'
          ? generateKeyPairSync('ec', {
              namedCurve:
                curveOrBits === 'P-384' ? 'P-384' : curveOrBits === 'P-256K' ? 'secp256k1' : 'P-256',
            })
          : generateKeyPairSync('rsa', { modulusLength: Number(curveOrBits) })
      const key: FakeAzureKey = {
        kty,
        ...(kty === 'EC' ? { crv: String(curveOrBits) } : {}),
        ...pair,
        enabled: true,
        version: randomBytes(16).toString('hex'),
      }
      keys.set(name, [...(keys.get(name) ?? []), key])
      return key
    },
  }
  return fake
}
