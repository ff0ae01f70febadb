export type { AppDeps, AppLogger, AppType } from './app.js'
export { createApp, createOpenApiDocument } from './app.js'
export type { ApiKeyConfig, Config, JwtConfig, Role, StorageConfig, TransparencyConfig } from './config.js'
export {
  CONFIG_VARIABLES,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_DATA_DIR,
  DEFAULT_HOST,
  DEFAULT_PORT,
  isLoopbackHost,
  loadConfig,
  ROLES,
} from './config.js'
export type { ServerDeps, ServerDepsOptions } from './deps.js'
export { createServerDeps } from './deps.js'
export type { ServerErrorCode } from './errors.js'
export { ServerError } from './errors.js'
export type { ErrorBody } from './http-errors.js'
export { statusForCategory, statusForError } from './http-errors.js'
export type { ServerMetrics } from './metrics.js'
export { createMetrics } from './metrics.js'
export type { Caller } from './middleware/auth.js'
export { hashApiKey } from './middleware/auth.js'
export { waitForShutdownSignal } from './shutdown-signal.js'
export type { RunningServer, StartServerOptions } from './start-server.js'
export { startServer } from './start-server.js'
