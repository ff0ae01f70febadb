import { createHash, createPublicKey, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Context, MiddlewareHandler } from 'hono'
import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify, type KeyObject } from 'jose'
import type { ApiKeyConfig, Config, JwtConfig, Role } from '../config.js'
import { isLoopbackHost } from '../config.js'
import { ServerError } from '../errors.js'
import { clientAddress } from './client-address.js'

/** Who is calling, as resolved by {@link authenticate}. Never holds a credential. */
export interface Caller {
  /** Audit and rate-limit identity: `key:<id>`, `jwt:<sub>` or `anonymous`. */
  id: string
  kind: 'api-key' | 'jwt' | 'anonymous'
  roles: ReadonlySet<Role>
  /** Client IP (as seen on the socket), if known. */
  address?: string | undefined
  /** Set when credentials were presented but rejected; the request is refused after rate limiting. */
  rejected?: string | undefined
}

declare module 'hono' {
  interface ContextVariableMap {
    caller: Caller
  }
}

/** Auth settings (the `auth` part of {@link Config}). */
export type AuthOptions = Config['auth']

/** Hashes an API key the way `CERTUS_TRUST_API_KEYS` expects (`sha256:<hex>` of the UTF-8 key). */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`
}

interface JwtVerifier {
  verify(token: string): Promise<JWTPayload>
  rolesClaim: string
}

function createJwtVerifier(config: JwtConfig): JwtVerifier {
  let key: Uint8Array | KeyObject | JWTVerifyGetKey
  if (config.secret) key = new TextEncoder().encode(config.secret)
  else if (config.publicKeyFile) {
    try {
      key = createPublicKey(readFileSync(config.publicKeyFile, 'utf8'))
    } catch (error) {
      throw new ServerError({
        code: 'SERVER_CONFIG_INVALID',
        message: 'CERTUS_TRUST_JWT_PUBLIC_KEY_FILE: cannot read a PEM public key from the file',
        details: { variables: ['CERTUS_TRUST_JWT_PUBLIC_KEY_FILE'] },
        cause: error,
      })
    }
  } else key = createRemoteJWKSet(new URL(config.jwksUrl!))
  const verifyOptions = {
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
    // Only asymmetric algorithms for keys, only HS256 for the shared secret: no algorithm confusion.
    algorithms: config.secret ? ['HS256'] : ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'],
    // A token must end: by its own `exp`, or by the configured maximum age since its `iat`.
    ...(config.maxAgeSeconds === undefined
      ? { requiredClaims: ['exp'] }
      : { maxTokenAge: config.maxAgeSeconds }),
  }
  return {
    rolesClaim: config.rolesClaim,
    async verify(token) {
      const result =
        typeof key === 'function'
          ? await jwtVerify(token, key, verifyOptions)
          : await jwtVerify(token, key as Uint8Array, verifyOptions)
      return result.payload
    },
  }
}

const ALL_ROLES: Role[] = ['signer', 'verifier', 'admin']

function rolesFrom(value: unknown): Role[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/\s+/) : []
  return list.filter((role): role is Role => ALL_ROLES.includes(role as Role))
}

function expand(roles: Iterable<Role>): ReadonlySet<Role> {
  const set = new Set(roles)
  // admin may do everything a signer or verifier may.
  if (set.has('admin')) for (const role of ALL_ROLES) set.add(role)
  return set
}

function findApiKey(keys: ApiKeyConfig[], presented: string): ApiKeyConfig | undefined {
  const digest = createHash('sha256').update(presented, 'utf8').digest()
  let found: ApiKeyConfig | undefined
  // Compare against every key in constant time so timing says nothing about which prefix matched.
  for (const key of keys) {
    if (timingSafeEqual(digest, Buffer.from(key.sha256, 'hex'))) found = key
  }
  return found
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/**
 * Resolves the caller from `Authorization: Bearer <api key | JWT>` or `X-API-Key`, and stores it as
 * `c.get('caller')`. It never rejects by itself (so failed attempts still count against the rate limit);
 * {@link requireRole} and {@link rejectBadCredentials} do.
 */
export function authenticate(options: AuthOptions): MiddlewareHandler {
  const jwt = options.jwt ? createJwtVerifier(options.jwt) : undefined
  return async function authenticateCaller(c, next) {
    const address = clientAddress(c)
    const header = c.req.header('authorization')
    const apiKeyHeader = c.req.header('x-api-key')
    let caller: Caller
    if (header !== undefined || apiKeyHeader !== undefined) {
      caller = await resolveCredential(header, apiKeyHeader, options, jwt, address)
    } else {
      const allowed = !options.anonymousLoopbackOnly || (address !== undefined && isLoopbackHost(address))
      caller = {
        id: 'anonymous',
        kind: 'anonymous',
        roles: expand(allowed ? options.anonymousRoles : []),
        address,
      }
    }
    c.set('caller', caller)
    await next()
  }
}

async function resolveCredential(
  header: string | undefined,
  apiKeyHeader: string | undefined,
  options: AuthOptions,
  jwt: JwtVerifier | undefined,
  address: string | undefined,
): Promise<Caller> {
  const rejected = (reason: string): Caller => ({
    id: 'anonymous',
    kind: 'anonymous',
    roles: new Set(),
    address,
    rejected: reason,
  })
  let token: string
  if (header !== undefined) {
    const match = /^Bearer ([\x21-\x7e]{1,4096})$/i.exec(header.trim())
    if (!match) return rejected('expected "Authorization: Bearer <token>"')
    token = match[1]!
  } else {
    token = apiKeyHeader!.trim()
    if (token.length === 0 || token.length > 4096) return rejected('empty or oversized X-API-Key')
  }
  if (jwt && JWT_SHAPE.test(token)) {
    try {
      const payload = await jwt.verify(token)
      const subject = typeof payload.sub === 'string' && payload.sub.length > 0 ? payload.sub : 'unknown'
      return {
        id: `jwt:${subject.slice(0, 200)}`,
        kind: 'jwt',
        roles: expand(rolesFrom(payload[jwt.rolesClaim])),
        address,
      }
    } catch {
      // The reason (expired, bad signature, wrong audience) is not echoed: it helps attackers more than users.
      return rejected('invalid or expired token')
    }
  }
  const key = findApiKey(options.apiKeys, token)
  if (!key) return rejected('invalid credentials')
  return { id: `key:${key.id}`, kind: 'api-key', roles: expand(key.roles), address }
}

/** Refuses requests whose credentials were rejected (after the rate limiter has counted them). */
export function rejectBadCredentials(): MiddlewareHandler {
  return async function rejectRejectedCaller(c, next) {
    const caller = c.get('caller')
    if (caller?.rejected) {
      throw new ServerError({
        code: 'SERVER_UNAUTHORIZED',
        message: `authentication failed: ${caller.rejected}`,
      })
    }
    await next()
  }
}

/** Throws 401/403 unless the caller holds `role` (admin holds every role). */
export function assertRole(c: Context, role: Role): Caller {
  const caller = c.get('caller')
  if (caller?.roles.has(role)) return caller
  if (!caller || caller.kind === 'anonymous') {
    throw new ServerError({
      code: 'SERVER_UNAUTHORIZED',
      message: `this operation needs credentials with the ${role} role`,
    })
  }
  throw new ServerError({ code: 'SERVER_FORBIDDEN', message: `the caller lacks the ${role} role` })
}

/** Route middleware: the caller must hold `role`. */
export function requireRole(role: Role): MiddlewareHandler {
  return async function requireCallerRole(c, next) {
    assertRole(c, role)
    await next()
  }
}
