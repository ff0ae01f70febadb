import { type OpenedTrustService, openTrustService } from '@certus-trust/service'
import {
  createRekorApi,
  createRekorV2Api,
  createTimestampApi,
  type TimestampAuthority,
  type TransparencyLog,
} from '@certus-trust/tlog'
import { Hono } from 'hono'
import pino from 'pino'
import type { Config } from './config.js'
import {
  createMetrics,
  observeLogCall,
  observeStorageCall,
  observeUpstreamCall,
  type ServerMetrics,
} from './metrics.js'

/**
 * Everything the server runs on, built from a {@link Config} by {@link createServerDeps}: the opened trust service
 * (storage, log, signer…; see the service's `openTrustService`) plus the HTTP side.
 */
export interface ServerDeps extends Omit<OpenedTrustService, 'reconcile'> {
  /**
   * The embedded log's Rekor v1 API, the embedded Rekor v2 log's API and tiles (`/api/v2/...`) and the embedded
   * timestamp authority's `/api/v1/timestamp` (undefined with a remote Rekor or transparency off).
   */
  rekorApi?: Hono | undefined
  logger: pino.Logger
  metrics: ServerMetrics
  /**
   * Writes the records of log entries signed here that have none (see `reconcileOrphans`), counting them in
   * `certus_trust_reconciled_records_total{trigger}`. Absent when the deps were assembled by hand.
   */
  reconcile?: ((trigger: 'startup' | 'interval', graceSeconds: number) => Promise<void>) | undefined
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
 * Opens the trust service (`@certus-trust/service`: storage, log, signer, verifiers, keys generated on first
 * start) from `config`, with the server's logger and metrics, plus the embedded log's Rekor v1 API.
 *
 * @throws ServiceError `SERVICE_UNAVAILABLE` when storage cannot be opened, `SERVICE_DATA_DIR` when the data
 *   directory is in use; library errors for bad keys.
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
  const opened = await openTrustService(config, {
    logger,
    observeLogCall: (labels, call) => observeLogCall(metrics, labels, call),
    observeStorageCall: (labels, call) => observeStorageCall(metrics, labels, call),
    onInclusionProof: (seconds) => metrics.proofDuration.observe(seconds),
    onPoolWait: (seconds) => metrics.poolWaitDuration.observe(seconds),
    observeUpstreamCall: (call) => observeUpstreamCall(metrics, call),
  })
  if (opened.poolStats) metrics.setPoolStatsSource(opened.poolStats)
  metrics.setGrowthSource(() => opened.storageGrowth())
  const reconcile = reconciler(opened, metrics, logger)
  try {
    // Before serving: entries left without records by a crash get them. On SQLite/PGlite/memory this process is
    // the only writer (the data directory is locked), so nothing can be mid-signing; PostgreSQL may be shared.
    await reconcile('startup', config.storage.kind === 'postgres' ? config.reconcile.graceSeconds : 0)
  } catch (error) {
    await opened.close()
    throw error
  }
  const { log, rekorV2, tsa } = opened
  const rekorApi = log ? embeddedApis(config, { log, rekorV2, tsa }) : undefined
  return { ...opened, rekorApi, logger, metrics, reconcile }
}

/** One reconciliation run, counted and logged. */
function reconciler(opened: OpenedTrustService, metrics: ServerMetrics, logger: pino.Logger) {
  return async (trigger: 'startup' | 'interval', graceSeconds: number) => {
    const result = await opened.reconcile({ graceSeconds })
    if (result.reconciled > 0) metrics.reconciledRecords.inc({ trigger }, result.reconciled)
    if (result.orphans > 0) logger.warn({ trigger, ...result }, 'reconciled log entries that had no record')
  }
}

/** The Rekor v1 API and, when there are, the Rekor v2 API + tiles and the timestamp authority, as one app. */
function embeddedApis(
  config: Config,
  services: {
    log: TransparencyLog
    rekorV2?: TransparencyLog | undefined
    tsa?: TimestampAuthority | undefined
  },
): Hono {
  const app = new Hono()
  const limits = { maxBodyBytes: config.bodyLimitBytes }
  app.route('/', createRekorApi(services.log, limits) as unknown as Hono)
  if (services.rekorV2) app.route('/', createRekorV2Api(services.rekorV2, limits) as unknown as Hono)
  if (services.tsa) app.route('/', createTimestampApi(services.tsa) as unknown as Hono)
  return app
}
