import { existsSync, statSync } from 'node:fs'
import { kmsSchemeOf } from '@certus-trust/kms'
import { defaultSigningThreadCount } from '@certus-trust/signer'
import * as z from 'zod'
import type { ServiceConfig, TransparencyConfig, TufConfig } from './config.js'
import { type Env, type EnvResult, envFields, parseEnv, resolvePath, TrustRootEnvSchema } from './env.js'
import { DEFAULT_DATA_DIR, dataDirLayout } from './layout.js'
import { defaultStorageConfig, type StorageConfig } from './storage.js'

/*
 * The `CERTUS_TRUST_*` variables of the service part of the configuration (data directory, storage, keys, log,
 * trust material), parsed in one place: the server's `loadConfig` adds only its HTTP variables.
 */

/** Default bound on one PostgreSQL statement (server- and client-side). */
const DEFAULT_DATABASE_STATEMENT_TIMEOUT_MS = 15_000
/** Default bound on connecting to PostgreSQL or waiting for a pooled connection. */
const DEFAULT_DATABASE_CONNECT_TIMEOUT_MS = 5_000

const { booleanString, httpUrl, serviceUrl, positiveInt, nonNegativeInt, text } = envFields
const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/\S+$/, { error: 'expected a postgres:// or postgresql:// URL' })

const ServiceEnvSchema = TrustRootEnvSchema.extend({
  CERTUS_TRUST_LOG_BASE_URL: httpUrl.optional(),
  CERTUS_TRUST_LOG_KEY: text().optional(),
  CERTUS_TRUST_TSA_KEY: text().optional(),
  CERTUS_TRUST_REKOR_V2_KEY: text().optional(),
  CERTUS_TRUST_ENABLE_REKOR_V2: booleanString.optional(),
  CERTUS_TRUST_DATA_DIR: text().optional(),
  CERTUS_TRUST_STORAGE: text().optional(),
  CERTUS_TRUST_DATABASE_URL: postgresUrl.optional(),
  CERTUS_TRUST_SIGNING_KEY: text().optional(),
  CERTUS_TRUST_ENABLE_KEYLESS: booleanString.optional(),
  CERTUS_TRUST_FULCIO_ADDR: serviceUrl.optional(),
  CERTUS_TRUST_OIDC_TOKEN: text().optional(),
  CERTUS_TRUST_OIDC_TOKEN_FILE: text().optional(),
  CERTUS_TRUST_ENABLE_TRANSPARENCY: booleanString.optional(),
  CERTUS_TRUST_REKOR_ADDR: serviceUrl.optional(),
  CERTUS_TRUST_TSA_URL: serviceUrl.optional(),
  CERTUS_TRUST_SIGNING_CONFIG: text().optional(),
  CERTUS_TRUST_REKOR_VERSION: z
    .enum(['1', '2'], { error: 'expected 1 or 2' })
    .transform((value) => Number(value) as 1 | 2)
    .optional(),
  CERTUS_TRUST_DATABASE_POOL_SIZE: positiveInt(1000).optional(),
  CERTUS_TRUST_SIGNING_THREADS: nonNegativeInt(64).optional(),
  CERTUS_TRUST_VERIFY_THREADS: nonNegativeInt(64).optional(),
  CERTUS_TRUST_DATABASE_STATEMENT_TIMEOUT_MS: positiveInt(3_600_000).optional(),
  CERTUS_TRUST_DATABASE_CONNECT_TIMEOUT_MS: positiveInt(600_000).optional(),
  CERTUS_TRUST_UPSTREAM_TIMEOUT_MS: positiveInt(600_000).optional(),
  CERTUS_TRUST_UPSTREAM_RETRIES: nonNegativeInt(10).optional(),
})
type ServiceEnv = z.infer<typeof ServiceEnvSchema>

/** Every `CERTUS_TRUST_*` variable of the service part of the configuration. */
export const SERVICE_ENV_VARIABLES: readonly string[] = Object.freeze(Object.keys(ServiceEnvSchema.shape))

/**
 * Reads the service part of the configuration (`ServiceConfig`) from `CERTUS_TRUST_*` variables, as the server
 * runs it: data directory, storage, keys, log, keyless, trust material, database and upstream limits.
 * Relative paths resolve against `options.cwd`. Returns every problem at once rather than the first.
 *
 * @example
 * const result = readServiceEnv({ CERTUS_TRUST_STORAGE: 'memory' }, { cwd: process.cwd() })
 * if (result.ok) await openTrustService(result.value)
 */
