import { deepFreeze } from '@certus-trust/core'
import {
  readServiceEnv,
  SERVICE_ENV_VARIABLES,
  type ServiceConfig,
  type StorageConfig,
  type TransparencyConfig,
} from '@certus-trust/service'
import {
  type Env,
  envFields,
  parseEnv,
  resolvePath,
  unknownVariableWarnings as unknownEnvWarnings,
} from '@certus-trust/service/env'
import { DEFAULT_DATA_DIR } from '@certus-trust/service/layout'
import * as z from 'zod'
import { ServerError } from './errors.js'

/** A role a caller can hold. `admin` implies every other role. */
export type Role = 'signer' | 'verifier' | 'admin'

/** The roles, in the order they are documented. */
export const ROLES: readonly Role[] = Object.freeze(['signer', 'verifier', 'admin'])

/** One configured API key. Only the SHA-256 of the key is held; the key itself is never stored. */
export interface ApiKeyConfig {
  /** Caller name used in audit logs and rate limiting (never the key). */
  id: string
  roles: Role[]
  /** Lower-case hex SHA-256 of the key's UTF-8 bytes. */
  sha256: string
}

export type { StorageConfig, TransparencyConfig }
export { DEFAULT_DATA_DIR }

/** JWT bearer-token verification settings (jose). */
export interface JwtConfig {
  /** HS256 shared secret (UTF-8), or undefined when a public key / JWKS is used. */
  secret?: string | undefined
  /** Path to a PEM SPKI public key (RS256/ES256/EdDSA). */
  publicKeyFile?: string | undefined
  /** Remote JWKS URL. */
  jwksUrl?: string | undefined
  issuer?: string | undefined
  audience?: string | undefined
  /** Claim holding the caller's roles (array or space-separated string). */
  rolesClaim: string
  /**
   * Oldest accepted token, by its `iat`, in seconds. Unset: every token must carry `exp` — a token without one
   * would be valid forever.
   */
  maxAgeSeconds?: number | undefined
}

/**
 * The validated, frozen server configuration. Build it with {@link loadConfig}. The service part
 * (data directory, storage, keys, log, trust material) is `@certus-trust/service`'s `ServiceConfig`.
 */
export interface Config extends ServiceConfig {
  host: string
  port: number
  auth: {
    apiKeys: ApiKeyConfig[]
    jwt?: JwtConfig | undefined
    /** Roles granted to callers without credentials. */
    anonymousRoles: Role[]
    /** Whether anonymous access is limited to loopback clients. */
    anonymousLoopbackOnly: boolean
    /** Whether transparency-log reads (`GET /v1/transparency*`, Rekor API reads) need no credentials. */
    publicReads: boolean
    /** Whether `/metrics` needs no credentials. */
    publicMetrics: boolean
  }
  rateLimit: {
    /** Requests per window per caller; 0 disables rate limiting. */
    max: number
    windowMs: number
  }
  bodyLimitBytes: number
  corsOrigins: string[]
  tls?: { certFile: string; keyFile: string } | undefined
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  shutdownTimeoutMs: number
  /** Reconciliation of log entries without records (see `reconcileOrphans`): at start-up and every interval. */
  reconcile: {
    /** Seconds between runs while serving; 0 runs only at start-up. */
    intervalSeconds: number
    /**
     * Entries younger than this are left alone (their signing may still be writing the record). At start-up on
     * SQLite/PGlite/memory no other process can be signing, so start-up uses 0 there.
     */
    graceSeconds: number
  }
  /**
   * Start-up warnings that do not stop the server (unknown `CERTUS_TRUST_*` variables, with the closest
   * known name). The server logs them once it has a logger.
   */
  warnings: readonly string[]
}

/** Default port. */
export const DEFAULT_PORT = 8080
/** Default bind address: loopback only. */
export const DEFAULT_HOST = '127.0.0.1'
/** Default request body limit (1 MiB). */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
// Python's logging names (the production guide's `LOG_LEVEL=INFO`, `WARNING`, `CRITICAL`) mean the same here.
const LOG_LEVEL_ALIASES: Record<string, string> = { warning: 'warn', critical: 'fatal' }
const logLevel = z
  .string()
  .transform((value) => {
    const lower = value.toLowerCase()
    return LOG_LEVEL_ALIASES[lower] ?? lower
  })
  .pipe(z.enum(LOG_LEVELS, { error: 'expected fatal, error, warn, info, debug, trace or silent' }))

