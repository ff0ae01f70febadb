/**
 * Resolves with the first SIGINT or SIGTERM the process receives, then stops listening for both, so a second
 * signal during shutdown falls back to Node's default (exit). Used by `main.ts` and `certus serve`.
 */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (name: NodeJS.Signals) => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      resolve(name)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}
