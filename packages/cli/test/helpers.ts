import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Absolute path of the built executable the tests run (`pnpm build` / `npx tsup` first). */
export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js')

if (!existsSync(BIN)) {
  throw new Error(`${BIN} is missing: build the CLI first (npx tsup in packages/cli, or turbo run build)`)
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs `node dist/bin.js ...args` and collects its exit status and output (never rejects on a non-zero exit). */
export function certus(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; timeout?: number; input?: string } = {},
) {
  return new Promise<RunResult>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: options.cwd,
        env: { ...process.env, CERTUS_DEBUG: undefined, ...options.env },
        timeout: options.timeout ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(error)
          return
        }
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr })
      },
    )
    // Standard input: what the test gives (e.g. a --password-stdin password), else closed at once.
    child.stdin?.end(options.input ?? '')
  })
}

/** A fresh temporary directory and its cleanup. */
export async function tempDir(
  prefix = 'certus-cli-',
): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) }
}

/** Parses a command's `--json` stdout. */
export function json<T = Record<string, unknown>>(result: RunResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`)
  }
}