const { booleanString, serviceUrl, positiveInt, nonNegativeInt, text } = envFields
const roleSchema = z.enum(['signer', 'verifier', 'admin'])

const apiKeyEntry = z
  .string()
  .regex(
    /^[A-Za-z0-9._-]{1,64}:(signer|verifier|admin)(\+(signer|verifier|admin))*:sha256:[0-9a-fA-F]{64}$/,
    {
      error: 'expected id:role[+role]:sha256:<64 hex> entries separated by commas',
    },
  )
  .transform((entry): ApiKeyConfig => {
    const [id, roles, , hex] = entry.split(':') as [string, string, string, string]
    return { id, roles: [...new Set(roles.split('+') as Role[])], sha256: hex.toLowerCase() }
  })

const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
)

/** The server's own `CERTUS_TRUST_*` variables (HTTP, auth, limits); the service's are read by the service. */
const EnvSchema = z.object({
  CERTUS_TRUST_PORT: nonNegativeInt(65535).optional(),
  CERTUS_TRUST_HOST: text().optional(),
  CERTUS_TRUST_API_KEYS: z
    .string()
    .transform((value, context) => {
      const items = value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
      const keys: ApiKeyConfig[] = []
      for (const item of items) {
        const parsed = apiKeyEntry.safeParse(item)
        if (!parsed.success) {
          // Never echo the entry: it may be a mistakenly pasted raw key.
          context.addIssue({ code: 'custom', message: 'expected id:role[+role]:sha256:<64 hex> entries' })
          return z.NEVER
        }
        keys.push(parsed.data)
      }
      if (new Set(keys.map((key) => key.id)).size !== keys.length) {
        context.addIssue({ code: 'custom', message: 'API key ids must be unique' })
        return z.NEVER
      }
      return keys
    })
    .optional(),
  CERTUS_TRUST_JWT_SECRET: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
  CERTUS_TRUST_JWT_PUBLIC_KEY_FILE: text().optional(),
  CERTUS_TRUST_JWT_JWKS_URL: serviceUrl.optional(),
  CERTUS_TRUST_JWT_ISSUER: text().optional(),
  CERTUS_TRUST_JWT_AUDIENCE: text().optional(),
  CERTUS_TRUST_JWT_ROLES_CLAIM: text().optional(),
  CERTUS_TRUST_JWT_MAX_AGE_SECONDS: z.coerce
    .number({ error: 'expected a number of seconds' })
    .int()
    .min(1)
    .max(31_536_000)
    .optional(),
  CERTUS_TRUST_ANONYMOUS_ROLES: z
    .string()
    // `none` is the documented way to write "no roles" (an empty variable counts as unset).
    .transform((value) => (value === 'none' ? '' : value))
    .pipe(commaList)
    .pipe(z.array(roleSchema, { error: 'expected signer, verifier, admin or none' }))
    .optional(),
  CERTUS_TRUST_ANONYMOUS_NETWORK: z
    .enum(['loopback', 'any'], { error: 'expected loopback or any' })
    .optional(),
  CERTUS_TRUST_PUBLIC_READS: booleanString.optional(),
  CERTUS_TRUST_PUBLIC_METRICS: booleanString.optional(),
  CERTUS_TRUST_RATE_LIMIT: nonNegativeInt(1_000_000_000).optional(),
  CERTUS_TRUST_RATE_LIMIT_WINDOW_MS: positiveInt(86_400_000).optional(),
  CERTUS_TRUST_BODY_LIMIT: positiveInt(64 * 1024 * 1024).optional(),
  CERTUS_TRUST_CORS_ORIGINS: commaList
    .pipe(
      z.array(z.union([z.literal('*'), z.url({ protocol: /^https?$/ })]), {
        error: 'expected * or http(s) origins',
      }),
    )
    .optional(),
  CERTUS_TRUST_TLS_CERT: text().optional(),
  CERTUS_TRUST_TLS_KEY: text().optional(),
  CERTUS_TRUST_LOG_LEVEL: logLevel.optional(),
  CERTUS_TRUST_SHUTDOWN_TIMEOUT_MS: positiveInt(600_000).optional(),
  CERTUS_TRUST_RECONCILE_INTERVAL_SECONDS: nonNegativeInt(86_400).optional(),
  CERTUS_TRUST_RECONCILE_GRACE_SECONDS: nonNegativeInt(86_400).optional(),
  // Read by the entry points before this schema (service's `./node-flags`): listed so it is a known variable.
  CERTUS_TRUST_NODE_FLAGS: text().optional(),
  // Accepted only to refuse `true` with an explanation: there is no mock mode (see loadConfig).
  CERTUS_TRUST_MOCK_SIGSTORE: booleanString.optional(),
})
type ServerEnv = z.infer<typeof EnvSchema>

