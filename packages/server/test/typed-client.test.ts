import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hc } from 'hono/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AppType,
  createApp,
  createServerDeps,
  hashApiKey,
  loadConfig,
  type ServerDeps,
} from '../src/index.js'
import { digestOf, SIGNER_KEY, VERIFIER_KEY } from './helpers.js'

/*
 * Hono's typed client against the real app (no port: its fetch is `app.request`). The request shapes below are
 * checked by `tsc` (the package typecheck covers tests): a misspelt field or a missing one fails the build.
 */
describe('hc<AppType>', () => {
  let dataDir: string
  let deps: ServerDeps
  let client: ReturnType<typeof hc<AppType>>

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'certus-typed-client-'))
    const config = loadConfig(
      {
        CERTUS_TRUST_DATA_DIR: dataDir,
        CERTUS_TRUST_STORAGE: 'memory',
        CERTUS_TRUST_LOG_LEVEL: 'silent',
        CERTUS_TRUST_API_KEYS: `ci:signer:${hashApiKey(SIGNER_KEY)},auditor:verifier:${hashApiKey(VERIFIER_KEY)}`,
      },
      { cwd: dataDir },
    )
    deps = await createServerDeps(config)
    const app: AppType = createApp({ service: deps.service, auth: config.auth })
    client = hc<AppType>('http://localhost', {
      fetch: (input: string | URL | Request, init?: RequestInit) => app.request(input, init),
    })
  })

  afterAll(async () => {
    await deps?.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('signs, verifies and reads the entry with typed requests and responses', async () => {
    const artifact = digestOf('typed client')
    const signed = await client.v1.sign.$post(
      { json: { artifact, artifact_type: 'sbom', subject: 'app.spdx.json' } },
      { headers: { authorization: `Bearer ${SIGNER_KEY}` } },
    )
    expect(signed.status).toBe(201)
    if (signed.status !== 201) return
    // Typed from the route's response schema: no cast.
    const { bundle, entry_id } = await signed.json()

    const verified = await client.v1.verify.$post(
      { json: { artifact, bundle } },
      { headers: { authorization: `Bearer ${VERIFIER_KEY}` } },
    )
    expect(verified.status).toBe(200)
    if (verified.status !== 200) return
    const verdict = await verified.json()
    expect(verdict.valid).toBe(true)

    const entry = await client.v1.transparency[':entry_id'].$get(
      { param: { entry_id }, query: { include_proof: 'false' } },
      { headers: { authorization: `Bearer ${VERIFIER_KEY}` } },
    )
    expect(entry.status).toBe(200)
    if (entry.status !== 200) return
    expect((await entry.json()).artifact).toBe(artifact)
  })

  it('types the request body: a wrong shape does not compile, and the server refuses it too', async () => {
    const response = await client.v1.sign.$post(
      // @ts-expect-error `subject` is required and `artifact_type` must be a string
      { json: { artifact: digestOf('x'), artifact_type: 5 } },
      { headers: { authorization: `Bearer ${SIGNER_KEY}` } },
    )
    expect(response.status).toBe(400)
  })
})
