import type { CliIo } from '../io.js'

/**
 * `certus verify-bundle`: the Sigstore client-conformance verification protocol, implemented by
 * @certus-trust/verifier's `runVerifyBundle`. `args` are the arguments after `verify-bundle`.
 */
export async function runVerifyBundleCommand(args: readonly string[], io: CliIo): Promise<number> {
  try {
    const { runVerifyBundle } = await import('@certus-trust/verifier')
    return await runVerifyBundle([...args], { stdout: io.stdout, stderr: io.stderr } as Parameters<
      typeof runVerifyBundle
    >[1])
  } catch (error) {
    io.stderr.write(
      `certus: verify-bundle failed: ${error instanceof Error ? error.message : String(error)}\n`,
    )
    return 1
  }
}
