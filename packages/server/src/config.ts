import { existsSync, statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { kmsSchemeOf } from '@certus-trust/kms'
import {
  DEFAULT_DATA_DIR,
  dataDirLayout,
  defaultStorageConfig,
  type ServiceConfig,
  type StorageConfig,
  type TransparencyConfig,
} from '@certus-trust/service'
import { defaultSigningThreadCount } from '@certus-trust/signer'
import { z } from 'zod'
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
/** Default bound on one PostgreSQL statement (server- and client-side). */
export const DEFAULT_DATABASE_STATEMENT_TIMEOUT_MS = 15_000
/** Default bound on connecting to PostgreSQL or waiting for a pooled connection. */
export const DEFAULT_DATABASE_CONNECT_TIMEOUT_MS = 5_000

const booleanString = z
  .string()
  .transform((value) => value.toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'expected true or false' }))
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value))

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

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' })

function isLoopbackUrl(value: string): boolean {
  const host = new URL(value).hostname
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * A URL of a service we trust with signatures, certificates or tokens (Rekor, Fulcio, a TSA, a JWKS): TLS, except
 * to this machine's own loopback interface (a sidecar or a test server), where nothing crosses a network.
 */
const serviceUrl = httpUrl.refine((value) => value.startsWith('https://') || isLoopbackUrl(value), {
  error: 'expected an https:// URL (plain http:// only to a loopback host such as 127.0.0.1)',
})
const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/\S+$/, { error: 'expected a postgres:// or postgresql:// URL' })

const positiveInt = (max: number) => z.coerce.number({ error: 'expected a number' }).int().min(1).max(max)
const nonNegativeInt = (max: number) => z.coerce.number({ error: 'expected a number' }).int().min(0).max(max)

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

