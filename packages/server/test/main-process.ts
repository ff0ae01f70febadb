import { type ChildProcess, spawn } from 'node:child_process'
import { resolve } from 'node:path'

/*
 * The production entry point, exactly as the container image and `pnpm start` run it:
 * `node packages/server/dist/main.js`. It needs the build (turbo runs `build` before `test`).
 */
export const MAIN = resolve(__dirname, '../dist/main.js')

export function run(
  env: Record<string, string>,
  cwd: string,
): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  let stdout = ''
  let stderr = ''
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    // A clean environment: only what the test sets, so the operator's CERTUS_TRUST_* never leak in.
    env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  return { child, stdout: () => stdout, stderr: () => stderr }
}

export async function waitFor<T>(check: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 50))
  }
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else child.once('exit', (code) => resolve(code))
  })
}

/** Waits for the `listening` log line and returns the server's URL. */
export function listeningUrl(output: () => string, timeoutMs = 30_000): Promise<string> {
  return waitFor(() => {
    for (const line of output().split('\n')) {
      if (line.includes('listening')) return (JSON.parse(line) as { url: string }).url
    }
    return undefined
  }, timeoutMs)
}
