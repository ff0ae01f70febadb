import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serveApp } from '@certus-trust/test-utils'
import { canonicalize } from '@tufjs/canonical-json'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadSigningConfig } from '../src/index.js'
import { SIGNING_CONFIG_TUF_TARGET } from '../src/signing-config.js'

/*
 * A real TUF repository (root, timestamp, snapshot and targets metadata with consistent snapshots, signed with an
 * Ed25519 key over canonical JSON) served on a loopback port, read by @sigstore/tuf as public-good's would be.
 */

const signingConfig = {
  mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
  caUrls: [],
  oidcUrls: [],
  rekorTlogUrls: [
    {
      url: 'https://rekor.example',
      majorApiVersion: 2,
      validFor: { start: '2025-01-01T00:00:00Z' },
      operator: 'example',
    },
  ],
  tsaUrls: [
    {
      url: 'https://tsa.example/api/v1/timestamp',
      majorApiVersion: 1,
      validFor: { start: '2025-01-01T00:00:00Z' },
      operator: 'example',
    },
  ],
  rekorTlogConfig: { selector: 'ANY' },
  tsaConfig: { selector: 'ANY' },
}

type Json = Record<string, unknown>
const EXPIRES = '2099-01-01T00:00:00Z'

function tufRepository(target: Buffer, served: Buffer = target) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const key = {
    keytype: 'ed25519',
    scheme: 'ed25519',
    keyval: { public: publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex') },
  }
  const keyId = createHash('sha256').update(canonicalize(key)).digest('hex')
  const signed = (body: Json) => ({
    signed: body,
    signatures: [
      { keyid: keyId, sig: sign(null, Buffer.from(canonicalize(body)), privateKey).toString('hex') },
    ],
  })
  const role = { keyids: [keyId], threshold: 1 }
  const common = { spec_version: '1.0.31', version: 1, expires: EXPIRES }
  const root = signed({
    _type: 'root',
    ...common,
    consistent_snapshot: true,
    keys: { [keyId]: key },
    roles: { root: role, targets: role, snapshot: role, timestamp: role },
  })
  const sha256 = createHash('sha256').update(target).digest('hex')
  const targets = signed({
    _type: 'targets',
    ...common,
    targets: { [SIGNING_CONFIG_TUF_TARGET]: { length: target.length, hashes: { sha256 } } },
  })
  const snapshot = signed({ _type: 'snapshot', ...common, meta: { 'targets.json': { version: 1 } } })
  const timestamp = signed({ _type: 'timestamp', ...common, meta: { 'snapshot.json': { version: 1 } } })
  const files = new Map<string, Buffer>([
    ['/timestamp.json', Buffer.from(JSON.stringify(timestamp))],
    ['/1.snapshot.json', Buffer.from(JSON.stringify(snapshot))],
    ['/1.targets.json', Buffer.from(JSON.stringify(targets))],
    [`/targets/${sha256}.${SIGNING_CONFIG_TUF_TARGET}`, served],
  ])
  return { root: JSON.stringify(root), files }
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certus-tuf-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function loadFrom(repository: ReturnType<typeof tufRepository>, name: string) {
  const requests: string[] = []
  const server = await serveApp()
  server.use({
    fetch(request) {
      const path = new URL(request.url).pathname
      requests.push(path)
      const body = repository.files.get(path)
      return body ? new Response(body) : new Response('not found', { status: 404 })
    },
  })
  const rootPath = join(dir, `${name}-root.json`)
  await writeFile(rootPath, repository.root)
  try {
    let config: Awaited<ReturnType<typeof loadSigningConfig>> | undefined
    let error: unknown
    try {
      config = await loadSigningConfig({
        tuf: { mirrorURL: server.url, rootPath, cachePath: join(dir, `${name}-cache`) },
      })
    } catch (caught) {
      error = caught
    }
    return { config, error, requests }
  } finally {
    await server.close()
  }
}

describe('SigningConfig from a TUF repository (@sigstore/tuf)', () => {
  it('fetches the signing_config.v0.2.json target through verified root, timestamp, snapshot and targets', async () => {
    const target = Buffer.from(JSON.stringify(signingConfig))
    const { config, error, requests } = await loadFrom(tufRepository(target), 'good')
    expect(error).toBeUndefined()
    expect(config?.rekorTlogUrls[0]).toMatchObject({ url: 'https://rekor.example', majorApiVersion: 2 })
    expect(config?.tsaUrls).toHaveLength(1)
    // The client walked the metadata chain before it took the target.
    expect(requests).toEqual(
      expect.arrayContaining(['/2.root.json', '/timestamp.json', '/1.snapshot.json', '/1.targets.json']),
    )
  })

  it('refuses a target whose bytes do not match the signed targets metadata', async () => {
    const target = Buffer.from(JSON.stringify(signingConfig))
    const tampered = Buffer.from(
      JSON.stringify({
        ...signingConfig,
        tsaUrls: [{ ...signingConfig.tsaUrls[0], url: 'https://evil.example' }],
      }),
    )
    const { config, error } = await loadFrom(tufRepository(target, tampered), 'tampered')
    expect(config).toBeUndefined()
    expect(error).toMatchObject({ code: 'SIGNER_WITNESS_UNREACHABLE' })
  })
})
