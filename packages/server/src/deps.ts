import { mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { KmsKeyProvider } from '@certus-trust/kms'
import type { LogEntry } from '@certus-trust/rekor'
import { createRekorClient, type EntryCreator, type RekorClient, RekorError } from '@certus-trust/rekor'
import { createSigner, generateKeyPair, type Signer } from '@certus-trust/signer'
import { createMemoryStorage, type Storage } from '@certus-trust/storage'
import {
  acquireDirectoryLock,
  createPGliteStorage,
  createPostgresStorage,
  type DirectoryLock,
} from '@certus-trust/storage-postgres'
import {
  createRekorApi,
  createTimestampApi,
  createTimestampAuthority,
  createTransparencyLog,
  type TimestampAuthority,
  TlogError,
  type TransparencyLog,
} from '@certus-trust/tlog'
import { createVerifier, PUBLIC_GOOD_TRUSTED_ROOT_JSON, type Verifier } from '@certus-trust/verifier'
import { Hono } from 'hono'
import pg from 'pg'
import pino from 'pino'
import type { Config } from './config.js'
import { ServerError } from './errors.js'
import { createMetrics, observeLogCall, type ServerMetrics } from './metrics.js'
import type { TrustService } from './service.js'
import { createTrustService, type LogReader, type VerifierSet } from './trust-service.js'

/** Everything the server runs on, built from a {@link Config} by {@link createServerDeps}. */
export interface ServerDeps {
  service: TrustService
  /**
   * The embedded log's Rekor v1 API and the embedded timestamp authority's `/api/v1/timestamp` (undefined with a
   * remote Rekor or transparency off).
   */
  rekorApi?: Hono | undefined
  /** The embedded timestamp authority, beside the embedded log. */
  tsa?: TimestampAuthority | undefined
  storage: Storage
  /** The embedded log, when transparency is embedded. */
  log?: TransparencyLog | undefined
  /** The remote Rekor client, when transparency is remote. */
  rekor?: RekorClient | undefined
  signer: Signer
  logger: pino.Logger
  metrics: ServerMetrics
  /** `memory`, `pglite` or `postgres`. */
  storageBackend: string
  /** Closes the log, then storage, then releases the data directory (reverse order of creation). Idempotent. */
  close(): Promise<void>
}

/** Options of {@link createServerDeps}. */
export interface ServerDepsOptions {
  /** Use this logger instead of a pino logger at `config.logLevel` on stdout. */
  logger?: pino.Logger
  /** Use this metrics registry. @default a new one with process metrics */
  metrics?: ServerMetrics
}

/** Paths pino redacts wherever they appear in a log line: credentials never reach the log. */
const REDACT = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'apiKey',
  '*.apiKey',
  'token',
  '*.token',
  'identityToken',
  'privateKey',
  '*.privateKey',
  'password',
  '*.password',
  'connectionString',
  '*.connectionString',
]

/**
 * Builds storage, the transparency log (embedded, remote Rekor, or none), the signer and the verifiers from
 * `config`, generating the signing and log keys (mode 0600) on first start.
 *
 * @throws ServerError `SERVER_UNAVAILABLE` when storage cannot be opened; library errors for bad keys.
 */