/** Every `CERTUS_TRUST_*` variable the server reads (documented in the README and `.env.example`). */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze([
  ...Object.keys(EnvSchema.shape),
  ...SERVICE_ENV_VARIABLES,
])

const MOCK_SIGSTORE_REFUSAL =
  'CERTUS_TRUST_MOCK_SIGSTORE: there is no mock mode. Certus Trust always signs for real; without ' +
  'CERTUS_TRUST_REKOR_ADDR/FULCIO_ADDR/TSA_URL it runs in embedded mode: real signatures with a local ' +
  'signing key and entries in its own local transparency log (no external service needed). To roll back ' +
  'from external Sigstore services, unset CERTUS_TRUST_MOCK_SIGSTORE and those URLs (compose: ' +
  'COMPOSE_PROFILES=embedded; see docs/coming-from-the-production-guide.md).'

/**
 * Warnings for `CERTUS_TRUST_*` variables nothing reads (a typo silently ignored would mislead), each naming
 * the closest known variable.
 */
export function unknownVariableWarnings(env: Env): string[] {
  return unknownEnvWarnings(env, CONFIG_VARIABLES)
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  return (
    bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare) || bare === '::ffff:127.0.0.1'
  )
}

/**
 * Parses `CERTUS_TRUST_*` variables into a frozen {@link Config}.
 * Libraries never read the environment; this is the server's one place that does.
 *
 * @param env - the environment to read; tests pass a plain object.
 * @param options.cwd - base for relative paths. @default process.cwd()
 * @throws ServerError `SERVER_CONFIG_INVALID` naming every bad variable (values are never echoed).
 * @example
 * const config = loadConfig({ CERTUS_TRUST_STORAGE: 'memory', CERTUS_TRUST_PORT: '0' })
 */
export function loadConfig(env: Env = process.env, options: { cwd?: string } = {}): Config {
  const cwd = options.cwd ?? process.cwd()
  const service = readServiceEnv(env, { cwd })
  const parsed = parseEnv(EnvSchema, env)
  if (!service.ok || !parsed.ok) {
    throw configError([...(parsed.ok ? [] : parsed.problems), ...(service.ok ? [] : service.problems)])
  }
  const raw = parsed.value
  if (raw.CERTUS_TRUST_MOCK_SIGSTORE === true) throw configError([MOCK_SIGSTORE_REFUSAL])
  const problems: string[] = []
  const host = raw.CERTUS_TRUST_HOST ?? DEFAULT_HOST
  const auth = resolveAuth(raw, host, cwd, problems)
  if (Boolean(raw.CERTUS_TRUST_TLS_CERT) !== Boolean(raw.CERTUS_TRUST_TLS_KEY)) {
    problems.push(
      'CERTUS_TRUST_TLS_CERT: CERTUS_TRUST_TLS_CERT and CERTUS_TRUST_TLS_KEY must be set together',
    )
  }
  if (problems.length > 0) throw configError(problems)

  const config: Config = {
    ...service.value,
    host,
    port: raw.CERTUS_TRUST_PORT ?? DEFAULT_PORT,
    auth,
    rateLimit: {
      max: raw.CERTUS_TRUST_RATE_LIMIT ?? 600,
      windowMs: raw.CERTUS_TRUST_RATE_LIMIT_WINDOW_MS ?? 60_000,
    },
    bodyLimitBytes: raw.CERTUS_TRUST_BODY_LIMIT ?? DEFAULT_BODY_LIMIT_BYTES,
    corsOrigins: raw.CERTUS_TRUST_CORS_ORIGINS ?? [],
    tls: raw.CERTUS_TRUST_TLS_CERT
      ? {
          certFile: resolvePath(raw.CERTUS_TRUST_TLS_CERT, cwd),
          keyFile: resolvePath(raw.CERTUS_TRUST_TLS_KEY!, cwd),
        }
      : undefined,
    logLevel: raw.CERTUS_TRUST_LOG_LEVEL ?? 'info',
    shutdownTimeoutMs: raw.CERTUS_TRUST_SHUTDOWN_TIMEOUT_MS ?? 10_000,
    reconcile: {
      intervalSeconds: raw.CERTUS_TRUST_RECONCILE_INTERVAL_SECONDS ?? 300,
      graceSeconds: raw.CERTUS_TRUST_RECONCILE_GRACE_SECONDS ?? 60,
    },
    warnings: unknownVariableWarnings(env),
  }
  return deepFreeze(config)
}

