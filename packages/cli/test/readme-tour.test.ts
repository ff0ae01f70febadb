// The README's "5-minute tour", run as written: its shell block is taken from README.md, `pnpm --silent certus` is
// pointed at the built binary, the server's port at a free one, and the whole block runs in bash (`set -e`) in a
// fresh directory. Then every `certus` command line in README.md and docs/tour.md is checked against that
// command's own `--help`: a flag the docs use that the CLI does not have fails here.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@certus-trust/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, certus, tempDir } from './helpers.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')

/** The shell block under README's "A 5-minute tour" heading. */
function tourBlock(): string {
  const section = read('README.md').split('## A 5-minute tour')[1] ?? ''
  return section.split('```sh\n')[1]?.split('```')[0] ?? ''
}

function bash(script: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout stops the server the tour started too, not only bash.
    const child = spawn('bash', ['-c', script], {
      cwd,
      detached: true,
      env: { ...process.env, CERTUS_DEBUG: undefined },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? 1, stdout, stderr })
    })
  })
}

describe('the README tour, pasted in order', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  beforeAll(async () => {
    dir = await tempDir('certus-tour-')
  })
  afterAll(async () => {
    await dir?.cleanup()
  })

  it('runs every step with exit status 0 and the outputs the tour describes', async () => {
    const block = tourBlock()
    // The block must be the real one (six numbered steps, the server step included) or a pass proves nothing.
    expect(block).toMatch(/# 6\. the reference server/)
    const port = await freePort()
    const script = [
      'set -euo pipefail',
      // Job control, as in the terminal the tour is pasted into: `kill %1` then stops the server's whole job.
      'set -m',
      `certus() { node ${JSON.stringify(BIN)} "$@"; }`,
      block.replaceAll('pnpm --silent certus', 'certus').replaceAll('8081', String(port)),
      // The server stopped by the tour's `kill %1`: wait for it so nothing outlives the test.
      'wait || true',
    ].join('\n')
    const result = await bash(script, dir.path)
    expect(result.stderr).not.toMatch(/command not found|Usage error|unknown option/i)
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0)
    for (const file of ['tour.key', 'tour.pub', 'hello.sigstore.json', 'trusted_root.json'])
      expect(existsSync(join(dir.path, file)), file).toBe(true)
    // Step 2 signs into the log; step 4 verifies by file and (--json) by digest alone; step 5 checks a proof;
    // step 6 answers ready, signs over HTTP into the server's own log, and the server stops on `kill %1`.
    expect(result.stdout).toMatch(/^signed .*hello\.txt -> .*hello\.sigstore\.json \(log index 0,/m)
    expect(result.stdout).toMatch(/^OK\s+.*hello\.txt: signed by key sha256:[0-9a-f]{64}/m)
    expect(result.stdout).toMatch(/"line": "1 verified \/ 0 failed"/)
    expect(result.stdout).toMatch(/^verified:\s+inclusion proof leads to the root of a checkpoint/m)
    expect(result.stdout).toMatch(/\{"status":"ready"/)
    expect(result.stdout).toMatch(/"transparency_entry":\{"uuid":"[0-9a-f]{80}","index":0,/)
    expect(result.stderr).toMatch(/certus: SIGTERM received, shutting down/)
  }, 180_000)
})

/** Every `certus <command> [<sub>] …flags` line of a document (continuation lines joined). */
function certusCommands(text: string): { command: string[]; flags: string[]; line: string }[] {
  const joined = text.replace(/\\\n\s*/g, ' ')
  const found: { command: string[]; flags: string[]; line: string }[] = []
  for (const match of joined.matchAll(
    /(?:pnpm --silent certus|certus) ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)([^\n`|]*)/g,
  )) {
    const words = match[1]!.split(' ')
    const flags = [...(match[2] ?? '').matchAll(/(?:^|\s)(--[a-z][a-z-]*)/g)].map((flag) => flag[1]!)
    found.push({ command: words, flags, line: match[0] })
  }
  return found
}

describe('the documented commands exist with the flags the docs use', () => {
  const helpCache = new Map<string, Promise<string>>()
  async function helpOf(command: string[]): Promise<string | undefined> {
    const key = command.join(' ')
    if (!helpCache.has(key))
      helpCache.set(
        key,
        certus([...command, '--help']).then((result) => (result.code === 0 ? result.stdout : '')),
      )
    return (await helpCache.get(key)) || undefined
  }

  for (const doc of ['README.md', 'docs/tour.md']) {
    it(`${doc}: every certus command line matches its --help`, async () => {
      const commands = certusCommands(read(doc))
      expect(commands.length, doc).toBeGreaterThan(5)
      const problems: string[] = []
      for (const { command, flags, line } of commands) {
        // `certus log info`: a two-word command when the first word's help lists the second as a subcommand.
        let help = command.length === 2 ? await helpOf(command) : undefined
        if (!help) help = await helpOf(command.slice(0, 1))
        if (!help) {
          problems.push(`${line}: no such command`)
          continue
        }
        for (const flag of flags) if (!help.includes(flag)) problems.push(`${line}: ${flag} not in --help`)
      }
      expect(problems).toEqual([])
    }, 120_000)
  }
})
