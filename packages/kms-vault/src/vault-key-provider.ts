import {
  type CreateKmsKeyOptions,
  createRemoteKeyProvider,
  DEFAULT_RETRY_OPTIONS,
  KmsError,
  type KmsKeyAlgorithm,
  type KmsKeyProvider,
  type KmsProviderOptions,
  retryOptionsOf,
  withRetry,
} from '@certus-trust/kms'
import * as z from 'zod'
import { parseVaultKeyUri } from './key-uri.js'
import {
  classifyVaultError,
  resolveVaultSettings,
  type VaultConnectionOptions,
  type VaultSettings,
  vaultRequest,
} from './vault-client.js'

/** Options of {@link keyProviderFromUri} and {@link createVaultKeyProvider}. */
export interface VaultKeyProviderOptions extends KmsProviderOptions, VaultConnectionOptions {
  /** The key version to sign with. @default the key's latest version at the first call */
  keyVersion?: number
  /** What an RSA key signs with. @default 'pkcs1v15' */
  rsaScheme?: 'pkcs1v15' | 'pss'
  /**
   * Most signatures asked for in one `batch_input` request. Calls made in the same event-loop turn (a batch of
   * artifacts, many requests to the server) share one request to Vault; `1` turns batching off. @default 64
   */
  maxBatchSize?: number
}

// Vault's transit key types we sign with, and the scheme each maps to (RSA: see rsaScheme).
const KEY_TYPES: Record<string, KmsKeyAlgorithm | 'rsa'> = {
  'ecdsa-p256': 'ecdsa-p256',
  'ecdsa-p384': 'ecdsa-p384',
  ed25519: 'ed25519',
  'rsa-2048': 'rsa',
  'rsa-3072': 'rsa',
  'rsa-4096': 'rsa',
}

const KeyResponseSchema = z.object({
  data: z.object({
    type: z.string(),
    latest_version: z.number().int().positive(),
    // Asymmetric keys list { public_key, … } per version; symmetric ones only a creation time.
    keys: z.record(z.string(), z.unknown()),
  }),
})
const SIGNATURE = z.string().regex(/^vault:v\d+:/)
const SignResponseSchema = z.object({ data: z.object({ signature: SIGNATURE }) })
const BatchItemSchema = z.union([z.object({ signature: SIGNATURE }), z.object({ error: z.string() })])
const BatchResponseSchema = z.object({ data: z.object({ batch_results: z.array(z.unknown()) }) })

/**
 * A key provider for a key of Vault's transit secrets engine, over Vault's HTTP API (no SDK): reads the key once
 * (`GET /v1/transit/keys/KEY`), then signs SHA-256 digests (`POST /v1/transit/sign/KEY`, `prehashed: true`) pinned
 * to that key version; Ed25519 keys sign the message.
 *
 * @example
 * const key = keyProviderFromUri('hashivault://release')   // VAULT_ADDR, VAULT_TOKEN as the Vault CLI reads them
 */
export function keyProviderFromUri(uri: string, options: VaultKeyProviderOptions = {}): KmsKeyProvider {
  return createVaultKeyProvider({ ...options, keyName: parseVaultKeyUri(uri).keyName })
}

