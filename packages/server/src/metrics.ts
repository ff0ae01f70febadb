import type { OpenedTrustService, PoolStats } from '@certus-trust/service'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

type StorageGrowth = Awaited<ReturnType<OpenedTrustService['storageGrowth']>>

/** The server's Prometheus metrics, on a registry of their own (two apps in one process never collide). */
export interface ServerMetrics {
  registry: Registry
  signingTotal: Counter<'status' | 'artifact_type'>
  signingDuration: Histogram<'status'>
  verificationTotal: Counter<'valid'>
  verificationDuration: Histogram<'valid'>
  logRequestDuration: Histogram<'operation' | 'backend'>
  logRequestErrors: Counter<'operation' | 'backend' | 'code'>
  storageOperationDuration: Histogram<'operation' | 'backend'>
  storageOperationErrors: Counter<'operation' | 'backend' | 'code'>
  /** Records written by reconciliation for log entries that had none (`trigger`: startup or interval). */
  reconciledRecords: Counter<'trigger'>
  /** Time to build an inclusion proof in the embedded log (part of an entry read). */
  proofDuration: Histogram
  /** Time a storage operation waited for a pooled PostgreSQL connection. */
  poolWaitDuration: Histogram
  /** Latency and failures of calls to Fulcio and to timestamp authorities, by `operation` (the URL path). */
  fulcioRequestDuration: Histogram<'operation'>
  fulcioRequestErrors: Counter<'operation' | 'code'>
  tsaRequestDuration: Histogram<'operation'>
  tsaRequestErrors: Counter<'operation' | 'code'>
  httpRequests: Counter<'method' | 'route' | 'status'>
  httpDuration: Histogram<'method' | 'route'>
  /** Maps a client-supplied artifact type onto a bounded label set. */
  artifactTypeLabel(type: string): string
  /** Registers the storage pool source read at scrape time. */
  setPoolStatsSource(source: (() => PoolStats | undefined) | undefined): void
  /** Registers how big the stored data is, read at scrape time (storage growth). */
  setGrowthSource(source: (() => Promise<StorageGrowth>) | undefined): void
}

/** Caps the number of distinct `artifact_type` label values; later ones become `other`. */
const MAX_ARTIFACT_TYPE_LABELS = 50

