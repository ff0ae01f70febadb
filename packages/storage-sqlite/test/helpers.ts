import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StorageError } from '@certus-trust/storage'
import { expect } from 'vitest'

/** A temporary directory for one test file, removed by `remove()`. */
export function scratchDirectory(label: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `certus-sqlite-${label}-`))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** The StorageError a promise rejects with (fails the test when it resolves or rejects with anything else). */
export async function rejection(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise
  } catch (error) {
    expect(StorageError.is(error), String(error)).toBe(true)
    return error as StorageError
  }
  throw new Error('expected a rejection')
}

/**
 * Runs a TypeScript file in a child Node process. As root, permission bits mean nothing, so the child runs
 * without CAP_DAC_OVERRIDE (through setpriv) to see a read-only directory the way any user would.
 */
export function runScript(
  file: string,
  args: string[],
  { withoutDacOverride = false }: { withoutDacOverride?: boolean } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const node = [process.execPath, '--import', 'tsx', file, ...args]
  const command =
    withoutDacOverride && process.getuid?.() === 0
      ? [
          'setpriv',
          '--inh-caps=-dac_override,-dac_read_search',
          '--bounding-set=-dac_override,-dac_read_search',
          ...node,
        ]
      : node
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