export function readServiceEnv(env: Env, options: { cwd: string }): EnvResult<ServiceConfig> {
  const parsed = parseEnv(ServiceEnvSchema, env)
  if (!parsed.ok) return parsed
  const raw = parsed.value
  const cwd = options.cwd
  const problems: string[] = []
  const dataDir = resolvePath(raw.CERTUS_TRUST_DATA_DIR ?? DEFAULT_DATA_DIR, cwd)
  const storage = resolveStorage(raw, dataDir, cwd, problems)
  const transparency = resolveTransparency(raw, problems)
  const tuf = resolveTuf(raw, dataDir, cwd, problems)
  const keyless = resolveKeyless(raw, cwd, problems)
  if (problems.length > 0) return { ok: false, problems }
  return {
    ok: true,
    value: {
      logBaseUrl: raw.CERTUS_TRUST_LOG_BASE_URL?.replace(/\/+$/, ''),
      dataDir,
      storage,
      ...signingKey(raw, dataDir, cwd),
      ...embeddedKeyPaths(raw, dataDir, cwd),
      keyless,
      transparency,
      tsaUrl: raw.CERTUS_TRUST_TSA_URL,
      // `/v1/sign` through the Rekor logs and TSAs a Sigstore SigningConfig selects, optionally of one version.
      signingConfigPath: raw.CERTUS_TRUST_SIGNING_CONFIG && resolvePath(raw.CERTUS_TRUST_SIGNING_CONFIG, cwd),
      rekorVersion: raw.CERTUS_TRUST_REKOR_VERSION,
      trustedRootPath: raw.CERTUS_TRUST_TRUSTED_ROOT && resolvePath(raw.CERTUS_TRUST_TRUSTED_ROOT, cwd),
      tuf,
      trustRootMaxAgeDays: raw.CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS,
      databasePoolSize: raw.CERTUS_TRUST_DATABASE_POOL_SIZE ?? 10,
      // A server is busy: digest signatures on the other cores by default (one-shot commands sign inline).
      signingThreads: raw.CERTUS_TRUST_SIGNING_THREADS ?? defaultSigningThreadCount(),
      // Likewise bundle verification (the same count: one per core, at most 4, none on one core).
      verifyThreads: raw.CERTUS_TRUST_VERIFY_THREADS ?? defaultSigningThreadCount(),
      databaseStatementTimeoutMs:
        raw.CERTUS_TRUST_DATABASE_STATEMENT_TIMEOUT_MS ?? DEFAULT_DATABASE_STATEMENT_TIMEOUT_MS,
      databaseConnectTimeoutMs:
        raw.CERTUS_TRUST_DATABASE_CONNECT_TIMEOUT_MS ?? DEFAULT_DATABASE_CONNECT_TIMEOUT_MS,
      upstreamTimeoutMs: raw.CERTUS_TRUST_UPSTREAM_TIMEOUT_MS ?? 10_000,
      upstreamRetries: raw.CERTUS_TRUST_UPSTREAM_RETRIES ?? 2,
    },
  }
}

/** A PEM file (the variable, else the data directory's), or a KMS key URI (`awskms://…`). */
function signingKey(raw: ServiceEnv, dataDir: string, cwd: string) {
  const value = raw.CERTUS_TRUST_SIGNING_KEY
  const signingKeyUri = value !== undefined && kmsSchemeOf(value) !== undefined ? value : undefined
  const defaultPath = dataDirLayout(dataDir).signingKeyPath
  return {
    signingKeyPath: resolvePath(signingKeyUri === undefined ? (value ?? defaultPath) : defaultPath, cwd),
    signingKeyUri,
  }
}

