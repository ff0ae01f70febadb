import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createServerDeps, loadConfig, startServer } from '../src/index.js'
import { digestOf } from './helpers.js'

function memoryConfig(dataDir: string, env: Record<string, string> = {}) {
  return loadConfig({
    CERTUS_TRUST_PORT: '0',
    CERTUS_TRUST_STORAGE: 'memory',
    CERTUS_TRUST_DATA_DIR: dataDir,
    CERTUS_TRUST_LOG_LEVEL: 'silent',
    ...env,
  })
}

describe('graceful shutdown', () => {
  it('finishes in-flight requests, refuses new connections, then closes storage', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'certus-lifecycle-'))
    try {
      const config = memoryConfig(dataDir)
      const deps = await createServerDeps(config)
      const realSign = deps.service.sign
      let entered!: () => void
      const inside = new Promise<void>((resolve) => {
        entered = resolve
      })
      // Hold the request inside the service long enough for close() to start.
      deps.service = {
        ...deps.service,
        sign: async (request, context) => {
          entered()
          await new Promise((resolve) => setTimeout(resolve, 300))
          return realSign(request, context)
        },
      }
      const server = await startServer(config, { deps })
      const inFlight = fetch(`${server.url}/v1/sign`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ artifact: digestOf('in flight'), artifact_type: 'file', subject: 'f' }),
      })
      await inside
      const closed = server.close()
      const response = await inFlight
      expect(response.status).toBe(201)
      await closed
      await expect(fetch(`${server.url}/v1/health`)).rejects.toThrow()
      await expect(deps.storage.listSignedArtifacts()).rejects.toMatchObject({ code: 'STORAGE_CLOSED' })
      // close() is idempotent.
      await server.close()
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('TLS', () => {
  it('serves HTTPS with the configured certificate and key', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'certus-tls-'))
    try {
      const keyFile = join(dataDir, 'tls-key.pem')
      const certFile = join(dataDir, 'tls-cert.pem')
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          keyFile,
          '-out',
          certFile,
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'ignore' },
      )
      const server = await startServer(
        memoryConfig(dataDir, { CERTUS_TRUST_TLS_CERT: certFile, CERTUS_TRUST_TLS_KEY: keyFile }),
      )
      try {
        expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
        const ca = await readFile(certFile)
        const { body, headers } = await new Promise<{ body: string; headers: Record<string, unknown> }>(
          (resolve, reject) => {
            const request = httpsRequest(`${server.url}/v1/health`, { ca }, (response) => {
              let text = ''
              response.on('data', (chunk) => (text += chunk))
              response.on('end', () => resolve({ body: text, headers: response.headers }))
            })
            request.on('error', reject)
            request.end()
          },
        )
        expect(JSON.parse(body)).toEqual({ status: 'ok' })
        // HSTS only where it means something: over TLS.
        expect(headers['strict-transport-security']).toMatch(/^max-age=\d+/)
        expect(headers['cache-control']).toBe('no-store')
      } finally {
        await server.close()
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('start-up failures', () => {
  it('reports a port in use as SERVER_UNAVAILABLE and releases what it opened', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'certus-port-'))
    const first = await startServer(memoryConfig(dataDir))
    try {
      const port = new URL(first.url).port
      const secondDir = await mkdtemp(join(tmpdir(), 'certus-port-'))
      try {
        await expect(
          startServer(
            loadConfig({
              CERTUS_TRUST_PORT: port,
              CERTUS_TRUST_DATA_DIR: secondDir,
              CERTUS_TRUST_LOG_LEVEL: 'silent',
            }),
          ),
        ).rejects.toMatchObject({ code: 'SERVER_UNAVAILABLE' })
        // No lock is left behind by the failed start.
        const { existsSync } = await import('node:fs')
        expect(existsSync(join(secondDir, 'lock'))).toBe(false)
      } finally {
        await rm(secondDir, { recursive: true, force: true })
      }
    } finally {
      await first.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  }, 60_000)
})
