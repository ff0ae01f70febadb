import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildHashedRekordProposedEntry } from '@certus-trust/log-protocol/entries'
import { setupServer } from 'msw/node'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { RekorClient } from '../src/index.js'
import { FakeRekor } from './fake-rekor.js'

// Runs every client example of the README against a fake Rekor served at the default URL (via msw), with the
// public-good log index and artifact digest swapped for ones the fake holds. Snippets are written to a dot
// directory (outside tsconfig and the test globs) so vitest transforms them and resolves '@certus-trust/rekor'.
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const snippetDir = join(packageDir, '.readme-snippets')
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8')
const snippets = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]!)

const fake = new FakeRekor('https://rekor.sigstore.dev')
const server = setupServer(...fake.handlers())
let digest = ''

beforeAll(async () => {
  server.listen({ onUnhandledFrame: 'error' })
  mkdirSync(snippetDir, { recursive: true })
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const artifact = Buffer.from('readme artifact')
  digest = createHash('sha256').update(artifact).digest('hex')
  await new RekorClient({ baseUrl: fake.baseUrl }).createEntry(
    buildHashedRekordProposedEntry({
      digest,
      signature: sign('sha256', artifact, privateKey),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    }),
  )
})
afterAll(() => {
  server.close()
  rmSync(snippetDir, { recursive: true, force: true })
})

describe('README examples', () => {
  it('has a runnable example per client operation', () => {
    const joined = snippets.join('\n')
    for (const operation of [
      'createEntry',
      'getEntryByUuid',
      'getEntryByIndex',
      'searchIndex',
      'retrieveEntries',
      'getLogInfo',
      'getConsistencyProof',
      'getPublicKey',
    ]) {
      expect(joined, operation).toContain(`.${operation}(`)
    }
  })

  it.each(snippets.map((code, index) => [index, code] as const))('snippet %i runs', async (index, code) => {
    const adapted = code
      .replaceAll('79571823', '0')
      .replaceAll('a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf', digest)
      .replace('setTimeout(resolve, 5000)', 'setTimeout(resolve, 0)')
    const file = join(snippetDir, `snippet-${index}.ts`)
    writeFileSync(file, `${adapted}\nexport {}\n`)
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    try {
      await import(/* @vite-ignore */ file)
      expect(log).toHaveBeenCalled()
    } finally {
      log.mockRestore()
    }
  })
})
