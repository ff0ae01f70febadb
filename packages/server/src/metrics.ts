import type { OpenedTrustService, PoolStats } from '@certus-trust/service'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

type StorageGrowth = Awaited<ReturnType<OpenedTrustService['storageGrowth']>>

/** The server's Prometheus metrics, on a registry of their own (two apps in one process never collide). */
export type ServerMetrics = ReturnType<typeof createMetrics>

/** Caps the number of distinct `artifact_type` label values; later ones become `other`. */
const MAX_ARTIFACT_TYPE_LABELS = 50

/**
 * Creates the metrics registry.
 * @param options.defaultMetrics - also collect process metrics (CPU, memory, event loop). @default true
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry()
  // prom-client's default names already start with process_ / nodejs_: the prefix is ours alone.
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'certus_trust_' })
  const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
  // Every metric lives on this app's registry; every latency uses the same buckets.
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] })
  const histogram = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new Histogram<L>({ name, help, labelNames, buckets: latencyBuckets, registers: [registry] })
  const seenTypes = new Set<string>()
  let poolSource: (() => PoolStats | undefined) | undefined
  let growthSource: (() => Promise<StorageGrowth>) | undefined

  const metrics = {
    registry,
    signingTotal: counter('certus_trust_signing_total', 'Signing requests by outcome and artifact type.', [
      'status',
      'artifact_type',
    ]),
    signingDuration: histogram(
      'certus_trust_signing_duration_seconds',
      'Time to sign, log and record one artifact.',
      ['status'],
    ),
    verificationTotal: counter('certus_trust_verification_total', 'Verification requests by result.', [
      'valid',
    ]),
    verificationDuration: histogram(
      'certus_trust_verification_duration_seconds',
      'Time to verify and record one artifact.',
      ['valid'],
    ),
    logRequestDuration: histogram(
      'certus_trust_log_request_duration_seconds',
      'Latency of transparency log (embedded or Rekor) operations.',
      ['operation', 'backend'],
    ),
    logRequestErrors: counter(
      'certus_trust_log_request_errors_total',
      'Failed transparency log (embedded or Rekor) operations.',
      ['operation', 'backend', 'code'],
    ),
    storageOperationDuration: histogram(
      'certus_trust_storage_operation_duration_seconds',
      'Latency of storage (database) operations by operation name: records and the embedded log alike.',
      ['operation', 'backend'],
    ),
    storageOperationErrors: counter(
      'certus_trust_storage_operation_errors_total',
      'Failed storage (database) operations by operation name and error code.',
      ['operation', 'backend', 'code'],
    ),
    /** Records written by reconciliation for log entries that had none (`trigger`: startup or interval). */
    reconciledRecords: counter(
      'certus_trust_reconciled_records_total',
      'Signed-artifact records written by reconciliation for log entries whose record write never happened.',
      ['trigger'],
    ),
    /** Time to build an inclusion proof in the embedded log (part of an entry read). */
    proofDuration: histogram(
      'certus_trust_proof_generation_seconds',
      'Time to build one inclusion proof in the embedded log (tree head and proof nodes).',
      [],
    ),
    /** Time a storage operation waited for a pooled PostgreSQL connection. */
    poolWaitDuration: histogram(
      'certus_trust_storage_pool_wait_seconds',
      'Time a storage operation waited for a pooled PostgreSQL connection.',
      [],
    ),
    /** Latency and failures of calls to Fulcio and to timestamp authorities, by `operation` (the URL path). */
    fulcioRequestDuration: histogram(
      'certus_trust_fulcio_request_duration_seconds',
      'Latency of Fulcio requests by operation (URL path).',
      ['operation'],
    ),
    fulcioRequestErrors: counter(
      'certus_trust_fulcio_request_errors_total',
      'Failed Fulcio requests (network errors, HTTP 4xx/5xx) by operation and code.',
      ['operation', 'code'],
    ),
    tsaRequestDuration: histogram(
      'certus_trust_tsa_request_duration_seconds',
      'Latency of timestamp authority requests by operation (URL path).',
      ['operation'],
    ),
    tsaRequestErrors: counter(
      'certus_trust_tsa_request_errors_total',
      'Failed timestamp authority requests (network errors, HTTP 4xx/5xx) by operation and code.',
      ['operation', 'code'],
    ),
    httpRequests: counter(
      'certus_trust_http_requests_total',
      'HTTP requests by method, route pattern and status.',
      ['method', 'route', 'status'],
    ),
    httpDuration: histogram(
      'certus_trust_http_request_duration_seconds',
      'HTTP request latency by method and route pattern.',
      ['method', 'route'],
    ),
    /** Maps a client-supplied artifact type onto a bounded label set. */
    artifactTypeLabel(type: string): string {
      if (seenTypes.has(type)) return type
      if (seenTypes.size >= MAX_ARTIFACT_TYPE_LABELS) return 'other'
      seenTypes.add(type)
      return type
    },
    /** Registers the storage pool source read at scrape time. */
    setPoolStatsSource(source: (() => PoolStats | undefined) | undefined): void {
      poolSource = source
    },
    /** Registers how big the stored data is, read at scrape time (storage growth). */
    setGrowthSource(source: (() => Promise<StorageGrowth>) | undefined): void {
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