export async function createServerDeps(config: Config, options: ServerDepsOptions = {}): Promise<ServerDeps> {
  const logger =
    options.logger ??
    pino({
      level: config.logLevel,
      base: { service: 'certus-trust' },
      redact: { paths: REDACT, censor: '[redacted]' },
    })
  const metrics = options.metrics ?? createMetrics()
  const closers: Array<() => Promise<void>> = []
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      await close().catch((error: unknown) => logger.error({ err: error }, 'error while closing'))
    }
    closers.length = 0
  }

  try {
    const usesDataDir =
      config.storage.kind === 'pglite' ||
      config.transparency.mode === 'embedded' ||
      (!config.keyless.enabled &&
        config.signingKeyUri === undefined &&
        config.signingKeyPath.startsWith(config.dataDir))
    if (usesDataDir) await mkdir(config.dataDir, { recursive: true, mode: 0o700 })

    let lock: DirectoryLock | undefined
    if (config.storage.kind === 'pglite') {
      // PGlite is single-process: hold the same lock `certus` takes on its data directory.
      lock = await acquireDirectoryLock(dirname(config.storage.dataDir))
      const held = lock
      closers.push(() => held.release())
    }

    const { storage, pool } = await openStorage(config)
    if (pool) closers.push(() => pool.end())
    closers.push(() => storage.close())
    if (pool) {
      metrics.setPoolStatsSource(() => ({
        total: pool.totalCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
      }))
    }

    let log: TransparencyLog | undefined
    let tsa: TimestampAuthority | undefined
    let rekor: RekorClient | undefined
    let witness: EntryCreator | 'none' = 'none'
    let reader: LogReader | undefined
    if (config.transparency.mode === 'embedded') {
      const embedded = await createTransparencyLog({
        storage,
        key: { path: config.logKeyPath },
        ...(config.logBaseUrl ? { baseUrl: config.logBaseUrl } : {}),
        logger,
      })
      log = embedded
      tsa = await createTimestampAuthority({ material: { path: config.tsaKeyPath } })
      closers.push(() => embedded.close())
      witness = embeddedWitness(embedded, metrics)
      reader = embeddedReader(embedded)
    } else if (config.transparency.mode === 'remote') {
      const client = createRekorClient({
        baseUrl: config.transparency.rekorUrl,
        timeout: config.upstreamTimeoutMs,
        retries: config.upstreamRetries,
        // A retried create that meets 409 resolves to the existing entry; a first one too, so retries stay idempotent.
        fetchOnConflict: true,
        logger,
      })
      rekor = client
      witness = instrumentedCreator(client, metrics, 'rekor')
      reader = rekorReader(client)
    }

    const signer = await createConfiguredSigner(config, witness, logger)
    const signingPublicKeyPem = await signer.publicKey()
    const verifiers = await createVerifiers(config, log, rekor, tsa)

    const service = createTrustService({
      storage,
      signer,
      verifiers,
      log: reader,
      signingPublicKeyPem,
      metrics,
      logger,
    })

    return {
      service,
      rekorApi: log ? embeddedApis(config, log, tsa) : undefined,
      tsa,
      storage,
      log,
      rekor,
      signer,
      logger,
      metrics,
      storageBackend: storage.backend,
      close: (() => {
        let closing: Promise<void> | undefined
        return () => {
          closing ??= closeAll()
          return closing
        }
      })(),
    }
  } catch (error) {
    await closeAll()
    throw error
  }
}

/** The Rekor v1 API and, when there is one, the timestamp authority's API, as one sub-application. */
function embeddedApis(config: Config, log: TransparencyLog, tsa: TimestampAuthority | undefined): Hono {
  const app = new Hono()
  app.route('/', createRekorApi(log, { maxBodyBytes: config.bodyLimitBytes }) as unknown as Hono)
  if (tsa) app.route('/', createTimestampApi(tsa) as unknown as Hono)
  return app
}

async function openStorage(config: Config): Promise<{ storage: Storage; pool?: pg.Pool }> {
  const spec = config.storage
  let pool: pg.Pool | undefined
  try {
    if (spec.kind === 'memory') return { storage: createMemoryStorage() }
    if (spec.kind === 'pglite') {
      await mkdir(spec.dataDir, { recursive: true, mode: 0o700 })
      return { storage: await createPGliteStorage({ dataDir: spec.dataDir, migrate: true }) }
    }
    // The server owns the pool so it can report its usage as a metric; storage leaves a given pool open.
    pool = new pg.Pool({
      connectionString: spec.connectionString,
      max: config.databasePoolSize,
      connectionTimeoutMillis: 5_000,
    })
    // An idle client dropped by the server must not crash the process; the pool replaces it.
    pool.on('error', () => {})
    return { storage: await createPostgresStorage({ pool, migrate: true }), pool }
  } catch (error) {
    await pool?.end().catch(() => {})
    if ((error as { code?: string })?.code?.startsWith('STORAGE_')) throw error
    throw new ServerError({
      code: 'SERVER_UNAVAILABLE',
      message: `could not open ${spec.kind} storage`,
      cause: error,
    })
  }
}

