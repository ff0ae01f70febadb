import { createPublicKey } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type KmsStandIn, startKmsStandIn } from '@certus-trust/kms-testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { digestOf } from './helpers.js'
import { exitOf, listeningUrl, run } from './main-process.js'

// CERTUS_TRUST_SIGNING_KEY=<URI> in the production entry point (node dist/main.js), with each vendor's real SDK
// finding the service and its credentials as it does in production, against a local stand-in of the service.
// awskms:// is covered in process by kms.test.ts.
describe.each(['gcpkms', 'azurekms', 'hashivault'] as const)('CERTUS_TRUST_SIGNING_KEY=%s://…', (scheme) => {
  let kms: KmsStandIn
  let cwd: string

  beforeAll(async () => {
    kms = await startKmsStandIn(scheme)
    cwd = await mkdtemp(join(tmpdir(), `certus-server-${scheme}-`))
  })
  afterAll(async () => {
    await kms?.close()
    if (cwd) await rm(cwd, { recursive: true, force: true })
  })

  const start = (key: string) =>
    run(
      {
        ...kms.env,
        CERTUS_TRUST_PORT: '0',
        CERTUS_TRUST_STORAGE: 'memory',
        CERTUS_TRUST_SIGNING_KEY: key,
      },
      cwd,
    )

  it('signs with the key in the service; its bundles verify', async () => {
    const publicKey = kms.addKey('server')
    const server = start(kms.uri('server'))
    try {
      const url = await listeningUrl(server.stdout, 60_000).catch((error: unknown) => {
        throw new Error(`server did not start: ${server.stderr()}${server.stdout()}`, { cause: error })
      })
      const signed = await fetch(`${url}/v1/sign`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ artifact: digestOf('kms'), artifact_type: 'file', subject: 'kms.txt' }),
      })
      expect(signed.status).toBe(201)
      const body = (await signed.json()) as { public_key: string; bundle: unknown }
      expect(createPublicKey(body.public_key).equals(publicKey)).toBe(true)
      const verify = (artifact: string) =>
        fetch(`${url}/v1/verify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ artifact: digestOf(artifact), bundle: body.bundle }),
        }).then((response) => response.json())
      expect(await verify('kms')).toMatchObject({ valid: true })
      expect(await verify('another')).toMatchObject({ valid: false })
      expect(kms.calls.some((call) => /sign/i.test(call))).toBe(true)
    } finally {
      server.child.kill('SIGTERM')
      await exitOf(server.child)
    }
  }, 120_000)

  it('refuses to start with a key the service does not have', async () => {
    const server = start(kms.uri('missing'))
    const code = await exitOf(server.child)
    expect(code).not.toBe(0)
    expect(server.stdout() + server.stderr()).toContain('KMS_NOT_FOUND')
  }, 120_000)
})
