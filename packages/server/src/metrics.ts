import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/** Pool usage as a storage backend may report it (all optional: the memory backend has no pool). */
export interface PoolStats {
  total?: number
  idle?: number
  waiting?: number
}

/** The server's Prometheus metrics, on a registry of their own (two apps in one process never collide). */
export interface ServerMetrics {
  registry: Registry
  signingTotal: Counter<'status' | 'artifact_type'>
  signingDuration: Histogram<'status'>
  verificationTotal: Counter<'valid'>
  verificationDuration: Histogram<'valid'>
  logRequestDuration: Histogram<'operation' | 'backend'>
  logRequestErrors: Counter<'operation' | 'backend' | 'code'>
  httpRequests: Counter<'method' | 'route' | 'status'>
  httpDuration: Histogram<'method' | 'route'>
  /** Maps a client-supplied artifact type onto a bounded label set. */
  artifactTypeLabel(type: string): string
  /** Registers the storage pool source read at scrape time. */
  setPoolStatsSource(source: (() => PoolStats | undefined) | undefined): void
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
  }

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

/**
 * Times `operation` against the log and records its latency or error in `metrics`.
 * The error is rethrown unchanged.
 */
export async function observeLogCall<T>(
  metrics: ServerMetrics | undefined,
  labels: { operation: string; backend: string },
  operation: () => Promise<T>,
): Promise<T> {
  const end = metrics?.logRequestDuration.startTimer(labels)
  try {
    return await operation()
  } catch (error) {
    const code =
      typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'UNKNOWN'
    metrics?.logRequestErrors.inc({ ...labels, code })
    throw error
  } finally {
    end?.()
  }
}