/** Wraps a log's `createEntry` with latency and error metrics. */
function instrumentedCreator(creator: EntryCreator, metrics: ServerMetrics, backend: string): EntryCreator {
  return {
    createEntry: (entry, options) =>
      observeLogCall(metrics, { operation: 'create_entry', backend }, () =>
        creator.createEntry(entry, options),
      ),
  }
}

/**
 * The embedded log as a witness that answers a duplicate with the existing entry, as Rekor clients do on 409.
 * ECDSA signatures here are deterministic (RFC 6979), so signing one digest twice with one key proposes the very
 * same entry: the log already holds exactly what we asked for, and that entry is the correct answer.
 */
function embeddedWitness(log: TransparencyLog, metrics: ServerMetrics): EntryCreator {
  return {
    createEntry: (entry, options) =>
      observeLogCall(metrics, { operation: 'create_entry', backend: 'embedded' }, async () => {
        try {
          return await log.createEntry(entry, options)
        } catch (error) {
          const existingId = (error as TlogError).details?.entryId
          if (TlogError.is(error, 'TLOG_ENTRY_CONFLICT') && typeof existingId === 'string') {
            const existing = await log.getEntryByUuid(existingId)
            if (existing) return existing
          }
          throw error
        }
      }),
  }
}

function embeddedReader(log: TransparencyLog): LogReader {
  return {
    backend: 'embedded',
    getEntry: (id) => log.getEntryByUuid(id),
    searchByHash: (digest) => log.searchIndex({ hash: digest }),
    ping: async () => {
      await log.getLogInfo()
    },
  }
}

function rekorReader(client: RekorClient): LogReader {
  return {
    backend: 'rekor',
    async getEntry(id, signal): Promise<LogEntry | undefined> {
      try {
        return await client.getEntryByUuid(id, signal ? { signal } : {})
      } catch (error) {
        if (RekorError.is(error, 'REKOR_NOT_FOUND')) return undefined
        throw error
      }
    },
    searchByHash: (digest, signal) => client.searchIndex({ hash: digest }, signal ? { signal } : {}),
    ping: async () => {
      await client.getLogInfo()
    },
  }
}

async function createConfiguredSigner(
  config: Config,
  witness: EntryCreator | 'none',
  logger: pino.Logger,
): Promise<Signer> {
  const timestampAuthority = config.tsaUrl
    ? { url: config.tsaUrl, timeout: config.upstreamTimeoutMs, retries: config.upstreamRetries }
    : undefined
  if (config.keyless.enabled) {
    const { oidcToken, oidcTokenFile } = config.keyless
    return createSigner({
      keyless: {
        // A token file is re-read for every signature: workload identity tokens are rotated on disk.
        identityToken: oidcTokenFile
          ? async () => (await readFile(oidcTokenFile, 'utf8')).trim()
          : oidcToken!,
        fulcioUrl: config.keyless.fulcioUrl!,
        timeout: config.upstreamTimeoutMs,
        retries: config.upstreamRetries,
      },
      witness,
      ...(timestampAuthority ? { timestampAuthority } : {}),
      logger,
    })
  }
  const key = config.signingKeyUri
    ? await openKmsSigningKey(config.signingKeyUri, logger)
    : await loadOrCreateSigningKey(config.signingKeyPath, logger)
  return createSigner({ key, witness, ...(timestampAuthority ? { timestampAuthority } : {}), logger })
}