/**
 * Creates the metrics registry.
 * @param options.defaultMetrics - also collect process metrics (CPU, memory, event loop). @default true
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry()
  // prom-client's default names already start with process_ / nodejs_: the prefix is ours alone.
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'certus_trust_' })
  const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
  const seenTypes = new Set<string>()
  let poolSource: (() => PoolStats | undefined) | undefined
  let growthSource: (() => Promise<StorageGrowth>) | undefined

  const metrics: ServerMetrics = {
    registry,
    signingTotal: new Counter({
      name: 'certus_trust_signing_total',
      help: 'Signing requests by outcome and artifact type.',
      labelNames: ['status', 'artifact_type'],
      registers: [registry],
    }),
    signingDuration: new Histogram({
      name: 'certus_trust_signing_duration_seconds',
      help: 'Time to sign, log and record one artifact.',
      labelNames: ['status'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    verificationTotal: new Counter({
      name: 'certus_trust_verification_total',
      help: 'Verification requests by result.',
      labelNames: ['valid'],
      registers: [registry],
    }),
    verificationDuration: new Histogram({
      name: 'certus_trust_verification_duration_seconds',
      help: 'Time to verify and record one artifact.',
      labelNames: ['valid'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    logRequestDuration: new Histogram({
      name: 'certus_trust_log_request_duration_seconds',
      help: 'Latency of transparency log (embedded or Rekor) operations.',
      labelNames: ['operation', 'backend'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    logRequestErrors: new Counter({
      name: 'certus_trust_log_request_errors_total',
      help: 'Failed transparency log (embedded or Rekor) operations.',
      labelNames: ['operation', 'backend', 'code'],
      registers: [registry],
    }),
    storageOperationDuration: new Histogram({
      name: 'certus_trust_storage_operation_duration_seconds',
      help: 'Latency of storage (database) operations by operation name: records and the embedded log alike.',
      labelNames: ['operation', 'backend'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    storageOperationErrors: new Counter({
      name: 'certus_trust_storage_operation_errors_total',
      help: 'Failed storage (database) operations by operation name and error code.',
      labelNames: ['operation', 'backend', 'code'],
      registers: [registry],
    }),
    reconciledRecords: new Counter({
      name: 'certus_trust_reconciled_records_total',
      help: 'Signed-artifact records written by reconciliation for log entries whose record write never happened.',
      labelNames: ['trigger'],
      registers: [registry],
    }),
    proofDuration: new Histogram({
      name: 'certus_trust_proof_generation_seconds',
      help: 'Time to build one inclusion proof in the embedded log (tree head and proof nodes).',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    poolWaitDuration: new Histogram({
      name: 'certus_trust_storage_pool_wait_seconds',
      help: 'Time a storage operation waited for a pooled PostgreSQL connection.',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    ...upstreamMetrics(registry, 'fulcio', 'Fulcio', latencyBuckets),
    ...upstreamMetrics(registry, 'tsa', 'timestamp authority', latencyBuckets),
    httpRequests: new Counter({
      name: 'certus_trust_http_requests_total',
      help: 'HTTP requests by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'certus_trust_http_request_duration_seconds',
      help: 'HTTP request latency by method and route pattern.',
      labelNames: ['method', 'route'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    artifactTypeLabel(type) {
      if (seenTypes.has(type)) return type
      if (seenTypes.size >= MAX_ARTIFACT_TYPE_LABELS) return 'other'
      seenTypes.add(type)
      return type
    },
    setPoolStatsSource(source) {
      poolSource = source
    },
    setGrowthSource(source) {
      growthSource = source
    },
  }
  registerGrowthGauges(registry, () => growthSource)

  new Gauge({
    name: 'certus_trust_storage_pool_connections',
    help: 'Storage connection pool usage (total, idle, waiting clients); absent for backends without a pool.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const stats = poolSource?.()
      if (!stats) return
      for (const state of ['total', 'idle', 'waiting'] as const) {
        const value = stats[state]
        if (typeof value === 'number') this.set({ state }, value)
      }
    },
  })
  return metrics
}

// Latency and failures of one upstream service, named after the log's (`certus_trust_log_request_*`).
function upstreamMetrics<K extends 'fulcio' | 'tsa'>(
  registry: Registry,
  key: K,
  title: string,
  buckets: number[],
) {
  return {
    [`${key}RequestDuration`]: new Histogram({
      name: `certus_trust_${key}_request_duration_seconds`,
      help: `Latency of ${title} requests by operation (URL path).`,
      labelNames: ['operation'],
      buckets,
      registers: [registry],
    }),
    [`${key}RequestErrors`]: new Counter({
      name: `certus_trust_${key}_request_errors_total`,
      help: `Failed ${title} requests (network errors, HTTP 4xx/5xx) by operation and code.`,
      labelNames: ['operation', 'code'],
      registers: [registry],
    }),
  } as Record<`${K}RequestDuration`, Histogram<'operation'>> &
    Record<`${K}RequestErrors`, Counter<'operation' | 'code'>>
}

// Storage growth, read at scrape time; a gauge whose source has nothing to say is left out of the scrape.
function registerGrowthGauges(
  registry: Registry,
  source: () => (() => Promise<StorageGrowth>) | undefined,
): void {
  const read = async (field: keyof StorageGrowth) => (await source()?.().catch(() => undefined))?.[field]
  new Gauge({
    name: 'certus_trust_log_entries',
    help: 'Entries in the embedded transparency log (all shards).',
    registers: [registry],
    async collect() {
      const value = await read('logEntries')
      if (typeof value === 'number') this.set(value)
    },
  })
  new Gauge({
    name: 'certus_trust_storage_size_bytes',
    help: 'Bytes the database occupies: the SQLite file and its write-ahead log, or pg_database_size for PostgreSQL.',
    registers: [registry],
    async collect() {
      const value = await read('bytes')
      if (typeof value === 'number') this.set(value)
    },
  })
}

/**
 * Times `operation` against the log and records its latency or error in `metrics`.
 * The error is rethrown unchanged.
 */
export function observeLogCall<T>(
  metrics: ServerMetrics | undefined,
  labels: { operation: string; backend: string },
  operation: () => Promise<T>,
): Promise<T> {
  return observeCall(metrics?.logRequestDuration, metrics?.logRequestErrors, labels, operation)
}

/** Times a storage operation into the storage histogram and error counter. The error is rethrown unchanged. */
export function observeStorageCall<T>(
  metrics: ServerMetrics | undefined,
  labels: { operation: string; backend: string },
  operation: () => Promise<T>,
): Promise<T> {
  return observeCall(metrics?.storageOperationDuration, metrics?.storageOperationErrors, labels, operation)
}

async function observeCall<T>(
  duration: Histogram<'operation' | 'backend'> | undefined,
  errors: Counter<'operation' | 'backend' | 'code'> | undefined,
  labels: { operation: string; backend: string },
  operation: () => Promise<T>,
): Promise<T> {
  const end = duration?.startTimer(labels)
  try {
    return await operation()
  } catch (error) {
    const code =
      typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'UNKNOWN'
    errors?.inc({ ...labels, code })
    throw error
  } finally {
    end?.()
  }
}

/** Times one request to Fulcio or a TSA (see the service's `observeUpstreamCalls`); counts it when it fails. */
export function observeUpstreamCall(
  metrics: ServerMetrics,
  call: { service: 'fulcio' | 'tsa'; operation: string },
): (errorCode: string | undefined) => void {
  const fulcio = call.service === 'fulcio'
  const end = (fulcio ? metrics.fulcioRequestDuration : metrics.tsaRequestDuration).startTimer({
    operation: call.operation,
  })
  return (code) => {
    end()
    if (code !== undefined) {
      ;(fulcio ? metrics.fulcioRequestErrors : metrics.tsaRequestErrors).inc({
        operation: call.operation,
        code,
      })
    }
  }
}
