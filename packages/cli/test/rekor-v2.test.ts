import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createMemoryStorage } from '@certus-trust/storage'
import { serveApp } from '@certus-trust/test-utils'
import {
  createRekorApi,
  createRekorV2Api,
  createTimestampApi,
  createTimestampAuthority,
  createTransparencyLog,
  type TransparencyLog,
} from '@certus-trust/tlog'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certus, json, tempDir } from './helpers.js'

// The real CLI (built bin) against real Rekor v1 + v2 logs and an RFC 3161 TSA on a local port: the embedded log's
// createRekorApi / createRekorV2Api and the embedded TSA's API, the same sub-applications `certus serve` mounts.

type Bundle = {
  verificationMaterial: {
    tlogEntries: Array<{ kindVersion: { kind: string; version: string }; inclusionPromise?: unknown }>
    timestampVerificationData?: { rfc3161Timestamps: unknown[] }
  }
}

const storages = [createMemoryStorage(), createMemoryStorage()]
let server: Awaited<ReturnType<typeof serveApp>>
let logs: TransparencyLog[] = []
let dir: { path: string; cleanup: () => Promise<void> }
const p = (name: string) => join(dir.path, name)
const run = (args: string[]) => certus(args, { cwd: dir.path })
const readBundle = async (name: string) => JSON.parse(await readFile(p(name), 'utf8')) as Bundle

beforeAll(async () => {
  dir = await tempDir()
  server = await serveApp()
  const v1 = await createTransparencyLog({ storage: storages[0]!, baseUrl: server.url })
  const v2 = await createTransparencyLog({ storage: storages[1]!, baseUrl: server.url, apiVersion: 2 })
  logs = [v1, v2]
  const tsa = await createTimestampAuthority()
  const [v1Api, v2Api, tsaApi] = [createRekorApi(v1), createRekorV2Api(v2), createTimestampApi(tsa)]
  server.use({
    fetch: (request) => {
      const path = new URL(request.url).pathname
      if (path.startsWith('/api/v2/')) return v2Api.fetch(request)
      return (path.startsWith('/api/v1/timestamp') ? tsaApi : v1Api).fetch(request)
    },
  })
  const root = {
    ...(await v2.exportTrustedRoot({ base: await v1.exportTrustedRoot() })),
    timestampAuthorities: [tsa.trustedRootEntry(`${server.url}/api/v1/timestamp`)],
  }
  await writeFile(p('root.json'), JSON.stringify(root))
  const service = (url: string, majorApiVersion: number) => ({
    url,
    majorApiVersion,
    validFor: { start: '2020-01-01T00:00:00Z' },
    operator: `certus-v${majorApiVersion}`,
  })
  await writeFile(
    p('signing-config.json'),
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
      rekorTlogUrls: [service(server.url, 1), service(server.url, 2)],
      tsaUrls: [service(`${server.url}/api/v1/timestamp`, 1)],
      rekorTlogConfig: { selector: 'ANY' },
      tsaConfig: { selector: 'ANY' },
    }),
  )
  await writeFile(p('a.txt'), 'artifact for rekor v2\n')
  await writeFile(p('predicate.json'), JSON.stringify({ builder: { id: 'https://ci.example' } }))
  const keygen = await run([
    'keygen',
    '--algorithm',
    'ecdsa-p256',
    '--private-key',
    'k.pem',
    '--public-key',
    'k.pub',
  ])
  expect(keygen.code, keygen.stderr).toBe(0)
})
afterAll(async () => {
  await server?.close()
  for (const log of logs) await log.close()
  for (const storage of storages) await storage.close()
  await dir?.cleanup()
})

const verify = (file: string, bundle: string) =>
  run(['verify', file, '--bundle', bundle, '--key', 'k.pub', '--trusted-root', 'root.json', '--json'])