/** Raw environment schema: one entry per `CERTUS_TRUST_*` variable. Kept private (not API). */
const EnvSchema = z.object({
  CERTUS_TRUST_PORT: nonNegativeInt(65535).optional(),
  CERTUS_TRUST_HOST: z.string().min(1).optional(),
  CERTUS_TRUST_LOG_BASE_URL: httpUrl.optional(),
  CERTUS_TRUST_LOG_KEY: z.string().min(1).optional(),
  CERTUS_TRUST_TSA_KEY: z.string().min(1).optional(),
  CERTUS_TRUST_REKOR_V2_KEY: z.string().min(1).optional(),
  CERTUS_TRUST_ENABLE_REKOR_V2: booleanString.optional(),
  CERTUS_TRUST_DATA_DIR: z.string().min(1).optional(),
  CERTUS_TRUST_STORAGE: z.string().min(1).optional(),
  CERTUS_TRUST_DATABASE_URL: postgresUrl.optional(),
  CERTUS_TRUST_SIGNING_KEY: z.string().min(1).optional(),
  CERTUS_TRUST_ENABLE_KEYLESS: booleanString.optional(),
  CERTUS_TRUST_FULCIO_ADDR: serviceUrl.optional(),
  CERTUS_TRUST_OIDC_TOKEN: z.string().min(1).optional(),
  CERTUS_TRUST_OIDC_TOKEN_FILE: z.string().min(1).optional(),
  CERTUS_TRUST_ENABLE_TRANSPARENCY: booleanString.optional(),
  CERTUS_TRUST_REKOR_ADDR: serviceUrl.optional(),
  CERTUS_TRUST_TSA_URL: serviceUrl.optional(),
  CERTUS_TRUST_SIGNING_CONFIG: z.string().min(1).optional(),
  CERTUS_TRUST_REKOR_VERSION: z
    .enum(['1', '2'], { error: 'expected 1 or 2' })
    .transform((value) => Number(value) as 1 | 2)
    .optional(),
  CERTUS_TRUST_TRUSTED_ROOT: z.string().min(1).optional(),
  // TUF metadata is signed end to end, so a plain-http mirror cannot forge a root: any http(s) URL.
  CERTUS_TRUST_TUF_MIRROR: httpUrl.optional(),
  CERTUS_TRUST_TUF_ROOT: z.string().min(1).optional(),
  CERTUS_TRUST_TUF_CACHE_DIR: z.string().min(1).optional(),
  CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS: nonNegativeInt(36_500).optional(),
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
  CERTUS_TRUST_JWT_PUBLIC_KEY_FILE: z.string().min(1).optional(),
  CERTUS_TRUST_JWT_JWKS_URL: serviceUrl.optional(),
  CERTUS_TRUST_JWT_ISSUER: z.string().min(1).optional(),
  CERTUS_TRUST_JWT_AUDIENCE: z.string().min(1).optional(),
  CERTUS_TRUST_JWT_ROLES_CLAIM: z.string().min(1).optional(),
  CERTUS_TRUST_JWT_MAX_AGE_SECONDS: z.coerce
    .number({ error: 'expected a number of seconds' })
    .int()
    .min(1)
    .max(31_536_000)
    .optional(),
  CERTUS_TRUST_ANONYMOUS_ROLES: commaList
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
  CERTUS_TRUST_DATABASE_POOL_SIZE: positiveInt(1000).optional(),
  CERTUS_TRUST_SIGNING_THREADS: nonNegativeInt(64).optional(),
  CERTUS_TRUST_DATABASE_STATEMENT_TIMEOUT_MS: positiveInt(3_600_000).optional(),
  CERTUS_TRUST_DATABASE_CONNECT_TIMEOUT_MS: positiveInt(600_000).optional(),
  CERTUS_TRUST_CORS_ORIGINS: commaList
    .pipe(
      z.array(z.union([z.literal('*'), z.url({ protocol: /^https?$/ })]), {
        error: 'expected * or http(s) origins',
      }),
    )
    .optional(),
  CERTUS_TRUST_TLS_CERT: z.string().min(1).optional(),
  CERTUS_TRUST_TLS_KEY: z.string().min(1).optional(),
  CERTUS_TRUST_LOG_LEVEL: logLevel.optional(),
  CERTUS_TRUST_UPSTREAM_TIMEOUT_MS: positiveInt(600_000).optional(),
  CERTUS_TRUST_UPSTREAM_RETRIES: nonNegativeInt(10).optional(),
  CERTUS_TRUST_SHUTDOWN_TIMEOUT_MS: positiveInt(600_000).optional(),
  CERTUS_TRUST_RECONCILE_INTERVAL_SECONDS: nonNegativeInt(86_400).optional(),
  CERTUS_TRUST_RECONCILE_GRACE_SECONDS: nonNegativeInt(86_400).optional(),
  // Accepted only to refuse `true` with an explanation: there is no mock mode (see loadConfig).
  CERTUS_TRUST_MOCK_SIGSTORE: booleanString.optional(),
})

/** Every `CERTUS_TRUST_*` variable the server reads (documented in the README and `.env.example`). */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(EnvSchema.shape))

/** Variables other Certus Trust programs read (the `certus` command): known, so never reported as unknown. */
const OTHER_KNOWN_VARIABLES = ['CERTUS_TRUST_KEY_PASSPHRASE']

/** Names people carry over from elsewhere, mapped to what we read instead. */
const RENAMED_VARIABLES: Record<string, string> = {
  CERTUS_TRUST_PUBLIC_URL: 'CERTUS_TRUST_LOG_BASE_URL',
  CERTUS_TRUST_REKOR_URL: 'CERTUS_TRUST_REKOR_ADDR',
  CERTUS_TRUST_FULCIO_URL: 'CERTUS_TRUST_FULCIO_ADDR',
  CERTUS_TRUST_TSA_ADDR: 'CERTUS_TRUST_TSA_URL',
}

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
export function unknownVariableWarnings(env: Record<string, string | undefined>): string[] {
  const known = new Set([...CONFIG_VARIABLES, ...OTHER_KNOWN_VARIABLES])
  return Object.keys(env)
    .filter((name) => name.startsWith('CERTUS_TRUST_') && !known.has(name))
    .sort()
    .map((name) => {
      const suggestion = RENAMED_VARIABLES[name] ?? closestName(name, [...known])
      return `${name} is not a Certus Trust variable and is ignored${suggestion ? `; did you mean ${suggestion}?` : ''}`
    })
}