/** {@link keyProviderFromUri} with the transit key's name instead of a URI. */
export function createVaultKeyProvider(
  options: VaultKeyProviderOptions & { keyName: string },
): KmsKeyProvider {
  const settings = resolveVaultSettings(options)
  const { keyName } = options
  const base = `${settings.mountPath}/keys/${encodeURIComponent(keyName)}`
  let version: number | undefined
  const batcher = createSignBatcher(
    settings,
    keyName,
    options.maxBatchSize ?? 64,
    options.timeoutMs ?? DEFAULT_RETRY_OPTIONS.timeoutMs,
  )
  return createRemoteKeyProvider(
    {
      keyName: `hashivault key ${keyName}`,
      async describe(signal) {
        const parsed = KeyResponseSchema.safeParse(
          await vaultRequest(settings, 'GET', base, undefined, signal),
        )
        if (!parsed.success) {
          throw new KmsError({
            code: 'KMS_RESPONSE_INVALID',
            message: `Vault's answer for key ${keyName} is not a transit key`,
          })
        }
        const { type, latest_version, keys } = parsed.data.data
        const kind = KEY_TYPES[type]
        if (!kind) {
          throw new KmsError({
            code: 'KMS_UNSUPPORTED_ALGORITHM',
            message: `Vault transit key ${keyName} has type ${type}: use ecdsa-p256, ecdsa-p384, ed25519 or rsa-2048/3072/4096`,
            details: { keyType: type },
          })
        }
        version = options.keyVersion ?? latest_version
        const entry = keys[String(version)]
        const publicKey =
          typeof entry === 'object' && entry !== null
            ? (entry as { public_key?: unknown }).public_key
            : undefined
        if (typeof publicKey !== 'string' || publicKey.length === 0) {
          throw new KmsError({
            code: 'KMS_NOT_FOUND',
            message: `Vault transit key ${keyName} has no version ${version}`,
          })
        }
        const algorithm = kind === 'rsa' ? (options.rsaScheme === 'pss' ? 'rsa-pss' : 'rsa-pkcs1v15') : kind
        return { publicKey: algorithm === 'ed25519' ? ed25519PublicKey(publicKey) : publicKey, algorithm }
      },
      async signDigest(digest, key, signal) {
        return batcher.sign(Buffer.from(digest).toString('base64'), signal, {
          prehashed: true,
          hash_algorithm: 'sha2-256',
          marshaling_algorithm: 'asn1',
          key_version: version,
          ...(key.algorithm === 'rsa-pss' ? { signature_algorithm: 'pss', salt_length: 'hash' } : {}),
          ...(key.algorithm === 'rsa-pkcs1v15' ? { signature_algorithm: 'pkcs1v15' } : {}),
        })
      },
      async signMessage(message, _key, signal) {
        return batcher.sign(Buffer.from(message).toString('base64'), signal, { key_version: version })
      },
      classifyError: (error, timedOut) => classifyVaultError(keyName, error, timedOut),
    },
    options,
  )
}

// SubjectPublicKeyInfo header of an Ed25519 key (RFC 8410): the raw 32-byte key follows.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/** Vault returns Ed25519 public keys as base64 of the raw 32 bytes (other types as PEM). */
function ed25519PublicKey(text: string): string | Uint8Array {
  if (text.includes('-----BEGIN')) return text
  const raw = Buffer.from(text, 'base64')
  if (raw.length !== 32) {
    throw new KmsError({
      code: 'KMS_RESPONSE_INVALID',
      message: 'Vault returned an Ed25519 public key of the wrong size',
    })
  }
  return Buffer.concat([ED25519_SPKI_PREFIX, raw])
}

interface PendingSignature {
  input: string
  resolve: (signature: Uint8Array) => void
  reject: (error: unknown) => void
}

/**
 * Collects the sign calls made in one event-loop turn (with the same parameters) and sends them as one
 * `batch_input` request, so Vault signs them in one round trip. Each caller still gets its own result or error
 * and keeps its own timeout (a caller that gives up stops waiting; the request goes on for the others).
 */
function createSignBatcher(
  settings: VaultSettings,
  keyName: string,
  maxBatchSize: number,
  timeoutMs: number,
) {
  if (!Number.isSafeInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new KmsError({ code: 'KMS_INVALID_INPUT', message: 'maxBatchSize must be a positive integer' })
  }
  const path = `${settings.mountPath}/sign/${encodeURIComponent(keyName)}`
  const queues = new Map<string, PendingSignature[]>()

  const flush = async (parameters: Record<string, unknown>, batch: PendingSignature[]) => {
    let results: Array<Uint8Array | KmsError>
    try {
      const body =
        batch.length === 1
          ? { ...parameters, input: batch[0]!.input }
          : { ...parameters, batch_input: batch.map(({ input }) => ({ input })) }
      const answer = await vaultRequest(settings, 'POST', path, body, AbortSignal.timeout(timeoutMs))
      results =
        batch.length === 1 ? [singleResult(answer, keyName)] : batchResults(answer, keyName, batch.length)
    } catch (error) {
      results = batch.map(() => error as KmsError)
    }
    batch.forEach((pending, index) => {
      const result = results[index]!
      if (result instanceof Uint8Array) pending.resolve(result)
      else pending.reject(result)
    })
  }

  const enqueue = (parameters: Record<string, unknown>, pending: PendingSignature) => {
    const key = JSON.stringify(parameters)
    let queue = queues.get(key)
    if (!queue) {
      const batch: PendingSignature[] = []
      queue = batch
      queues.set(key, batch)
      // Flush after the current turn: every call made meanwhile joins, and no timer adds latency.
      setImmediate(() => {
        queues.delete(key)
        for (let start = 0; start < batch.length; start += maxBatchSize) {
          void flush(parameters, batch.slice(start, start + maxBatchSize))
        }
      })
    }
    queue.push(pending)
  }

  return {
    sign(input: string, signal: AbortSignal, parameters: Record<string, unknown>): Promise<Uint8Array> {
      return new Promise<Uint8Array>((resolve, reject) => {
        const onAbort = () => reject(signal.reason)
        signal.addEventListener('abort', onAbort, { once: true })
        enqueue(parameters, {
          input,
          resolve: (signature) => {
            signal.removeEventListener('abort', onAbort)
            resolve(signature)
          },
          reject: (error) => {
            signal.removeEventListener('abort', onAbort)
            reject(error)
          },
        })
      })
    },
  }
}

