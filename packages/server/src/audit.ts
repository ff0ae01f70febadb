import type { Logger } from '@certus-trust/core'

/** One audit record: who did what to which artifact, with what result. Never bodies, keys or tokens. */
export interface AuditEvent {
  action: 'sign' | 'verify'
  requestId: string
  caller: string
  artifact: string
  artifactType?: string | undefined
  result: 'success' | 'valid' | 'invalid' | 'error'
  entryId?: string | undefined
  errorCode?: string | undefined
  durationMs: number
}

/** Writes an audit line (`audit: true` makes the lines easy to route to a separate sink). */
export function audit(logger: Logger, event: AuditEvent): void {
  logger.info(
    { audit: true, ...event, durationMs: Math.round(event.durationMs * 100) / 100 },
    `audit ${event.action}`,
  )
}
