import { CertusError } from '@certus-trust/core'
import { EXIT_CODES, exitCodeFor } from './errors.js'
import type { CliIo } from './io.js'

/** Prints a command's result either for people (default) or as one JSON document (`--json`). */
export interface Output {
  readonly json: boolean
  readonly io: CliIo
  /** Prints the result: `human` lines on a terminal, `value` as JSON with `--json`. */
  result(human: string | string[], value: unknown): void
  /** A progress or status note on stderr (suppressed with `--json`, so stdout stays one document). */
  note(message: string): void
}

/** Creates the {@link Output} for one command run. */
export function createOutput(io: CliIo, json: boolean): Output {
  return {
    json,
    io,
    result(human, value) {
      if (json) io.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`)
      else io.stdout.write(`${Array.isArray(human) ? human.join('\n') : human}\n`)
    },
    note(message) {
      if (!json) io.stderr.write(`${message}\n`)
    },
  }
}

/** bigint and bytes are not JSON: print them the way the rest of the CLI shows them. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex')
  return value
}

/**
 * Reports an error and returns the exit status. Never prints a stack trace unless `CERTUS_DEBUG=1`:
 * the message names what failed, the code lets scripts branch.
 */
export function reportError(io: CliIo, json: boolean, error: unknown): number {
  const exitCode = exitCodeFor(error)
  // Only Certus errors have a category; anything else is a bug (exit 70) and reported as one.
  const code = CertusError.isCertusError(error) ? error.code : 'CLI_INTERNAL'
  const message = error instanceof Error ? error.message : String(error)
  if (json) {
    io.stdout.write(`${JSON.stringify({ ok: false, error: { code, message } }, null, 2)}\n`)
  }
  io.stderr.write(
    `certus: ${exitCode === EXIT_CODES.INTERNAL ? 'internal error: ' : ''}${message} (${code})\n`,
  )
  if (io.env.CERTUS_DEBUG === '1' && error instanceof Error) {
    io.stderr.write(`${error.stack ?? ''}\n`)
    if (error.cause)
      io.stderr.write(
        `caused by: ${error.cause instanceof Error ? error.cause.stack : String(error.cause)}\n`,
      )
  }
  return exitCode
}

/**
 * Reports one failed item of a batch (a file that could not be signed or verified) on stderr and
 * returns its exit status; the batch goes on with the next item.
 */
export function reportItemError(out: Output, item: string, error: unknown): number {
  const code = CertusError.isCertusError(error) ? error.code : 'CLI_INTERNAL'
  const message = error instanceof Error ? error.message : String(error)
  out.io.stderr.write(`certus: ${item}: ${message} (${code})\n`)
  return exitCodeFor(error)
}