/** API keys, JWT verification and anonymous access, with the rule that keeps anonymous callers on loopback. */
function resolveAuth(raw: ServerEnv, host: string, cwd: string, problems: string[]): Config['auth'] {
  const jwtSources = [
    raw.CERTUS_TRUST_JWT_SECRET,
    raw.CERTUS_TRUST_JWT_PUBLIC_KEY_FILE,
    raw.CERTUS_TRUST_JWT_JWKS_URL,
  ]
  if (jwtSources.filter(Boolean).length > 1) {
    problems.push(
      'CERTUS_TRUST_JWT_SECRET: set only one of CERTUS_TRUST_JWT_SECRET, CERTUS_TRUST_JWT_PUBLIC_KEY_FILE, CERTUS_TRUST_JWT_JWKS_URL',
    )
  }
  const jwt: JwtConfig | undefined = jwtSources.some(Boolean)
    ? {
        secret: raw.CERTUS_TRUST_JWT_SECRET,
        publicKeyFile:
          raw.CERTUS_TRUST_JWT_PUBLIC_KEY_FILE && resolvePath(raw.CERTUS_TRUST_JWT_PUBLIC_KEY_FILE, cwd),
        jwksUrl: raw.CERTUS_TRUST_JWT_JWKS_URL,
        issuer: raw.CERTUS_TRUST_JWT_ISSUER,
        audience: raw.CERTUS_TRUST_JWT_AUDIENCE,
        rolesClaim: raw.CERTUS_TRUST_JWT_ROLES_CLAIM ?? 'roles',
        maxAgeSeconds: raw.CERTUS_TRUST_JWT_MAX_AGE_SECONDS,
      }
    : undefined
  const apiKeys = raw.CERTUS_TRUST_API_KEYS ?? []
  const hasCredentials = apiKeys.length > 0 || jwt !== undefined
  // Without credentials the only safe default is: every role, loopback clients only.
  const anonymousRoles = raw.CERTUS_TRUST_ANONYMOUS_ROLES ?? (hasCredentials ? [] : [...ROLES])
  const anonymousLoopbackOnly = (raw.CERTUS_TRUST_ANONYMOUS_NETWORK ?? 'loopback') === 'loopback'
  if (!hasCredentials && !isLoopbackHost(host) && anonymousLoopbackOnly) {
    problems.push(
      'CERTUS_TRUST_HOST: refusing to bind a non-loopback address without credentials; set CERTUS_TRUST_API_KEYS or CERTUS_TRUST_JWT_*, or CERTUS_TRUST_ANONYMOUS_NETWORK=any to serve anonymous callers on purpose',
    )
  }
  return {
    apiKeys,
    jwt,
    anonymousRoles,
    anonymousLoopbackOnly,
    publicReads: raw.CERTUS_TRUST_PUBLIC_READS ?? false,
    publicMetrics: raw.CERTUS_TRUST_PUBLIC_METRICS ?? false,
  }
}

function configError(problems: string[]): ServerError {
  const variables = [...new Set(problems.map((problem) => problem.split(':')[0]!))]
  return new ServerError({
    code: 'SERVER_CONFIG_INVALID',
    message: `invalid configuration:\n  ${problems.join('\n  ')}`,
    details: { variables },
  })
}
