/**
 * The production entry point (`node packages/server/dist/main.js`, the container's CMD):
 * config → deps → listen → on SIGTERM/SIGINT stop accepting, finish in-flight requests, close log and storage.
 * Exit codes: 0 after a clean shutdown, 1 when start-up fails (bad configuration names every bad variable).
 */
import { dropSqliteExperimentalWarning, restartWithNodeFlags } from '@certus-trust/service/node-flags'

async function main(): Promise<number> {
  // First, before the server's modules load: re-execute with the Node flags CERTUS_TRUST_NODE_FLAGS names, if any
  // (ADR 0015). None by default here: the production server is sized for throughput (the small-server flags cost
  // ~40 % of HTTP sign throughput at 64 connections); `certus serve` defaults to the small-server profile.
  const flagsWarning = restartWithNodeFlags(process, [])
  if (flagsWarning) process.stderr.write(`certus-trust: ${flagsWarning}\n`)
  // Node 22 prints "SQLite is an experimental feature" when the embedded default opens; only that warning is dropped.
  dropSqliteExperimentalWarning()
  const [{ CertusError }, { loadConfig }, { waitForShutdownSignal }, { startServer }] = await Promise.all([
    import('@certus-trust/core'),
    import('./config.js'),
    import('./shutdown-signal.js'),
    import('./start-server.js'),
  ])
  let server: Awaited<ReturnType<typeof startServer>>
  try {
    server = await startServer(loadConfig())
  } catch (error) {
    const message = CertusError.isCertusError(error)
      ? `${error.code}: ${error.message}`
      : 'unexpected start-up failure'
    process.stderr.write(`certus-trust: ${message}\n`)
    if (!CertusError.isCertusError(error))
      process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`)
    return 1
  }
  const signal = await waitForShutdownSignal()
  server.deps.logger.info({ signal }, 'shutting down')
  await server.close()
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`certus-trust: fatal: ${String(error)}\n`)
    process.exitCode = 1
  },
)
