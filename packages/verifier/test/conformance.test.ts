import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { ASSETS, type ConformanceCase, caseNames, loadCase, warnSkipped } from './helpers/conformance.js'

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
warnSkipped('verifier conformance (bin)')

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr })
    })
  })
}

function argsFor(item: ConformanceCase, input: string): string[] {
  const args = ['verify-bundle', '--bundle', item.bundlePath]
  if (item.key) args.push('--key', item.key)
  else args.push('--certificate-identity', item.identity, '--certificate-oidc-issuer', item.issuer)
  if (item.trustedRoot) args.push('--trusted-root', item.trustedRoot)
  args.push(input)
  return args
}

interface Check {
  label: string
  item: ConformanceCase
  input: string
}

const checks: Check[] = []
if (ASSETS) {
  for (const name of caseNames()) {
    const item = loadCase(name)
    const digest = `sha256:${createHash('sha256').update(readFileSync(item.artifact)).digest('hex')}`
    checks.push(
      { label: `${name} [PATH]`, item, input: item.artifact },
      { label: `${name} [DIGEST]`, item, input: digest },
    )
  }
}

describe.skipIf(!ASSETS)('Sigstore conformance bundle-verify cases through dist/bin.js', () => {
  beforeAll(() => {
    if (!existsSync(BIN))
      throw new Error(`${BIN} is missing: build the package (npx tsup) before running this test`)
  })

  it('covers all 70 cases twice', () => {
    expect(checks.length).toBe(140)
  })

  it.concurrent.each(checks)('$label', async ({ item, input }) => {
    const { code, stderr } = await run(argsFor(item, input))
    if (item.expectFail) {
      // A rejection must be a typed verification failure (exit 1 naming a code), never a crash or usage error.
      expect(code, stderr).toBe(1)
      expect(stderr).toMatch(/VERIFIER_[A-Z_]+/)
    } else {
      expect(code, stderr).toBe(0)
    }
  })
})