function singleResult(answer: unknown, keyName: string): Uint8Array | KmsError {
  const parsed = SignResponseSchema.safeParse(answer)
  return parsed.success
    ? decodeSignature(parsed.data.data.signature)
    : new KmsError({
        code: 'KMS_RESPONSE_INVALID',
        message: `Vault returned no signature for key ${keyName}`,
      })
}

function batchResults(answer: unknown, keyName: string, count: number): Array<Uint8Array | KmsError> {
  const items = BatchResponseSchema.safeParse(answer).data?.data.batch_results ?? []
  return Array.from({ length: count }, (_, index) => {
    const item = BatchItemSchema.safeParse(items[index])
    if (item.success && 'signature' in item.data) return decodeSignature(item.data.signature)
    const reason = item.success && 'error' in item.data ? `: ${item.data.error}` : ''
    return new KmsError({
      code: 'KMS_RESPONSE_INVALID',
      message: `Vault returned no signature for key ${keyName}${reason}`,
    })
  })
}

function decodeSignature(signature: string): Uint8Array {
  // "vault:v<version>:<base64>"
  return new Uint8Array(Buffer.from(signature.replace(/^vault:v\d+:/, ''), 'base64'))
}

/**
 * Creates a transit key (`POST /v1/transit/keys/KEY` with its type) and returns its provider. Algorithms:
 * ecdsa-p256, ecdsa-p384, ed25519, rsa-pkcs1v15 / rsa-pss (`rsa-3072`). An existing key of that name is refused.
 * @throws KmsError `KMS_INVALID_INPUT` (exists), `KMS_PERMISSION_DENIED`, …
 */
export async function createKeyFromUri(
  uri: string,
  options: VaultKeyProviderOptions & CreateKmsKeyOptions = {},
): Promise<KmsKeyProvider> {
  const { keyName } = parseVaultKeyUri(uri)
  const settings = resolveVaultSettings(options)
  const algorithm = options.algorithm ?? 'ecdsa-p256'
  const type = {
    'ecdsa-p256': 'ecdsa-p256',
    'ecdsa-p384': 'ecdsa-p384',
    ed25519: 'ed25519',
    'rsa-pkcs1v15': 'rsa-3072',
    'rsa-pss': 'rsa-3072',
  }[algorithm]
  if (!type)
    throw new KmsError({
      code: 'KMS_UNSUPPORTED_ALGORITHM',
      message: `cannot create a ${String(algorithm)} key`,
    })
  const path = `${settings.mountPath}/keys/${encodeURIComponent(keyName)}`
  const classify = (error: unknown, timedOut: boolean) => classifyVaultError(keyName, error, timedOut)
  // Vault's create is an upsert that leaves an existing key alone: look first, so a typo never signs with an old key.
  const exists = await withRetry(
    (signal) => vaultRequest(settings, 'GET', path, undefined, signal),
    classify,
    retryOptionsOf(options),
  ).then(
    () => true,
    (error: unknown) => {
      if (KmsError.is(error, 'KMS_NOT_FOUND')) return false
      throw error
    },
  )
  if (exists) {
    throw new KmsError({ code: 'KMS_INVALID_INPUT', message: `Vault transit key ${keyName} already exists` })
  }
  await withRetry(
    (signal) => vaultRequest(settings, 'POST', path, { type }, signal),
    classify,
    retryOptionsOf(options),
  )
  return createVaultKeyProvider({
    ...options,
    keyName,
    ...(algorithm === 'rsa-pss' ? { rsaScheme: 'pss' as const } : {}),
  })
}
