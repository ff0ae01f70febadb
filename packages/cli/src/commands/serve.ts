import { CliError } from '../errors.js'
import type { Output } from '../output.js'

export interface ServeOptions {
  port?: string
  host?: string
  storage?: string
  dataDir?: string
  json?: boolean
}

const CREDENTIAL_VARIABLES = [
  'CERTUS_TRUST_API_KEYS',
  'CERTUS_TRUST_JWT_SECRET',
  'CERTUS_TRUST_JWT_PUBLIC_KEY_FILE',
  'CERTUS_TRUST_JWT_JWKS_URL',
]

function describeStorage(storage: import('@certus-trust/server').Config['storage']): string {
  if (storage.kind === 'sqlite') return `sqlite ${storage.path}`
  if (storage.kind === 'pglite') return `pglite ${storage.dataDir} (legacy; consider SQLite)`
  return storage.kind
}

/**
 * `certus serve --port N [--host H] [--storage memory|DIR|postgres://…] [--data-dir DIR]`: runs the reference
 * server until SIGINT/SIGTERM. Flags win over `CERTUS_TRUST_*` variables; the server validates the result.
 * Binds 127.0.0.1 by default and refuses any other address unless credentials are configured.
 */
export async function runServe(options: ServeOptions, out: Output): Promise<number> {
  const env: Record<string, string | undefined> = { ...out.io.env }
  if (options.port !== undefined) {
    if (!/^\d{1,5}$/.test(options.port) || Number(options.port) > 65535) {
      throw new CliError({
        code: 'CLI_USAGE',
        message: `--port ${JSON.stringify(options.port)} is not a port number (0-65535)`,
      })
    }
    env.CERTUS_TRUST_PORT = options.port
  }
  if (options.host !== undefined) env.CERTUS_TRUST_HOST = options.host
  if (options.storage !== undefined) env.CERTUS_TRUST_STORAGE = options.storage
  if (options.dataDir !== undefined) env.CERTUS_TRUST_DATA_DIR = options.dataDir

  const { loadConfig, isLoopbackHost, startServer, waitForShutdownSignal } = await import(
    '@certus-trust/server'
  )
  const host = env.CERTUS_TRUST_HOST ?? '127.0.0.1'
  const hasCredentials = CREDENTIAL_VARIABLES.some((name) => (env[name] ?? '').trim() !== '')
  if (!isLoopbackHost(host) && !hasCredentials && env.CERTUS_TRUST_ANONYMOUS_NETWORK !== 'any') {
    throw new CliError({
      code: 'CLI_UNSAFE_BIND',
      message: `refusing to bind ${host} without credentials: set CERTUS_TRUST_API_KEYS or CERTUS_TRUST_JWT_* (or bind 127.0.0.1)`,
      details: { host },
    })
  }
  const config = loadConfig(env, { cwd: out.io.cwd })
  // Say what is happening before the first (possibly slow) step: opening storage, keys and the log.
  out.io.stderr.write(
    `certus: starting (storage: ${describeStorage(config.storage)}, log: ${config.transparency.mode})\n`,
  )
  const server = await startServer(config)
  out.io.stderr.write(
    `certus: serving on ${server.url} (storage: ${config.storage.kind}, log: ${config.transparency.mode})\n`,
  )

  // With --json, stdout gets one document once the server listens (what scripts wait for); notes stay on stderr.
  if (out.json)
    out.result('', { ok: true, url: server.url, storage: config.storage.kind, log: config.transparency.mode })

  // Run until asked to stop; then stop accepting, finish in-flight requests, close the log and storage.
  const signal = await waitForShutdownSignal()
  out.io.stderr.write(`certus: ${signal} received, shutting down\n`)
  await server.close()
  return 0
}
