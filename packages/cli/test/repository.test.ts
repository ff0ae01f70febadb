// What an adopter meets first, checked: README's commands are what CI runs, every published package carries the
// license, and the files the tour creates never end up in a commit.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')

/** README's numbered commands: the lines of its "Two commands" block that start with npx. */
function readmeCommands(): string[] {
  const section = read('README.md').split('## Two commands')[1]?.split('```sh')[1]?.split('```')[0] ?? ''
  return section.split('\n').filter((line) => line.startsWith('npx '))
}

describe('README and CI', () => {
  it('runs the same pinned pnpm on Node 24 in both commands', () => {
    const commands = readmeCommands()
    expect(commands).toHaveLength(2)
    for (const command of commands)
      expect(command).toMatch(/^npx --yes -p node@24 -p pnpm@11\.28\.10 -- pnpm install && /)
    expect(commands[0]).toMatch(/-- pnpm start$/)
    expect(commands[1]).toMatch(/-- pnpm test$/)
  })

  it('has .ci/run call README command 2 exactly as written, after lint and typecheck', () => {
    const ci = read('.ci/run')
    const lines = ci.split('\n')
    const test = lines.indexOf(readmeCommands()[1] as string)
    expect(test).toBeGreaterThan(0)
    expect(lines.findIndex((line) => /^pnpm lint\b/.test(line))).toBeLessThan(test)
    expect(lines.findIndex((line) => /^pnpm typecheck\b/.test(line))).toBeLessThan(test)
  })

  it('waits for the server before the tour talks to it', () => {
    for (const doc of ['README.md', 'docs/tour.md']) {
      const text = read(doc)
      const serve = text.indexOf('certus serve')
      const wait = text.indexOf('--retry-connrefused', serve)
      const firstRequest = text.indexOf('curl -s -X POST', serve)
      expect(serve, doc).toBeGreaterThan(0)
      expect(wait, doc).toBeGreaterThan(serve)
      expect(firstRequest, doc).toBeGreaterThan(wait)
    }
    expect(read('docs/tour.md')).not.toMatch(/\bdraft\b/i)
  })
})

describe('license', () => {
  const license = read('LICENSE')

  it('is the Apache License 2.0 at the root, with a NOTICE naming the embedded public-good root', () => {
    expect(license).toContain('Apache License')
    expect(license).toContain('Version 2.0, January 2004')
    expect(license).toContain('END OF TERMS AND CONDITIONS')
    expect(read('NOTICE')).toMatch(/public-good production trusted root/)
  })

  const packages = readdirSync(join(ROOT, 'packages')).filter((name) =>
    existsSync(join(ROOT, 'packages', name, 'package.json')),
  )
  it.each(packages)('ships in the tarball of packages/%s', (name) => {
    const manifest = JSON.parse(read(`packages/${name}/package.json`)) as {
      private?: boolean
      license?: string
      files?: string[]
    }
    if (manifest.private) return
    expect(manifest.license).toBe('Apache-2.0')
    expect(manifest.files).toContain('LICENSE')
    expect(read(`packages/${name}/LICENSE`)).toBe(license)
  })
})

describe('.gitignore', () => {
  it.each([
    'tour.key',
    'keys/release.key',
    'tour.pub',
    'hello.txt',
    'tampered.txt',
    'hello.sigstore.json',
    'trusted_root.json',
    '.certus/lock',
    '.certus-server/lock',
  ])('ignores %s', (path) => {
    // check-ignore exits 0 and prints the path when it is ignored (and throws otherwise).
    const out = execFileSync('git', ['check-ignore', '--no-index', path], { cwd: ROOT, encoding: 'utf8' })
    expect(out.trim()).toBe(path)
  })
})
