import type { Storage } from '@certus-trust/storage'
import { ServiceError } from './errors.js'
import type { LogReader } from './log-backend.js'
import type { ReadinessCheck } from './types.js'

/** How long one readiness probe may take before it counts as failed. */
const PROBE_TIMEOUT_MS = 3000

/** Probes storage (and the log, when there is one) in parallel; each check reports ok or its error code. */
export async function checkReadiness(
  storage: Storage,
  log: LogReader | undefined,
): Promise<Record<string, ReadinessCheck>> {
  const checks: Record<string, ReadinessCheck> = {}
  const probe = async (name: string, call: () => Promise<unknown>) => {
    try {
      await withTimeout(call(), PROBE_TIMEOUT_MS)
      checks[name] = { ok: true }
    } catch (error) {
      checks[name] = { ok: false, message: (error as { code?: string })?.code ?? 'check failed' }
    }
  }
  await Promise.all([
    probe('storage', () => storage.listSignedArtifacts({ limit: 1 })),
    ...(log ? [probe('log', () => log.ping())] : []),
  ])
  return checks
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ServiceError({ code: 'SERVICE_UNAVAILABLE', message: 'check timed out' })),
      ms,
    )
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