function closestName(name: string, candidates: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate)
    if (!best || distance < best.distance) best = { name: candidate, distance }
  }
  // Beyond a third of the name, a "suggestion" is noise.
  return best && best.distance <= Math.max(3, Math.floor(name.length / 3)) ? best.name : undefined
}

/** Levenshtein distance (two rows). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution)
    }
    previous = current
  }
  return previous[b.length]!
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  return (
    bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare) || bare === '::ffff:127.0.0.1'
  )
}

/** Key files of the embedded log, Rekor v2 log and TSA: the variables, else the data directory's files. */
function embeddedKeyPaths(raw: z.infer<typeof EnvSchema>, dataDir: string, cwd: string) {
  const layout = dataDirLayout(dataDir)
  return {
    logKeyPath: resolvePath(raw.CERTUS_TRUST_LOG_KEY ?? layout.logKeyPath, cwd),
    tsaKeyPath: resolvePath(raw.CERTUS_TRUST_TSA_KEY ?? layout.tsaKeyPath, cwd),
    // The Rekor v2 log runs beside the embedded log unless turned off.
    rekorV2KeyPath:
      (raw.CERTUS_TRUST_ENABLE_REKOR_V2 ?? true)
        ? resolvePath(raw.CERTUS_TRUST_REKOR_V2_KEY ?? layout.rekorV2KeyPath, cwd)
        : undefined,
  }
}

/** Where entries are recorded (embedded log, a remote Rekor, or nowhere), with the rules that tie its variables. */
function resolveTransparency(raw: z.infer<typeof EnvSchema>, problems: string[]): TransparencyConfig {
  const transparency: TransparencyConfig =
    raw.CERTUS_TRUST_ENABLE_TRANSPARENCY === false
      ? { mode: 'off' }
      : raw.CERTUS_TRUST_REKOR_ADDR
        ? { mode: 'remote', rekorUrl: raw.CERTUS_TRUST_REKOR_ADDR.replace(/\/+$/, '') }
        : { mode: 'embedded' }
  if (raw.CERTUS_TRUST_ENABLE_TRANSPARENCY === false && raw.CERTUS_TRUST_REKOR_ADDR) {
    problems.push('CERTUS_TRUST_REKOR_ADDR: set while CERTUS_TRUST_ENABLE_TRANSPARENCY is false')
  }
  if (raw.CERTUS_TRUST_REKOR_VERSION !== undefined && raw.CERTUS_TRUST_SIGNING_CONFIG === undefined) {
    problems.push(
      'CERTUS_TRUST_REKOR_VERSION: only with CERTUS_TRUST_SIGNING_CONFIG (it picks among its logs)',
    )
  }
  return transparency
}

/**
 * `/v1/sign` through the Rekor logs and TSAs a Sigstore SigningConfig selects (instead of the embedded log or
 * CERTUS_TRUST_REKOR_ADDR), optionally only logs of one Rekor major version.
 */
function signingConfigSettings(raw: z.infer<typeof EnvSchema>, cwd: string) {
  return {
    signingConfigPath: raw.CERTUS_TRUST_SIGNING_CONFIG && resolvePath(raw.CERTUS_TRUST_SIGNING_CONFIG, cwd),
    rekorVersion: raw.CERTUS_TRUST_REKOR_VERSION,
  }
}

function resolvePath(path: string, base: string): string {
  return isAbsolute(path) ? path : resolve(base, path)
}

/**
 * Where the public-good root comes from: TUF when `CERTUS_TRUST_TUF_MIRROR` is set (cache in the data directory by
 * default), never together with `CERTUS_TRUST_TRUSTED_ROOT` (which replaces the public-good root).
 */
