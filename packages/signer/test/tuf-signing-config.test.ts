import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildTufRepository, serveTufRepository, type TufRepository } from '@certus-trust/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadSigningConfig } from '../src/index.js'
import { SIGNING_CONFIG_TUF_TARGET } from '../src/signing-config/config.js'

/*
 * A real TUF repository (test-utils' buildTufRepository: signed root, timestamp, snapshot and targets metadata)
 * served on a loopback port, read by @sigstore/tuf as public-good's would be.
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

function tufRepository(target: Buffer, served: Buffer = target) {
  return buildTufRepository({
    targets: { [SIGNING_CONFIG_TUF_TARGET]: target },
    served: { [SIGNING_CONFIG_TUF_TARGET]: served },
  })
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certus-tuf-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function loadFrom(repository: TufRepository, name: string) {
  const server = await serveTufRepository(repository)
  const requests = server.requests
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