describe('certus sign/attest --signing-config and --rekor-version (built bin)', () => {
  it('sign --signing-config writes a Rekor v2 entry plus a TSA timestamp; certus verify accepts it, not a changed file', async () => {
    const signed = await run([
      'sign',
      'a.txt',
      '--key',
      'k.pem',
      '--signing-config',
      'signing-config.json',
      '--bundle',
      'v2.json',
      '--json',
    ])
    expect(signed.code, signed.stderr).toBe(0)
    const bundle = await readBundle('v2.json')
    expect(bundle.verificationMaterial.tlogEntries[0]!.kindVersion).toEqual({
      kind: 'hashedrekord',
      version: '0.0.2',
    })
    expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(1)
    const ok = await verify('a.txt', 'v2.json')
    expect(ok.code, ok.stdout + ok.stderr).toBe(0)
    await writeFile(p('changed.txt'), 'artifact for rekor v2, changed\n')
    expect((await verify('changed.txt', 'v2.json')).code).not.toBe(0)
  })

  it('--rekor-version 1 picks the v1 log from the same config (entry with SET)', async () => {
    const signed = await run([
      'sign',
      'a.txt',
      '--key',
      'k.pem',
      '--signing-config',
      'signing-config.json',
      '--rekor-version',
      '1',
      '--bundle',
      'v1.json',
    ])
    expect(signed.code, signed.stderr).toBe(0)
    const entry = (await readBundle('v1.json')).verificationMaterial.tlogEntries[0]!
    expect(entry.kindVersion.version).toBe('0.0.1')
    expect(entry.inclusionPromise).toBeTruthy()
    expect((await verify('a.txt', 'v1.json')).code).toBe(0)
  })

  it('--rekor-url with --rekor-version 2 and --tsa-url; attest --signing-config writes a dsse 0.0.2 entry', async () => {
    const signed = await run([
      'sign',
      'a.txt',
      '--key',
      'k.pem',
      '--rekor-url',
      server.url,
      '--rekor-version',
      '2',
      '--tsa-url',
      `${server.url}/api/v1/timestamp`,
      // a.txt is already in the v2 log (same key, deterministic ECDSA): the log key lets the 409 be read back.
      '--trusted-root',
      'root.json',
      '--bundle',
      'url.json',
      '--json',
    ])
    expect(signed.code, signed.stderr).toBe(0)
    expect(
      json<{ results: Array<{ logIndex: number }> }>(signed).results[0]?.logIndex,
    ).toBeGreaterThanOrEqual(0)
    expect((await readBundle('url.json')).verificationMaterial.tlogEntries[0]!.kindVersion.version).toBe(
      '0.0.2',
    )
    expect((await verify('a.txt', 'url.json')).code).toBe(0)
    const attested = await run([
      'attest',
      'a.txt',
      '--predicate',
      'predicate.json',
      '--predicate-type',
      'https://example.com/test-predicate/v1',
      '--key',
      'k.pem',
      '--signing-config',
      'signing-config.json',
      '--bundle',
      'att.json',
    ])
    expect(attested.code, attested.stderr).toBe(0)
    expect((await readBundle('att.json')).verificationMaterial.tlogEntries[0]!.kindVersion).toEqual({
      kind: 'dsse',
      version: '0.0.2',
    })
  })

  it.each([
    [['--rekor-version', '3'], /--rekor-version must be 1 or 2/],
    [['--rekor-version', '2'], /--rekor-version 2 needs a Rekor v2 log/],
    [['--rekor-url', 'http://127.0.0.1:1', '--rekor-version', '2'], /needs --tsa-url/],
    [
      ['--signing-config', 'signing-config.json', '--rekor-url', 'http://127.0.0.1:1'],
      /leave out --rekor-url/,
    ],
  ])('usage errors: %j', async (flags, message) => {
    const result = await run(['sign', 'a.txt', '--key', 'k.pem', ...flags])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(message)
  })

  it('a malformed signing config is a usage-class error naming the field, and nothing is signed', async () => {
    await writeFile(p('bad-config.json'), JSON.stringify({ mediaType: 'application/json' }))
    const result = await run([
      'sign',
      'a.txt',
      '--key',
      'k.pem',
      '--signing-config',
      'bad-config.json',
      '--bundle',
      'never.json',
    ])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toMatch(/signing config is invalid at mediaType/)
    await expect(readFile(p('never.json'))).rejects.toThrow()
  })
})
