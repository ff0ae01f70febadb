import nodeModule from 'node:module'
import { dropSqliteExperimentalWarning, restartWithNodeFlags } from '@certus-trust/service/node-flags'
import { chunkHooks } from './chunk-hooks.js'
import { processIo } from './io.js'
import { configureZodForCommand } from './zod-config.js'

// `certus serve` is a long-running server: re-executed with the server's V8 flags (ADR 0015) before anything else
// loads; a no-op when they are present, opted out of (CERTUS_TRUST_NODE_FLAGS=none) or Node lacks process.execve.
const serveFlagsWarning = process.argv[2] === 'serve' ? restartWithNodeFlags() : undefined
if (serveFlagsWarning) process.stderr.write(`certus: ${serveFlagsWarning}\n`)

// Start-up (issue 11): V8 code compiled on a previous run is reused from Node's compile cache (in the OS temp
// directory unless NODE_COMPILE_CACHE names one; NODE_DISABLE_COMPILE_CACHE=1 turns it off), so each command's
// chunks are compiled once per install rather than once per process. Called before any chunk is imported.
// A namespace lookup, not a named import: an older Node without the function still starts (engines says 22.22+).
nodeModule.enableCompileCache?.()

// The executable's chunks import each other without Node's general resolver (see chunkHooks). A namespace lookup
// too: without registerHooks (older Node) the chunks load the usual way.
nodeModule.registerHooks?.(chunkHooks(new URL('./', import.meta.url).href))

// zod without its JIT for one-shot commands, its JIT for `certus serve` (see configureZodForCommand).
configureZodForCommand(process.argv[2])

// Node 22 prints "SQLite is an experimental feature" when a command first opens the data directory; only that
// warning is dropped (see dropSqliteExperimentalWarning).
dropSqliteExperimentalWarning()

// Entry point of the `certus` command. Kept tiny: the conformance suite starts `certus verify-bundle`
// 140 times, so that path goes straight to the verifier without loading commander or other commands.
async function main(argv: string[]): Promise<number> {
  const io = processIo()
  if (argv[0] === 'verify-bundle' && !argv.includes('--help') && !argv.includes('-h')) {
    const { runVerifyBundleCommand } = await import('./commands/verify-bundle.js')
    return runVerifyBundleCommand(argv.slice(1), io)
  }
  const { runCli } = await import('./cli.js')
  return runCli(argv, io)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    // runCli never throws; this is a last resort that still avoids a stack trace.
    process.stderr.write(
      `certus: internal error: ${error instanceof Error ? error.message : String(error)}\n`,
    )
    process.exitCode = 70
  },
)