function resolveTuf(raw: z.infer<typeof EnvSchema>, dataDir: string, cwd: string, problems: string[]) {
  if (raw.CERTUS_TRUST_TUF_MIRROR && raw.CERTUS_TRUST_TRUSTED_ROOT) {
    problems.push(
      'CERTUS_TRUST_TUF_MIRROR: set only one of CERTUS_TRUST_TUF_MIRROR (refresh the public-good root) and CERTUS_TRUST_TRUSTED_ROOT (replace it)',
    )
  }
  for (const name of ['CERTUS_TRUST_TUF_ROOT', 'CERTUS_TRUST_TUF_CACHE_DIR'] as const) {
    if (raw[name] && !raw.CERTUS_TRUST_TUF_MIRROR) problems.push(`${name}: only with CERTUS_TRUST_TUF_MIRROR`)
  }
  if (!raw.CERTUS_TRUST_TUF_MIRROR) return undefined
  return {
    mirror: raw.CERTUS_TRUST_TUF_MIRROR.replace(/\/+$/, ''),
    rootPath: raw.CERTUS_TRUST_TUF_ROOT && resolvePath(raw.CERTUS_TRUST_TUF_ROOT, cwd),
    cacheDir: resolvePath(raw.CERTUS_TRUST_TUF_CACHE_DIR ?? dataDirLayout(dataDir).tufCachePath, cwd),
  }
}

/** The known `CERTUS_TRUST_*` variables that are set; empty strings count as unset, as in most env loaders. */
function knownVariables(env: Record<string, string | undefined>): Record<string, string> {
  const relevant: Record<string, string> = {}
  for (const name of CONFIG_VARIABLES) {
    const value = env[name]
    if (value !== undefined && value.trim() !== '') relevant[name] = value.trim()
  }
  if (relevant.CERTUS_TRUST_ANONYMOUS_ROLES === 'none') relevant.CERTUS_TRUST_ANONYMOUS_ROLES = ''
  return relevant
}