/**
 * Opens the KMS key of `CERTUS_TRUST_SIGNING_KEY` and fetches its public key at startup, so a wrong URI, a missing
 * provider package or denied access stops the server before it takes requests. The provider package is optional
 * and loaded from the server's own dependencies.
 */
async function openKmsSigningKey(uri: string, logger: pino.Logger): Promise<KmsKeyProvider> {
  const { resolveKeyProvider } = await import('@certus-trust/kms')
  const provider = await resolveKeyProvider(uri, { load: (packageName) => import(packageName) })
  const info = await provider.describe()
  logger.info({ key: uri, algorithm: info.algorithm, keyId: info.keyId }, 'signing with a KMS key')
  return provider
}

/** Reads the signing key, generating an ECDSA P-256 key with mode 0600 when the file does not exist. */
async function loadOrCreateSigningKey(path: string, logger: pino.Logger): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ServerError({
        code: 'SERVER_CONFIG_INVALID',
        message: `cannot read the signing key at ${path}`,
        cause: error,
      })
    }
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  await generateKeyPair({ algorithm: 'ecdsa-p256', privateKeyPath: path })
  logger.info({ path }, 'generated a new ECDSA P-256 signing key (mode 0600)')
  return readFile(path, 'utf8')
}

async function createVerifiers(
  config: Config,
  log: TransparencyLog | undefined,
  rekor: RekorClient | undefined,
  tsa?: TimestampAuthority,
): Promise<VerifierSet> {
  const baseRootText = config.trustedRootPath
    ? await readFile(config.trustedRootPath, 'utf8').catch((error: unknown) => {
        throw new ServerError({
          code: 'SERVER_CONFIG_INVALID',
          message: `cannot read the trusted root at ${config.trustedRootPath}`,
          cause: error,
        })
      })
    : PUBLIC_GOOD_TRUSTED_ROOT_JSON
  const baseRoot = JSON.parse(baseRootText) as Record<string, unknown>
  const external: Verifier = createVerifier({ trustedRoot: baseRoot })
  if (log) {
    const root = await log.exportTrustedRoot({ base: baseRoot as never })
    // Timestamps from the embedded TSA count like any trusted TSA's.
    if (tsa)
      root.timestampAuthorities = [
        ...root.timestampAuthorities,
        tsa.trustedRootEntry(`${log.baseUrl}/api/v1/timestamp`),
      ]
    const shards = await log.listShards()
    return {
      local: createVerifier({
        trustedRoot: root as unknown as Record<string, unknown>,
        online: { getEntry: async (uuid) => (await log.getEntryByUuid(uuid)) ?? undefined },
      }),
      external,
      localLogIds: new Set(shards.map((shard) => shard.logId.toLowerCase())),
    }
  }
  if (rekor) {
    // Bundles from the configured Rekor are confirmed online against it; its log IDs come from the trusted root.
    const logIds = new Set(
      ((baseRoot.tlogs as Array<{ logId?: { keyId?: string } }> | undefined) ?? [])
        .map((tlog) => tlog.logId?.keyId)
        .filter((keyId): keyId is string => typeof keyId === 'string')
        .map((keyId) => Buffer.from(keyId, 'base64').toString('hex')),
    )
    return {
      local: createVerifier({
        trustedRoot: baseRoot,
        online: {
          getEntry: async (uuid, options) => {
            try {
              return await rekor.getEntryByUuid(uuid, options?.signal ? { signal: options.signal } : {})
            } catch (error) {
              if (RekorError.is(error, 'REKOR_NOT_FOUND')) return undefined
              throw error
            }
          },
        },
      }),
      external,
      localLogIds: logIds,
    }
  }
  // Transparency off: bundles this server signs carry no entry and no timestamp.
  return {
    local: createVerifier({ trustedRoot: baseRoot, tlogThreshold: 0, timestampThreshold: 0 }),
    external,
    localLogIds: new Set(),
    entrylessIsLocal: true,
  }
}