/** Key files of the embedded log, Rekor v2 log and TSA: the variables, else the data directory's files. */
function embeddedKeyPaths(raw: ServiceEnv, dataDir: string, cwd: string) {
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

function resolveKeyless(raw: ServiceEnv, cwd: string, problems: string[]): ServiceConfig['keyless'] {
  const enabled = raw.CERTUS_TRUST_ENABLE_KEYLESS ?? false
  if (enabled && !raw.CERTUS_TRUST_FULCIO_ADDR) {
    problems.push('CERTUS_TRUST_FULCIO_ADDR: required when CERTUS_TRUST_ENABLE_KEYLESS is true')
  }
  if (enabled && !raw.CERTUS_TRUST_OIDC_TOKEN && !raw.CERTUS_TRUST_OIDC_TOKEN_FILE) {
    problems.push(
      'CERTUS_TRUST_OIDC_TOKEN: CERTUS_TRUST_OIDC_TOKEN or CERTUS_TRUST_OIDC_TOKEN_FILE is required when keyless is on',
    )
  }
  if (raw.CERTUS_TRUST_OIDC_TOKEN && raw.CERTUS_TRUST_OIDC_TOKEN_FILE) {
    problems.push(
      'CERTUS_TRUST_OIDC_TOKEN_FILE: set only one of CERTUS_TRUST_OIDC_TOKEN and CERTUS_TRUST_OIDC_TOKEN_FILE',
    )
  }
  return {
    enabled,
    fulcioUrl: raw.CERTUS_TRUST_FULCIO_ADDR,
    oidcToken: raw.CERTUS_TRUST_OIDC_TOKEN,
    oidcTokenFile: raw.CERTUS_TRUST_OIDC_TOKEN_FILE && resolvePath(raw.CERTUS_TRUST_OIDC_TOKEN_FILE, cwd),
  }
}

/** Where entries are recorded (embedded log, a remote Rekor, or nowhere), with the rules that tie its variables. */
function resolveTransparency(raw: ServiceEnv, problems: string[]): TransparencyConfig {
  if (raw.CERTUS_TRUST_ENABLE_TRANSPARENCY === false && raw.CERTUS_TRUST_REKOR_ADDR) {
    problems.push('CERTUS_TRUST_REKOR_ADDR: set while CERTUS_TRUST_ENABLE_TRANSPARENCY is false')
  }
  if (raw.CERTUS_TRUST_REKOR_VERSION !== undefined && raw.CERTUS_TRUST_SIGNING_CONFIG === undefined) {
    problems.push(
      'CERTUS_TRUST_REKOR_VERSION: only with CERTUS_TRUST_SIGNING_CONFIG (it picks among its logs)',
    )
  }
  if (raw.CERTUS_TRUST_ENABLE_TRANSPARENCY === false) return { mode: 'off' }
  if (raw.CERTUS_TRUST_REKOR_ADDR) {
    return { mode: 'remote', rekorUrl: raw.CERTUS_TRUST_REKOR_ADDR.replace(/\/+$/, '') }
  }
  return { mode: 'embedded' }
}

/**
 * Where the public-good root comes from: TUF when `CERTUS_TRUST_TUF_MIRROR` is set (cache in the data directory by
 * default), never together with `CERTUS_TRUST_TRUSTED_ROOT` (which replaces the public-good root).
 */
function resolveTuf(
  raw: ServiceEnv,
  dataDir: string,
  cwd: string,
  problems: string[],
): TufConfig | undefined {
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

const STORAGE_EXPECTED =
  'CERTUS_TRUST_STORAGE: expected sqlite, memory, postgres, pglite, a postgres:// URL, a SQLite file (*.db) or a PGlite directory'

function resolveStorage(raw: ServiceEnv, dataDir: string, cwd: string, problems: string[]): StorageConfig {
  const value = raw.CERTUS_TRUST_STORAGE
  const url = raw.CERTUS_TRUST_DATABASE_URL
  if (value === undefined)
    return url ? { kind: 'postgres', connectionString: url } : defaultStorageConfig(dataDir)
  if (value === 'memory') return { kind: 'memory' }
  if (value === 'sqlite') return { kind: 'sqlite', path: dataDirLayout(dataDir).databasePath }
  if (value === 'pglite') return { kind: 'pglite', dataDir: dataDirLayout(dataDir).legacyPGlitePath }
  if (value === 'postgres') {
    if (url) return { kind: 'postgres', connectionString: url }
    problems.push('CERTUS_TRUST_DATABASE_URL: required when CERTUS_TRUST_STORAGE is postgres')
    return { kind: 'memory' }
  }
  const isPostgresUrl = /^postgres(ql)?:\/\/\S+$/.test(value)
  if (isPostgresUrl) return { kind: 'postgres', connectionString: value }
  if (/^postgres(ql)?:/.test(value) || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    problems.push(STORAGE_EXPECTED)
    return { kind: 'memory' }
  }
  // A path: a SQLite file when it is one (an existing file, or named *.db / *.sqlite / *.sqlite3); otherwise a
  // PGlite directory, as every path meant before SQLite became the default.
  const path = resolvePath(value, cwd)
  const isFile = existsSync(path) ? statSync(path).isFile() : /\.(db|sqlite3?)$/i.test(path)
  return isFile ? { kind: 'sqlite', path } : { kind: 'pglite', dataDir: path }
}
