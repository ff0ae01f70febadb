import { generateKeyPairSync } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certus, json, tempDir } from './helpers.js'

const STACK_LINE = /\n\s+at .+:\d+:\d+/

describe('clear errors and reliable exit codes for bad input (built bin)', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  let p: (name: string) => string
  beforeAll(async () => {
    dir = await tempDir()
    p = (name) => join(dir.path, name)
    await writeFile(p('a.txt'), 'a\n')
    await writeFile(p('b.txt'), 'b\n')
    await writeFile(p('garbage.pem'), 'not a key\n')
    await writeFile(p('bad.json'), '{ not json')
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    await writeFile(p('k.pub'), publicKey.export({ type: 'spki', format: 'pem' }))
    await writeFile(
      p('encrypted.pem'),
      privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'right' }),
    )
  })
  afterAll(() => dir.cleanup())

  it.each([
    ['an unknown command', ['frobnicate'], 2, 'unknown command'],
    ['sign without files', ['sign'], 2, 'missing required argument'],
    ['sign of a missing file', ['sign', 'missing.txt', '--data-dir', 'd'], 3, 'CLI_FILE_NOT_FOUND'],
    [
      'sign with a key file that is not a key',
      ['sign', 'a.txt', '--key', 'garbage.pem', '--data-dir', 'd'],
      3,
      'CLI_INPUT_INVALID',
    ],
    [
      'sign with a missing key file',
      ['sign', 'a.txt', '--key', 'nope.pem', '--data-dir', 'd'],
      3,
      'CLI_FILE_NOT_FOUND',
    ],
    ['sign of two files into one --bundle', ['sign', 'a.txt', 'b.txt', '--bundle', 'x.json'], 2, 'CLI_USAGE'],
    [
      'sign with a malformed --rekor-url',
      ['sign', 'a.txt', '--rekor-url', 'not a url', '--data-dir', 'd'],
      2,
      'CLI_USAGE',
    ],
    [
      'attest with a predicate that is not JSON',
      ['attest', 'a.txt', '--predicate', 'bad.json'],
      3,
      'CLI_INPUT_INVALID',
    ],
    ['verify without a policy', ['verify', 'a.txt', '--bundle', 'bad.json'], 2, 'CLI_USAGE'],
    [
      'verify with --key and an identity',
      ['verify', 'a.txt', '--key', 'k', '--certificate-identity', 'x', '--certificate-oidc-issuer', 'y'],
      2,
      'CLI_USAGE',
    ],
    [
      'verify with a public key file that is not PEM',
      ['verify', 'a.txt', '--key', 'garbage.pem'],
      3,
      'CLI_INPUT_INVALID',
    ],
    ['verify of a file without a bundle', ['verify', 'a.txt', '--key', 'k.pub'], 3, 'CLI_FILE_NOT_FOUND'],
    ['verify of a missing file', ['verify', 'missing.txt', '--key', 'k.pub'], 3, 'CLI_FILE_NOT_FOUND'],
    [
      'verify of a bare digest without --bundle',
      ['verify', `sha256:${'a'.repeat(64)}`, '--key', 'k.pub'],
      2,
      'CLI_USAGE',
    ],
    [
      'verify with a bundle that is not JSON',
      ['verify', 'a.txt', '--bundle', 'bad.json', '--key', 'k.pub'],
      1,
      'VERIFIER_MALFORMED_BUNDLE',
    ],
    ['log info on a directory without a log', ['log', 'info', '--data-dir', 'empty'], 4, 'CLI_DATA_DIR'],
    ['log get with a malformed uuid', ['log', 'get', 'xyz', '--data-dir', 'empty'], 4, 'CLI_DATA_DIR'],
    [
      'log consistency with a non-number',
      ['log', 'consistency', '--from', 'one', '--data-dir', 'empty'],
      2,
      'CLI_USAGE',
    ],
    [
      'log consistency from the empty tree',
      ['log', 'consistency', '--from', '0', '--data-dir', 'empty'],
      2,
      'CLI_USAGE',
    ],
    ['trust-root export without --out', ['trust-root', 'export'], 2, '--out'],
    [
      'serve on a public address without credentials',
      ['serve', '--host', '0.0.0.0', '--port', '0', '--storage', 'memory'],
      2,
      'CLI_UNSAFE_BIND',
    ],
    ['serve with a bad port', ['serve', '--port', 'http'], 2, 'CLI_USAGE'],
    ['migrate without a database', ['migrate'], 2, 'CLI_USAGE'],
    ['migrate with a non-postgres URL', ['migrate', '--database-url', 'mysql://x'], 2, 'CLI_USAGE'],
  ])('%s', async (_name, args, exitCode, message) => {
    const result = await certus(args, {
      cwd: dir.path,
      env: { CERTUS_TRUST_DATABASE_URL: undefined, CERTUS_TRUST_KEY_PASSPHRASE: undefined },
    })
    expect(result.code, result.stderr).toBe(exitCode)
    expect(result.stderr).toContain(message)
    expect(result.stderr).not.toMatch(STACK_LINE)
  })

  it('reports errors as JSON on stdout with --json', async () => {
    const result = await certus(['sign', 'missing.txt', '--json', '--data-dir', 'd'], { cwd: dir.path })
    expect(result.code).toBe(3)
    expect(json<{ ok: boolean; error: { code: string } }>(result)).toEqual({
      ok: false,
      error: { code: 'CLI_FILE_NOT_FOUND', message: expect.stringContaining('missing.txt') },
    })
  })

  it('verify-bundle keeps the conformance protocol: usage errors and unreadable bundles are non-zero, reason on stderr', async () => {
    const noBundle = await certus(['verify-bundle', '--key', 'k.pub', 'a.txt'], { cwd: dir.path })
    expect(noBundle.code).not.toBe(0)
    expect(noBundle.stderr).toContain('--bundle')
    const badBundle = await certus(
      ['verify-bundle', '--bundle', 'bad.json', '--key', 'garbage.pem', 'a.txt'],
      { cwd: dir.path },
    )
    expect(badBundle.code).not.toBe(0)
    expect(badBundle.stderr.trim().length).toBeGreaterThan(0)
    expect(badBundle.stderr).not.toMatch(STACK_LINE)
  })

  it('every subcommand has --help (exit 0)', async () => {
    const commands = [
      ['keygen'],
      ['sign'],
      ['attest'],
      ['verify'],
      ['verify-bundle'],
      ['log'],
      ['log', 'get'],
      ['log', 'search'],
      ['log', 'info'],
      ['log', 'proof'],
      ['log', 'consistency'],
      ['serve'],
      ['migrate'],
      ['trust-root'],
      ['trust-root', 'export'],
    ]
    const results = await Promise.all(commands.map((command) => certus([...command, '--help'])))
    results.forEach((result, index) => {
      expect(result.code, commands[index]?.join(' ')).toBe(0)
      expect(result.stdout, commands[index]?.join(' ')).toContain('Usage: certus')
    })
    const top = await certus(['--help'])
    expect(top.stdout).toContain('Exit status')
    const version = await certus(['--version'])
    expect(version.code).toBe(0)
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })
})
