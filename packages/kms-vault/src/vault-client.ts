import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { isNetworkErrorCode, KmsError } from '@certus-trust/kms'
import * as z from 'zod'

/** Where and how to reach Vault. Unset fields follow the Vault CLI's conventions (see {@link resolveVaultSettings}). */
export interface VaultConnectionOptions {
  /** Vault's address. @default `VAULT_ADDR`, else `https://127.0.0.1:8200` */
  address?: string
  /** A token, or a function returning one (re-read for each call). @default `VAULT_TOKEN`, else `~/.vault-token` */
  token?: string | (() => Promise<string> | string)
  /** Mount path of the transit engine. @default `TRANSIT_SECRET_ENGINE_PATH`, else `transit` */
  mountPath?: string
  /** Vault Enterprise namespace. @default `VAULT_NAMESPACE` */
  namespace?: string
  /** Where the defaults above are read from. @default process.env */
  env?: Record<string, string | undefined>
  /** The fetch to use (a test seam, or a proxy-aware fetch). @default globalThis.fetch */
  fetch?: typeof fetch
}

/** Default Vault address (the Vault CLI's). */
export const DEFAULT_VAULT_ADDRESS = 'https://127.0.0.1:8200'
/** Default mount path of the transit engine. */
export const DEFAULT_TRANSIT_MOUNT = 'transit'

export interface VaultSettings {
  address: string
  mountPath: string
  namespace?: string
  token: () => Promise<string>
  fetch: typeof fetch
}

/**
 * Resolves the connection as cosign and the Vault CLI do: `VAULT_ADDR`, `VAULT_TOKEN` (else the token helper's
 * `~/.vault-token`), `VAULT_NAMESPACE`, and `TRANSIT_SECRET_ENGINE_PATH` for the transit mount.
 */
export function resolveVaultSettings(options: VaultConnectionOptions): VaultSettings {
  const env = options.env ?? process.env
  const address = (options.address ?? env.VAULT_ADDR ?? DEFAULT_VAULT_ADDRESS).replace(/\/+$/, '')
  try {
    const url = new URL(address)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(url.protocol)
  } catch (error) {
    throw new KmsError({
      code: 'KMS_INVALID_INPUT',
      message: 'the Vault address must be an http(s) URL',
      cause: error,
    })
  }
  const mountPath = (options.mountPath ?? env.TRANSIT_SECRET_ENGINE_PATH ?? DEFAULT_TRANSIT_MOUNT).replace(
    /^\/+|\/+$/g,
    '',
  )
  const namespace = options.namespace ?? env.VAULT_NAMESPACE
  const given = options.token ?? env.VAULT_TOKEN
  const token = async (): Promise<string> => {
    const value = typeof given === 'function' ? await given() : (given ?? (await tokenHelperToken()))
    if (!value) {
      throw new KmsError({
        code: 'KMS_PERMISSION_DENIED',
        message: 'no Vault token: set VAULT_TOKEN or log in with `vault login` (~/.vault-token)',
      })
    }
    return value
  }
  return {
    address,
    mountPath,
    ...(namespace ? { namespace } : {}),
    token,
    fetch: options.fetch ?? globalThis.fetch,
  }
}

async function tokenHelperToken(): Promise<string | undefined> {
  try {
    return (await readFile(join(homedir(), '.vault-token'), 'utf8')).trim() || undefined
  } catch {
    return undefined
  }
}

const VaultErrorBodySchema = z.object({ errors: z.array(z.string()).optional() })

/** Why a call failed, for {@link classifyVaultError}. */
export class VaultHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(`Vault answered ${status}${errors.length ? `: ${errors.join('; ')}` : ''}`)
    this.name = 'VaultHttpError'
  }
}

/** One call to Vault's HTTP API; a non-2xx answer throws {@link VaultHttpError}. */
export async function vaultRequest(
  settings: VaultSettings,
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  signal: AbortSignal,
): Promise<unknown> {
  const headers: Record<string, string> = {
    'x-vault-token': await settings.token(),
    'x-vault-request': 'true',
  }
  if (settings.namespace) headers['x-vault-namespace'] = settings.namespace
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await settings.fetch(`${settings.address}/v1/${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal,
  })
  const text = await response.text()
  if (!response.ok) {
    let errors: string[] = []
    try {
      errors = VaultErrorBodySchema.parse(JSON.parse(text)).errors ?? []
    } catch {
      // A proxy's HTML error page: the status says enough.
    }
    throw new VaultHttpError(response.status, errors)
  }
  if (text.length === 0) return undefined
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new KmsError({
      code: 'KMS_RESPONSE_INVALID',
      message: 'Vault answered with invalid JSON',
      cause: error,
    })
  }
}

/** Maps a failed Vault call to a {@link KmsError} (once, at this package's boundary). */
export function classifyVaultError(keyName: string, error: unknown, timedOut: boolean): KmsError {
  const what = `Vault transit key ${keyName}`
  if (timedOut || (error as { name?: string } | null)?.name === 'TimeoutError') {
    return new KmsError({
      code: 'KMS_TIMEOUT',
      message: `${what}: Vault did not answer in time`,
      cause: error,
    })
  }
  if (error instanceof VaultHttpError) {
    const details = { key: keyName, status: error.status }
    const text = error.errors.join('; ')
    const code: KmsError['code'] =
      error.status === 404 || /not found/i.test(text)
        ? 'KMS_NOT_FOUND'
        : error.status === 403 || error.status === 401
          ? 'KMS_PERMISSION_DENIED'
          : error.status === 429
            ? 'KMS_THROTTLED'
            : /not support|unsupported|invalid .*algorithm|signing not supported/i.test(text)
              ? 'KMS_UNSUPPORTED_ALGORITHM'
              : error.status === 503
                ? 'KMS_UNREACHABLE'
                : error.status === 400 && /already exists/i.test(text)
                  ? 'KMS_INVALID_INPUT'
                  : 'KMS_REQUEST_FAILED'
    // Vault's own error strings name paths and reasons, never secrets.
    return new KmsError({ code, message: `${what}: ${error.message}`, cause: error, details })
  }
  const cause = (error as { cause?: { code?: string } } | null)?.cause
  if (isNetworkErrorCode(cause?.code) || (error instanceof TypeError && /fetch failed/.test(error.message))) {
    return new KmsError({ code: 'KMS_UNREACHABLE', message: `${what}: Vault is unreachable`, cause: error })
  }
  return new KmsError({ code: 'KMS_REQUEST_FAILED', message: `${what}: the request failed`, cause: error })
}