/** What is missing or contradictory in the keyless settings. */
function keylessProblems(raw: z.infer<typeof EnvSchema>, keylessEnabled: boolean): string[] {
  const problems: string[] = []
  if (keylessEnabled && !raw.CERTUS_TRUST_FULCIO_ADDR) {
    problems.push('CERTUS_TRUST_FULCIO_ADDR: required when CERTUS_TRUST_ENABLE_KEYLESS is true')
  }
  if (keylessEnabled && !raw.CERTUS_TRUST_OIDC_TOKEN && !raw.CERTUS_TRUST_OIDC_TOKEN_FILE) {
    problems.push(
      'CERTUS_TRUST_OIDC_TOKEN: CERTUS_TRUST_OIDC_TOKEN or CERTUS_TRUST_OIDC_TOKEN_FILE is required when keyless is on',
    )
  }
  if (raw.CERTUS_TRUST_OIDC_TOKEN && raw.CERTUS_TRUST_OIDC_TOKEN_FILE) {
    problems.push(
      'CERTUS_TRUST_OIDC_TOKEN_FILE: set only one of CERTUS_TRUST_OIDC_TOKEN and CERTUS_TRUST_OIDC_TOKEN_FILE',
    )
  }
  return problems
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
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  options: { cwd?: string } = {},
): Config {
  const cwd = options.cwd ?? process.cwd()
  const relevant = knownVariables(env)
  const problems: string[] = []
  const warnings = unknownVariableWarnings(env)
  const parsed = EnvSchema.safeParse(relevant)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${String(issue.path[0] ?? '(env)')}: ${issue.message}`)
    }
    throw configError(problems)
  }
  const raw = parsed.data
  if (raw.CERTUS_TRUST_MOCK_SIGSTORE === true) throw configError([MOCK_SIGSTORE_REFUSAL])

  const dataDir = resolvePath(raw.CERTUS_TRUST_DATA_DIR ?? DEFAULT_DATA_DIR, cwd)
  const host = raw.CERTUS_TRUST_HOST ?? DEFAULT_HOST
  const port = raw.CERTUS_TRUST_PORT ?? DEFAULT_PORT

  const storage = resolveStorage(raw, dataDir, cwd, problems)
  const transparency = resolveTransparency(raw, problems)
  const tuf = resolveTuf(raw, dataDir, cwd, problems)

  const keylessEnabled = raw.CERTUS_TRUST_ENABLE_KEYLESS ?? false
  problems.push(...keylessProblems(raw, keylessEnabled))

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

  if (Boolean(raw.CERTUS_TRUST_TLS_CERT) !== Boolean(raw.CERTUS_TRUST_TLS_KEY)) {
    problems.push(
      'CERTUS_TRUST_TLS_CERT: CERTUS_TRUST_TLS_CERT and CERTUS_TRUST_TLS_KEY must be set together',
    )
  }

  if (problems.length > 0) throw configError(problems)

  const signingKeyUri =
    raw.CERTUS_TRUST_SIGNING_KEY !== undefined && kmsSchemeOf(raw.CERTUS_TRUST_SIGNING_KEY) !== undefined
      ? raw.CERTUS_TRUST_SIGNING_KEY
      : undefined
  const config: Config = {
    host,
    port,
    logBaseUrl: raw.CERTUS_TRUST_LOG_BASE_URL?.replace(/\/+$/, ''),
    dataDir,
    storage,
    signingKeyPath: resolvePath(
      signingKeyUri === undefined
        ? (raw.CERTUS_TRUST_SIGNING_KEY ?? dataDirLayout(dataDir).signingKeyPath)
        : dataDirLayout(dataDir).signingKeyPath,
      cwd,
    ),
    signingKeyUri,
    ...embeddedKeyPaths(raw, dataDir, cwd),
    keyless: {
      enabled: keylessEnabled,
      fulcioUrl: raw.CERTUS_TRUST_FULCIO_ADDR,
      oidcToken: raw.CERTUS_TRUST_OIDC_TOKEN,
      oidcTokenFile: raw.CERTUS_TRUST_OIDC_TOKEN_FILE && resolvePath(raw.CERTUS_TRUST_OIDC_TOKEN_FILE, cwd),
    },
    transparency,
    tsaUrl: raw.CERTUS_TRUST_TSA_URL,
    ...signingConfigSettings(raw, cwd),
    trustedRootPath: raw.CERTUS_TRUST_TRUSTED_ROOT && resolvePath(raw.CERTUS_TRUST_TRUSTED_ROOT, cwd),
    tuf,
    trustRootMaxAgeDays: raw.CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS,
    auth: {
      apiKeys,
      jwt,
      anonymousRoles,
      anonymousLoopbackOnly,
      publicReads: raw.CERTUS_TRUST_PUBLIC_READS ?? false,
      publicMetrics: raw.CERTUS_TRUST_PUBLIC_METRICS ?? false,
    },
    rateLimit: {
      max: raw.CERTUS_TRUST_RATE_LIMIT ?? 600,
      windowMs: raw.CERTUS_TRUST_RATE_LIMIT_WINDOW_MS ?? 60_000,
    },
    bodyLimitBytes: raw.CERTUS_TRUST_BODY_LIMIT ?? DEFAULT_BODY_LIMIT_BYTES,
    databasePoolSize: raw.CERTUS_TRUST_DATABASE_POOL_SIZE ?? 10,
    signingThreads: raw.CERTUS_TRUST_SIGNING_THREADS ?? defaultSigningThreadCount(),
    databaseStatementTimeoutMs:
      raw.CERTUS_TRUST_DATABASE_STATEMENT_TIMEOUT_MS ?? DEFAULT_DATABASE_STATEMENT_TIMEOUT_MS,
    databaseConnectTimeoutMs:
      raw.CERTUS_TRUST_DATABASE_CONNECT_TIMEOUT_MS ?? DEFAULT_DATABASE_CONNECT_TIMEOUT_MS,
    corsOrigins: raw.CERTUS_TRUST_CORS_ORIGINS ?? [],
    tls: raw.CERTUS_TRUST_TLS_CERT
      ? {
          certFile: resolvePath(raw.CERTUS_TRUST_TLS_CERT, cwd),
          keyFile: resolvePath(raw.CERTUS_TRUST_TLS_KEY!, cwd),
        }
      : undefined,
    logLevel: raw.CERTUS_TRUST_LOG_LEVEL ?? 'info',
    upstreamTimeoutMs: raw.CERTUS_TRUST_UPSTREAM_TIMEOUT_MS ?? 10_000,
    upstreamRetries: raw.CERTUS_TRUST_UPSTREAM_RETRIES ?? 2,
    shutdownTimeoutMs: raw.CERTUS_TRUST_SHUTDOWN_TIMEOUT_MS ?? 10_000,
    reconcile: {
      intervalSeconds: raw.CERTUS_TRUST_RECONCILE_INTERVAL_SECONDS ?? 300,
      graceSeconds: raw.CERTUS_TRUST_RECONCILE_GRACE_SECONDS ?? 60,
    },
    warnings,
  }
  return deepFreeze(config)
}

const STORAGE_EXPECTED =
  'CERTUS_TRUST_STORAGE: expected sqlite, memory, postgres, pglite, a postgres:// URL, a SQLite file (*.db) or a PGlite directory'

function resolveStorage(
  raw: { CERTUS_TRUST_STORAGE?: string | undefined; CERTUS_TRUST_DATABASE_URL?: string | undefined },
  dataDir: string,
  cwd: string,
  problems: string[],
): StorageConfig {
  const value = raw.CERTUS_TRUST_STORAGE
  if (value === undefined) {
    if (raw.CERTUS_TRUST_DATABASE_URL)
      return { kind: 'postgres', connectionString: raw.CERTUS_TRUST_DATABASE_URL }
    return defaultStorageConfig(dataDir)
  }
  if (value === 'memory') return { kind: 'memory' }
  if (value === 'sqlite') return { kind: 'sqlite', path: dataDirLayout(dataDir).databasePath }
  if (value === 'pglite') return { kind: 'pglite', dataDir: dataDirLayout(dataDir).legacyPGlitePath }
  if (value === 'postgres') {
    if (!raw.CERTUS_TRUST_DATABASE_URL) {
      problems.push('CERTUS_TRUST_DATABASE_URL: required when CERTUS_TRUST_STORAGE is postgres')
      return { kind: 'memory' }
    }
    return { kind: 'postgres', connectionString: raw.CERTUS_TRUST_DATABASE_URL }
  }
  if (/^postgres(ql)?:/.test(value)) {
    if (!/^postgres(ql)?:\/\/\S+$/.test(value)) {
      problems.push(STORAGE_EXPECTED)
      return { kind: 'memory' }
    }
    return { kind: 'postgres', connectionString: value }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    problems.push(STORAGE_EXPECTED)
    return { kind: 'memory' }
  }
  // A path: a SQLite file when it is one (an existing file, or named *.db / *.sqlite / *.sqlite3); otherwise a
  // PGlite directory, as every path meant before SQLite became the default.
  const path = resolvePath(value, cwd)
  const isFile = existsSync(path) ? statSync(path).isFile() : /\.(db|sqlite3?)$/i.test(path)
  return isFile ? { kind: 'sqlite', path } : { kind: 'pglite', dataDir: path }
}

function configError(problems: string[]): ServerError {
  const variables = [...new Set(problems.map((problem) => problem.split(':')[0]!))]
  return new ServerError({
    code: 'SERVER_CONFIG_INVALID',
    message: `invalid configuration:\n  ${problems.join('\n  ')}`,
    details: { variables },
  })
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
