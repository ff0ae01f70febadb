import { readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createApp } from './app.js'
import type { Config } from './config.js'
import { createServerDeps, type ServerDeps } from './deps.js'
import { ServerError } from './errors.js'

/** A listening server. */
export interface RunningServer {
  /** Base URL actually bound (with the real port when `port` was 0). */
  url: string
  /** What the server composed (storage, log, …), for embedding callers and tests. */
  deps: ServerDeps
  /**
   * Graceful shutdown: stop accepting, let in-flight requests finish (up to `shutdownTimeoutMs`), then close
   * the log and storage in reverse order of creation. Idempotent.
   */
  close(): Promise<void>
}

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** Use these deps instead of building them from `config` (they are closed by `close()` all the same). */
  deps?: ServerDeps
}

/**
 * Builds everything from `config`, then listens. The `certus serve` command and `main.ts` both call this.
 *
 * @example
 * const server = await startServer(loadConfig({ CERTUS_TRUST_STORAGE: 'memory', CERTUS_TRUST_PORT: '0' }))
 * console.log(server.url)
 * await server.close()
 * @throws ServerError `SERVER_UNAVAILABLE` when the address cannot be bound; storage and key errors from the libraries.
 */
export async function startServer(config: Config, options: StartServerOptions = {}): Promise<RunningServer> {
  const deps = options.deps ?? (await createServerDeps(config))
  for (const warning of config.warnings) deps.logger.warn({}, warning)
  let draining = false
  let app: ReturnType<typeof createApp>
  try {
    app = createApp({
      service: deps.service,
      rekorApi: deps.rekorApi,
      auth: config.auth,
      rateLimit: config.rateLimit,
      bodyLimitBytes: config.bodyLimitBytes,
      corsOrigins: config.corsOrigins,
      logger: deps.logger,
      metrics: deps.metrics,
      isDraining: () => draining,
      servedOverTls: config.tls !== undefined,
    })
  } catch (error) {
    // e.g. an unreadable JWT key file: release the storage and log we already opened.
    await deps.close().catch(() => {})
    throw error
  }

  let server: Server
  try {
    server = await listen(app.fetch, config)
  } catch (error) {
    await deps.close().catch(() => {})
    throw new ServerError({
      code: 'SERVER_UNAVAILABLE',
      message: `could not listen on ${config.host}:${config.port}`,
      cause: error,
    })
  }
  // Slow clients must not hold sockets forever; keep-alive sockets are reaped on close.
  server.headersTimeout = 30_000
  server.requestTimeout = 60_000
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `${config.tls ? 'https' : 'http'}://${host}:${address.port}`
  deps.logger.info(
    { url, storage: deps.storageBackend, transparency: config.transparency.mode },
    'certus-trust server listening',
  )

  const stopReconciling = scheduleReconciliation(deps, config)
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      draining = true
      stopReconciling()
      await stopListening(server, config.shutdownTimeoutMs)
      await deps.close()
      deps.logger.info({}, 'certus-trust server stopped')
    })()
    return closing
  }
  return { url, deps, close }
}

/**
 * Runs reconciliation every `CERTUS_TRUST_RECONCILE_INTERVAL_SECONDS` (0: start-up only), one run at a time;
 * a failing run (database down) is logged and the next one tries again. Returns the stop function.
 */
function scheduleReconciliation(deps: ServerDeps, config: Config): () => void {
  const reconcile = deps.reconcile
  if (!reconcile || config.reconcile.intervalSeconds === 0) return () => {}
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    reconcile('interval', config.reconcile.graceSeconds)
      .catch((error: unknown) => deps.logger.error({ err: error }, 'reconciliation failed'))
      .finally(() => {
        running = false
      })
  }, config.reconcile.intervalSeconds * 1000)
  timer.unref()
  return () => clearInterval(timer)
}

function listen(fetch: Parameters<typeof serve>[0]['fetch'], config: Config): Promise<Server> {
  return new Promise((resolve, reject) => {
    const tls = config.tls
      ? {
          createServer: createHttpsServer,
          serverOptions: { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) },
        }
      : {}
    const server = serve({ fetch, port: config.port, hostname: config.host, ...tls }, () => {
      server.off('error', reject)
      resolve(server as Server)
    }) as Server
    server.once('error', reject)
  })
}

/** Stops accepting, closes idle keep-alive sockets, waits for in-flight requests, then forces the rest. */
function stopListening(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs)
    timer.unref()
    // Keep-alive sockets go idle as their last response is sent; close them then, not after keepAliveTimeout.
    const reaper = setInterval(() => server.closeIdleConnections(), 50)
    reaper.unref()
    server.close(() => {
      clearTimeout(timer)
      clearInterval(reaper)
      resolve()
    })
    server.closeIdleConnections()
  })
}
