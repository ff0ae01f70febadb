/**
 * The logging surface libraries accept: a pino-compatible subset. Libraries emit, the app decides.
 * Never pass identity tokens, private keys, credentials or request bodies in `fields`.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void
  info(fields: Record<string, unknown>, message: string): void
  warn(fields: Record<string, unknown>, message: string): void
  error(fields: Record<string, unknown>, message: string): void
}

const noop = () => {}

/** The default logger: discards everything. */
export const noopLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop })
