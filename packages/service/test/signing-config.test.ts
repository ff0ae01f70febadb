import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryStorage } from '@certus-trust/storage'
import { serveApp } from '@certus-trust/test-utils'
import {
  createRekorV2Api,
  createTimestampApi,
  createTimestampAuthority,
  createTransparencyLog,
  type TransparencyLog,
} from '@certus-trust/tlog'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type OpenedTrustService, openTrustService } from '../src/index.js'
import { dataDirLayout } from '../src/layout.js'

// ServiceConfig.signingConfigPath: the service signs through the Rekor v2 log and TSA a SigningConfig names (real
// servers on a local port), and records the v2 entry.

const storage = createMemoryStorage()
let server: Awaited<ReturnType<typeof serveApp>>
let log: TransparencyLog
let dataDir: string
let opened: OpenedTrustService

beforeAll(async () => {
  server = await serveApp()
  log = await createTransparencyLog({ storage, baseUrl: server.url, apiVersion: 2 })
  const [logApi, tsaApi] = [createRekorV2Api(log), createTimestampApi(await createTimestampAuthority())]
  server.use({
    fetch: (request) =>
      (new URL(request.url).pathname.startsWith('/api/v2/') ? logApi : tsaApi).fetch(request),
  })
  dataDir = await mkdtemp(join(tmpdir(), 'certus-service-sc-'))
  const valid = { start: '2020-01-01T00:00:00Z' }
  await writeFile(
    join(dataDir, 'signing-config.json'),
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
      rekorTlogUrls: [{ url: server.url, majorApiVersion: 2, validFor: valid }],
      tsaUrls: [{ url: `${server.url}/api/v1/timestamp`, majorApiVersion: 1, validFor: valid }],
    }),
  )
  const layout = dataDirLayout(dataDir)
  opened = await openTrustService({
    dataDir,
    storage: { kind: 'memory' },
    signingKeyPath: layout.signingKeyPath,
    logKeyPath: layout.logKeyPath,
    keyless: { enabled: false },
    transparency: { mode: 'off' },
    signingConfigPath: join(dataDir, 'signing-config.json'),
    databasePoolSize: 2,
    upstreamTimeoutMs: 5_000,
    upstreamRetries: 0,
  })
})
afterAll(async () => {
  await opened?.close()
  await server?.close()
  await log?.close()
  await storage.close()
  await rm(dataDir, { recursive: true, force: true })
})

describe('openTrustService with signingConfigPath', () => {
  it('signs into the Rekor v2 log with a TSA timestamp and records the entry', async () => {
    const result = await opened.service.sign(
      { artifact: `sha256:${'ab'.repeat(32)}`, artifact_type: 'sbom', subject: 'x.json' },
      { requestId: 'test', caller: 'anonymous' },
    )
    const material = (
      result.bundle as unknown as {
        verificationMaterial: {
          tlogEntries: Array<{ kindVersion: { version: string }; logIndex: string }>
          timestampVerificationData: { rfc3161Timestamps: unknown[] }
        }
      }
    ).verificationMaterial
    expect(material.tlogEntries[0]!.kindVersion.version).toBe('0.0.2')
    expect(material.timestampVerificationData.rfc3161Timestamps).toHaveLength(1)
    expect(result.transparency_entry?.index).toBe(Number(material.tlogEntries[0]!.logIndex))
    const records = await opened.storage.listSignedArtifactsByHash(`sha256:${'ab'.repeat(32)}`, { limit: 10 })
    expect(records.items).toHaveLength(1)
  })
})
