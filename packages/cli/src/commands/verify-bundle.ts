import type { CliIo } from '../io.js'

/**
 * `certus verify-bundle`: the Sigstore client-conformance verification protocol, implemented by
 * @certus-trust/verifier's `runVerifyBundle`. `args` are the arguments after `verify-bundle`. The protocol's
 * arguments pass through untouched; `--json` (anywhere) is taken out and turns the outcome into one JSON document
 * on stdout: `{ ok: true, exitCode: 0, message }` or `{ ok: false, exitCode, error: { code, message } }`.
 */
export async function runVerifyBundleCommand(args: readonly string[], io: CliIo): Promise<number> {
  const json = args.includes('--json')
  const protocolArgs = args.filter((arg) => arg !== '--json')
  const captured = { stdout: '', stderr: '' }
  const capture = (stream: 'stdout' | 'stderr') => ({
    write: (chunk: string) => {
      captured[stream] += chunk
      return true
    },
  })
  const streams = json
    ? { stdout: capture('stdout'), stderr: capture('stderr') }
    : { stdout: io.stdout, stderr: io.stderr }
  let code: number
  try {
    const { runVerifyBundle } = await import('@certus-trust/verifier')
    code = await runVerifyBundle(protocolArgs, streams as Parameters<typeof runVerifyBundle>[1])
  } catch (error) {
    streams.stderr.write(
      `certus: verify-bundle failed: ${error instanceof Error ? error.message : String(error)}\n`,
    )
    code = 1
  }
  if (json) {
    io.stdout.write(`${JSON.stringify(jsonOutcome(code, captured), null, 2)}\n`)
    if (captured.stderr) io.stderr.write(captured.stderr)
  }
  return code
}

/** The protocol's text outcome as JSON: the verifier's error code when it named one. */
function jsonOutcome(code: number, captured: { stdout: string; stderr: string }): Record<string, unknown> {
  if (code === 0) return { ok: true, exitCode: 0, message: captured.stdout.trim() }
  const text = captured.stderr.trim()
  const named = /^verification failed: ([A-Z][A-Z0-9_]+): ([\s\S]*)$/.exec(text)
  const errorCode = code === 2 ? 'CLI_USAGE' : (named?.[1] ?? 'CLI_VERIFICATION_FAILED')
  const message = code === 2 ? (text.split('\n')[0] ?? '').replace(/^error:\s*/, '') : (named?.[2] ?? text)
  return { ok: false, exitCode: code, error: { code: errorCode, message } }
}
