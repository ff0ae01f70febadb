import { CertusError } from '@certus-trust/core'
import { KmsError } from '@certus-trust/kms'
import { RekorError } from '@certus-trust/log-protocol'
import { ServiceError, type TrustService } from '@certus-trust/service'
import { SignerError } from '@certus-trust/signer'
import { StorageError } from '@certus-trust/storage'
import { TlogError } from '@certus-trust/tlog'
import { VerifierError } from '@certus-trust/verifier'
import { describe, expect, it } from 'vitest'
import { createApp } from './app.js'
import { loadConfig } from './config.js'
import { ServerError } from './errors.js'
import { createMetrics } from './metrics.js'
import { hashApiKey } from './middleware/auth.js'

/*
 * HTTP-layer tests: routing, validation, auth, limits, error bodies. The trust operations are replaced by a
 * small in-test service that records calls, so these tests isolate the HTTP contract; the real service runs
 * in test/e2e.test.ts.
 */

const DIGEST = `sha256:${'ab'.repeat(32)}`
const UUID = 'cd'.repeat(32)
const LOOPBACK = { incoming: { socket: { remoteAddress: '127.0.0.1' } } }
const REMOTE = { incoming: { socket: { remoteAddress: '203.0.113.9' } } }

function recordingService(): TrustService & { calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    async sign(request, context) {
      calls.push(`sign ${request.artifact} ${context.caller}`)
      return {
        entry_id: UUID,
        signature: 'c2ln',
        public_key: '-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n',
        transparency_entry: { uuid: UUID, index: 0, timestamp: new Date(0).toISOString() },
        bundle: { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' },
      }
    },
    async verify(request) {
      calls.push(`verify ${request.artifact}`)
      return {
        valid: true,
        verified_at: new Date(0).toISOString(),
        signer: 'sha256:00',
        transparency_index: 0,
      }
    },
    async getEntry(entryId) {
      calls.push(`get ${entryId}`)
      if (entryId !== UUID)
        throw new ServerError({ code: 'SERVER_NOT_FOUND', message: 'no transparency entry with that id' })
      return {
        entry_id: UUID,
        uuid: UUID,
        artifact: DIGEST,
        timestamp: new Date(0).toISOString(),
        signer: null,
        signature: null,
        log_index: 0,
        kind: 'hashedrekord',
        body: 'e30=',
      }
    },
    async listEntries(artifact, page) {
      calls.push(`list ${artifact} ${page.limit}`)
      return { entries: [] }
    },
    async checkReady() {
      return { storage: { ok: true } }
    },
  }
}

const SIGNER_KEY = 'signer-key-0123456789'
const VERIFIER_KEY = 'verifier-key-0123456789'
const ADMIN_KEY = 'admin-key-0123456789'

function appWith(env: Record<string, string> = {}, service = recordingService()) {
  const config = loadConfig(
    {
      CERTUS_TRUST_API_KEYS: [
        `ci:signer:${hashApiKey(SIGNER_KEY)}`,
        `auditor:verifier:${hashApiKey(VERIFIER_KEY)}`,
        `ops:admin:${hashApiKey(ADMIN_KEY)}`,
      ].join(','),
      CERTUS_TRUST_STORAGE: 'memory',
      ...env,
    },
    { cwd: '/tmp' },
  )
  const app = createApp({
    service,
    auth: config.auth,
    rateLimit: config.rateLimit,
    bodyLimitBytes: config.bodyLimitBytes,
    corsOrigins: config.corsOrigins,
    metrics: createMetrics({ defaultMetrics: false }),
  })
  return { app, service }
}

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return new Request(`http://localhost${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` })

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toMatch(/application\/json/)
  const body = (await response.json()) as { error: { code: string; message: string } }
  expect(body.error.code).toBe(code)
  expect(typeof body.error.message).toBe('string')
  expect(JSON.stringify(body)).not.toMatch(/\bat .+\.(ts|js):\d+/)
  return body
}

const signBody = { artifact: DIGEST, artifact_type: 'sbom', subject: 'app.spdx.json' }

describe('POST /v1/sign', () => {
  it('signs with the signer role', async () => {
    const { app, service } = appWith()
    const response = await app.request(post('/v1/sign', signBody, bearer(SIGNER_KEY)))
    expect(response.status).toBe(201)
    expect(((await response.json()) as { entry_id: string }).entry_id).toBe(UUID)
    expect(service.calls).toEqual([`sign ${DIGEST} key:ci`])
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it.each([
    ['malformed JSON', '{"artifact": ', 'SERVER_INVALID_JSON'],
    ['wrong types', { ...signBody, subject: 42 }, 'SERVER_BAD_REQUEST'],
    ['a bad digest', { ...signBody, artifact: 'sha256:xyz' }, 'SERVER_BAD_REQUEST'],
    ['a missing field', { artifact: DIGEST, subject: 'x' }, 'SERVER_BAD_REQUEST'],
    ['an unknown field', { ...signBody, extra: true }, 'SERVER_BAD_REQUEST'],
    [
      'two predicates',
      {
        ...signBody,
        predicates: [
          { type: 'a', predicate: {} },
          { type: 'b', predicate: {} },
        ],
      },
      'SERVER_BAD_REQUEST',
    ],
    ['a bad idempotency key', { ...signBody, idempotency_key: 'x' }, 'SERVER_BAD_REQUEST'],
    ['an array body', [signBody], 'SERVER_BAD_REQUEST'],
  ])('rejects %s with 400', async (_name, body, code) => {
    const { app, service } = appWith()
    await expectError(await app.request(post('/v1/sign', body, bearer(SIGNER_KEY))), 400, code)
    expect(service.calls).toEqual([])
  })

  it('names the offending field', async () => {
    const { app } = appWith()
    const body = await expectError(
      await app.request(post('/v1/sign', { ...signBody, artifact: 'md5:00' }, bearer(SIGNER_KEY))),
      400,
      'SERVER_BAD_REQUEST',
    )
    expect(body.error.message).toContain('artifact')
  })

  it('rejects a non-JSON content type with 400 (invalid input)', async () => {
    const { app } = appWith()
    const request = new Request('http://localhost/v1/sign', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', ...bearer(SIGNER_KEY) },
      body: JSON.stringify(signBody),
    })
    await expectError(await app.request(request), 400, 'SERVER_UNSUPPORTED_MEDIA_TYPE')
  })

  it('rejects an oversized body with 413 before parsing it', async () => {
    const { app, service } = appWith({ CERTUS_TRUST_BODY_LIMIT: '1024' })
    const big = { ...signBody, subject: 'x'.repeat(2000) }
    await expectError(
      await app.request(post('/v1/sign', big, bearer(SIGNER_KEY))),
      413,
      'SERVER_PAYLOAD_TOO_LARGE',
    )
    expect(service.calls).toEqual([])
  })

  it('requires credentials from non-loopback clients and the signer role', async () => {
    const { app, service } = appWith()
    await expectError(
      await app.request(post('/v1/sign', signBody), undefined, REMOTE),
      401,
      'SERVER_UNAUTHORIZED',
    )
    await expectError(
      await app.request(post('/v1/sign', signBody, bearer('wrong-key-0123'))),
      401,
      'SERVER_UNAUTHORIZED',
    )
    await expectError(
      await app.request(post('/v1/sign', signBody, bearer(VERIFIER_KEY))),
      403,
      'SERVER_FORBIDDEN',
    )
    await expectError(
      await app.request(post('/v1/sign', signBody, { authorization: `Basic ${btoa('a:b')}` })),
      401,
      'SERVER_UNAUTHORIZED',
    )
    const admin = await app.request(post('/v1/sign', signBody, { 'x-api-key': ADMIN_KEY }))
    expect(admin.status).toBe(201)
    expect(service.calls).toEqual([`sign ${DIGEST} key:ops`])
  })

  it('takes the Idempotency-Key header', async () => {
    const seen: Array<string | undefined> = []
    const service = recordingService()
    const original = service.sign
    service.sign = async (request, context) => {
      seen.push(request.idempotency_key)
      return original(request, context)
    }
    const { app } = appWith({}, service)
    await app.request(post('/v1/sign', signBody, { ...bearer(SIGNER_KEY), 'idempotency-key': 'build-1234' }))
    expect(seen).toEqual(['build-1234'])
  })
})

describe('anonymous access', () => {
  it('serves loopback clients only when no credentials are configured', async () => {
    const config = loadConfig({ CERTUS_TRUST_STORAGE: 'memory' }, { cwd: '/tmp' })
    const service = recordingService()
    const app = createApp({ service, auth: config.auth })
    expect((await app.request(post('/v1/sign', signBody), undefined, LOOPBACK)).status).toBe(201)
    await expectError(
      await app.request(post('/v1/sign', signBody), undefined, REMOTE),
      401,
      'SERVER_UNAUTHORIZED',
    )
    // No socket at all (unknown address) is not loopback.
    await expectError(await app.request(post('/v1/sign', signBody)), 401, 'SERVER_UNAUTHORIZED')
  })

  it('ignores X-Forwarded-For', async () => {
    const config = loadConfig({ CERTUS_TRUST_STORAGE: 'memory' }, { cwd: '/tmp' })
    const app = createApp({ service: recordingService(), auth: config.auth })
    const response = await app.request(
      post('/v1/sign', signBody, { 'x-forwarded-for': '127.0.0.1' }),
      undefined,
      REMOTE,
    )
    await expectError(response, 401, 'SERVER_UNAUTHORIZED')
  })
})

describe('POST /v1/verify', () => {
  it('verifies with the verifier role', async () => {
    const { app, service } = appWith()
    const response = await app.request(
      post('/v1/verify', { artifact: DIGEST, bundle: {} }, bearer(VERIFIER_KEY)),
    )
    expect(response.status).toBe(200)
    expect(((await response.json()) as { valid: boolean }).valid).toBe(true)
    expect(service.calls).toEqual([`verify ${DIGEST}`])
  })

  it.each([
    ['malformed JSON', '[', 'SERVER_INVALID_JSON'],
    ['wrong types', { artifact: DIGEST, bundle: 'x' }, 'SERVER_BAD_REQUEST'],
    ['a bad digest', { artifact: `sha256:${'g'.repeat(64)}`, bundle: {} }, 'SERVER_BAD_REQUEST'],
    ['neither bundle nor signature', { artifact: DIGEST }, 'SERVER_BAD_REQUEST'],
    ['a non-base64 signature', { artifact: DIGEST, signature: 'not base64!' }, 'SERVER_BAD_REQUEST'],
    [
      'certificate and key together',
      {
        artifact: DIGEST,
        signature: 'AAAA',
        certificate: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----',
        public_key: '-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----',
      },
      'SERVER_BAD_REQUEST',
    ],
    ['a bad policy', { artifact: DIGEST, bundle: {}, policy: { identity: 5 } }, 'SERVER_BAD_REQUEST'],
    [
      'a ReDoS-prone identity pattern',
      { artifact: DIGEST, bundle: {}, policy: { certificate_identity_regexp: '(a+)+$' } },
      'SERVER_BAD_REQUEST',
    ],
    [
      'an invalid identity pattern',
      { artifact: DIGEST, bundle: {}, policy: { certificate_identity_regexp: '[' } },
      'SERVER_BAD_REQUEST',
    ],
  ])('rejects %s with 400', async (_name, body, code) => {
    const { app, service } = appWith()
    await expectError(await app.request(post('/v1/verify', body, bearer(VERIFIER_KEY))), 400, code)
    expect(service.calls).toEqual([])
  })

  it('names the offending field of the variant that was meant', async () => {
    const { app } = appWith()
    const body = await expectError(
      await app.request(post('/v1/verify', { artifact: 'sha1:00', bundle: {} }, bearer(VERIFIER_KEY))),
      400,
      'SERVER_BAD_REQUEST',
    )
    expect(body.error.message).toContain('artifact: expected sha256')
  })

  it('needs the verifier role and limits the body', async () => {
    const { app } = appWith({ CERTUS_TRUST_BODY_LIMIT: '2048' })
    await expectError(
      await app.request(post('/v1/verify', { artifact: DIGEST, bundle: {} }, bearer(SIGNER_KEY))),
      403,
      'SERVER_FORBIDDEN',
    )
    await expectError(
      await app.request(post('/v1/verify', { artifact: DIGEST, bundle: {} }), undefined, REMOTE),
      401,
      'SERVER_UNAUTHORIZED',
    )
    const big = { artifact: DIGEST, bundle: { pad: 'x'.repeat(4096) } }
    await expectError(
      await app.request(post('/v1/verify', big, bearer(VERIFIER_KEY))),
      413,
      'SERVER_PAYLOAD_TOO_LARGE',
    )
  })
})

describe('GET /v1/transparency', () => {
  it('returns an entry and 404 for an unknown id', async () => {
    const { app } = appWith()
    const ok = await app.request(`/v1/transparency/${UUID}?include_proof=true`, {
      headers: bearer(VERIFIER_KEY),
    })
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { uuid: string }).uuid).toBe(UUID)
    await expectError(
      await app.request(`/v1/transparency/${'ef'.repeat(32)}`, { headers: bearer(VERIFIER_KEY) }),
      404,
      'SERVER_NOT_FOUND',
    )
  })

  it.each([
    [`/v1/transparency/xyz`, 'a non-hex id'],
    [`/v1/transparency/${'a'.repeat(63)}`, 'a short id'],
    [`/v1/transparency/${UUID}?include_proof=maybe`, 'a bad include_proof'],
    [`/v1/transparency/${UUID}?other=1`, 'an unknown query parameter'],
    [`/v1/transparency?artifact=sha256:00`, 'a bad digest'],
    [`/v1/transparency`, 'a missing artifact'],
    [`/v1/transparency?artifact=${DIGEST}&limit=0`, 'a zero limit'],
    [`/v1/transparency?artifact=${DIGEST}&limit=ten`, 'a non-numeric limit'],
  ])('rejects %s (%s) with 400', async (path) => {
    const { app } = appWith()
    await expectError(await app.request(path, { headers: bearer(VERIFIER_KEY) }), 400, 'SERVER_BAD_REQUEST')
  })

  it('lists entries for an artifact and needs credentials unless reads are public', async () => {
    const { app, service } = appWith()
    const listed = await app.request(
      `/v1/transparency?artifact=${DIGEST.toUpperCase().replace('SHA256', 'sha256')}&limit=5`,
      {
        headers: bearer(VERIFIER_KEY),
      },
    )
    expect(listed.status).toBe(200)
    expect(service.calls).toEqual([`list ${DIGEST} 5`])
    await expectError(
      await app.request(`/v1/transparency/${UUID}`, undefined, REMOTE),
      401,
      'SERVER_UNAUTHORIZED',
    )
    await expectError(
      await app.request(`/v1/transparency/${UUID}`, { headers: bearer('nope-nope-nope') }),
      401,
      'SERVER_UNAUTHORIZED',
    )
    const open = appWith({ CERTUS_TRUST_PUBLIC_READS: 'true' }).app
    expect((await open.request(`/v1/transparency/${UUID}`, undefined, REMOTE)).status).toBe(200)
  })
})

describe('rate limiting', () => {
  it('answers 429 with Retry-After per key, and counts failed credentials per address', async () => {
    const { app } = appWith({ CERTUS_TRUST_RATE_LIMIT: '3', CERTUS_TRUST_RATE_LIMIT_WINDOW_MS: '60000' })
    const statuses: number[] = []
    for (let i = 0; i < 4; i += 1) {
      statuses.push((await app.request(`/v1/transparency/${UUID}`, { headers: bearer(VERIFIER_KEY) })).status)
    }
    expect(statuses).toEqual([200, 200, 200, 429])
    const limited = await app.request(`/v1/transparency/${UUID}`, { headers: bearer(VERIFIER_KEY) })
    const body = await expectError(limited, 429, 'SERVER_RATE_LIMITED')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(body.error.message).toContain('rate limit')
    // Another key has its own budget.
    expect((await app.request(post('/v1/sign', signBody, bearer(SIGNER_KEY)))).status).toBe(201)
    // Wrong keys are limited by address, so guessing is bounded.
    const guesses: number[] = []
    for (let i = 0; i < 4; i += 1) {
      guesses.push(
        (await app.request(`/v1/transparency/${UUID}`, { headers: bearer(`guess-${i}-0123456`) }, REMOTE))
          .status,
      )
    }
    expect(guesses).toEqual([401, 401, 401, 429])
  })

  it('leaves health and readiness unlimited', async () => {
    const { app } = appWith({ CERTUS_TRUST_RATE_LIMIT: '1' })
    for (let i = 0; i < 3; i += 1) expect((await app.request('/v1/health')).status).toBe(200)
  })
})

describe('operations endpoints', () => {
  it('reports health and readiness', async () => {
    const { app } = appWith()
    expect(await (await app.request('/v1/health')).json()).toEqual({ status: 'ok' })
    const ready = await app.request('/v1/ready')
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready', checks: { storage: { ok: true } } })
  })

  it('fails readiness when a check fails or the server drains', async () => {
    const service = recordingService()
    service.checkReady = async () => ({ storage: { ok: false, message: 'database unreachable' } })
    const config = loadConfig({ CERTUS_TRUST_STORAGE: 'memory' }, { cwd: '/tmp' })
    const app = createApp({ service, auth: config.auth })
    expect((await app.request('/v1/ready')).status).toBe(503)
    const draining = createApp({ service: recordingService(), auth: config.auth, isDraining: () => true })
    const response = await draining.request('/v1/ready')
    expect(response.status).toBe(503)
    expect(((await response.json()) as { checks: Record<string, unknown> }).checks.shutdown).toBeDefined()
  })

  it('serves metrics to admins only', async () => {
    const { app } = appWith()
    await app.request(post('/v1/sign', signBody, bearer(SIGNER_KEY)))
    await expectError(
      await app.request('/metrics', { headers: bearer(VERIFIER_KEY) }),
      403,
      'SERVER_FORBIDDEN',
    )
    const metrics = await app.request('/metrics', { headers: bearer(ADMIN_KEY) })
    expect(metrics.status).toBe(200)
    const text = await metrics.text()
    expect(text).toContain('certus_trust_signing_total{status="success",artifact_type="sbom"} 1')
    expect(text).toContain('certus_trust_signing_duration_seconds_bucket')
    expect(text).toContain('certus_trust_verification_total')
    expect(text).toContain('certus_trust_http_requests_total{method="POST",route="/v1/sign",status="201"} 1')
  })

  it('generates OpenAPI from the request schemas', async () => {
    const { app } = appWith()
    const response = await app.request('/openapi.json')
    expect(response.status).toBe(200)
    const document = (await response.json()) as {
      openapi: string
      paths: Record<string, unknown>
      components: {
        schemas: Record<string, { properties?: Record<string, { pattern?: string }>; required?: string[] }>
      }
    }
    expect(document.openapi).toBe('3.1.0')
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/sign', '/v1/verify', '/v1/transparency', '/v1/transparency/{entry_id}']),
    )
    const sign = document.components.schemas.SignRequest!
    expect(sign.required).toEqual(expect.arrayContaining(['artifact', 'artifact_type', 'subject']))
    expect(sign.properties?.artifact?.pattern).toBe('^sha256:[0-9a-fA-F]{64}$')
  })

  it('serves a docs page and JSON 404s for unknown routes', async () => {
    const { app } = appWith()
    const docs = await app.request('/docs')
    expect(docs.status).toBe(200)
    expect(await docs.text()).toContain('POST /v1/sign')
    await expectError(
      await app.request('/v2/nothing', { headers: bearer(ADMIN_KEY) }),
      404,
      'SERVER_NOT_FOUND',
    )
  })

  it('keeps CORS off unless configured', async () => {
    const preflight = {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    }
    const off = await appWith().app.request('/v1/verify', preflight)
    expect(off.headers.get('access-control-allow-origin')).toBeNull()
    const on = await appWith({ CERTUS_TRUST_CORS_ORIGINS: 'https://app.example' }).app.request(
      '/v1/verify',
      preflight,
    )
    expect(on.headers.get('access-control-allow-origin')).toBe('https://app.example')
  })
})

describe('error mapping', () => {
  it('turns an unexpected error into a 500 without its message or stack', async () => {
    const service = recordingService()
    service.verify = async () => {
      throw new Error('secret connection string postgres://user:pw@db')
    }
    const { app } = appWith({}, service)
    const response = await app.request(
      post('/v1/verify', { artifact: DIGEST, bundle: {} }, bearer(VERIFIER_KEY)),
    )
    const body = await expectError(response, 500, 'SERVER_INTERNAL')
    expect(JSON.stringify(body)).not.toContain('postgres://')
  })

  it.each([
    ['STORAGE_UNAVAILABLE', () => new StorageError({ code: 'STORAGE_UNAVAILABLE', message: 'down' }), 503],
    ['REKOR_TIMEOUT', () => new RekorError({ code: 'REKOR_TIMEOUT', message: 'slow' }), 503],
    ['REKOR_SERVER_ERROR', () => new RekorError({ code: 'REKOR_SERVER_ERROR', message: 'broken' }), 502],
    ['REKOR_INVALID_INPUT', () => new RekorError({ code: 'REKOR_INVALID_INPUT', message: 'bad' }), 400],
    [
      'SIGNER_WITNESS_UNREACHABLE',
      () => new SignerError({ code: 'SIGNER_WITNESS_UNREACHABLE', message: 'down' }),
      503,
    ],
    [
      'SIGNER_WITNESS_FAILED',
      () => new SignerError({ code: 'SIGNER_WITNESS_FAILED', message: 'refused' }),
      502,
    ],
    [
      'SIGNER_DIGEST_ONLY_UNSUPPORTED',
      () => new SignerError({ code: 'SIGNER_DIGEST_ONLY_UNSUPPORTED', message: 'ed25519' }),
      501,
    ],
    [
      'VERIFIER_MALFORMED_BUNDLE',
      () => new VerifierError({ code: 'VERIFIER_MALFORMED_BUNDLE', message: 'not a bundle' }),
      422,
    ],
    ['STORAGE_CONFLICT', () => new StorageError({ code: 'STORAGE_CONFLICT', message: 'duplicate' }), 409],
    ['TLOG_ENTRY_INVALID', () => new TlogError({ code: 'TLOG_ENTRY_INVALID', message: 'bad entry' }), 400],
    [
      'SERVICE_FEATURE_DISABLED',
      () => new ServiceError({ code: 'SERVICE_FEATURE_DISABLED', message: 'off' }),
      501,
    ],
    ['ANY_CODE', () => new CertusError({ code: 'ANY_CODE', message: 'bare', category: 'forbidden' }), 403],
  ] as const)('maps %s to %i by its category, keeping code and message', async (_code, create, status) => {
    const error = create()
    const service = recordingService()
    service.sign = async () => {
      throw error
    }
    const { app } = appWith({}, service)
    const body = await expectError(
      await app.request(post('/v1/sign', signBody, bearer(SIGNER_KEY))),
      status,
      error.code,
    )
    expect(body.error.message).toBe(error.message)
  })

  it('hides the message of an internal (500) Certus error', async () => {
    const service = recordingService()
    service.sign = async () => {
      throw new TlogError({ code: 'TLOG_INCONSISTENT', message: 'node 7 does not recompute' })
    }
    const { app } = appWith({}, service)
    const body = await expectError(
      await app.request(post('/v1/sign', signBody, bearer(SIGNER_KEY))),
      500,
      'TLOG_INCONSISTENT',
    )
    expect(JSON.stringify(body)).not.toContain('node 7')
  })

  it('maps a signing failure by its KMS cause: unavailable 503, other KMS failures 502', async () => {
    for (const [kmsCode, status] of [
      ['KMS_UNREACHABLE', 503],
      ['KMS_TIMEOUT', 503],
      ['KMS_PERMISSION_DENIED', 502],
    ] as const) {
      const service = recordingService()
      service.sign = async () => {
        throw new SignerError({
          code: 'SIGNER_SIGNING_FAILED',
          message: 'the key provider failed',
          cause: new KmsError({ code: kmsCode, message: kmsCode }),
        })
      }
      const { app } = appWith({}, service)
      await expectError(
        await app.request(post('/v1/sign', signBody, bearer(SIGNER_KEY))),
        status,
        'SIGNER_SIGNING_FAILED',
      )
    }
  })
})

describe('JWT bearer tokens', () => {
  const secret = 'a-very-long-shared-secret-for-hs256-tests'
  async function token(
    claims: Record<string, unknown>,
    options: { secret?: string; expiresIn?: string } = {},
  ) {
    const { SignJWT } = await import('jose')
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('build-bot')
      .setIssuer('https://issuer.example')
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(new TextEncoder().encode(options.secret ?? secret))
  }
  const jwtApp = () =>
    appWith({
      CERTUS_TRUST_API_KEYS: '',
      CERTUS_TRUST_JWT_SECRET: secret,
      CERTUS_TRUST_JWT_ISSUER: 'https://issuer.example',
    })

  it('accepts a valid token and takes roles from its claim', async () => {
    const { app, service } = jwtApp()
    const response = await app.request(post('/v1/sign', signBody, bearer(await token({ roles: ['signer'] }))))
    expect(response.status).toBe(201)
    expect(service.calls).toEqual([`sign ${DIGEST} jwt:build-bot`])
    const spaced = await app.request(
      post('/v1/verify', { artifact: DIGEST, bundle: {} }, bearer(await token({ roles: 'verifier admin' }))),
    )
    expect(spaced.status).toBe(200)
  })

  it('requires exp, or an iat within CERTUS_TRUST_JWT_MAX_AGE_SECONDS when that is set', async () => {
    const { SignJWT } = await import('jose')
    const unsigned = (issuedAt?: number) => {
      const jwt = new SignJWT({ roles: ['signer'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('build-bot')
        .setIssuer('https://issuer.example')
      return (issuedAt === undefined ? jwt : jwt.setIssuedAt(issuedAt)).sign(new TextEncoder().encode(secret))
    }
    const now = Math.floor(Date.now() / 1000)
    // No exp: such a token would be valid forever.
    await expectError(
      await jwtApp().app.request(post('/v1/sign', signBody, bearer(await unsigned(now)))),
      401,
      'SERVER_UNAUTHORIZED',
    )
    const bounded = appWith({
      CERTUS_TRUST_API_KEYS: '',
      CERTUS_TRUST_JWT_SECRET: secret,
      CERTUS_TRUST_JWT_ISSUER: 'https://issuer.example',
      CERTUS_TRUST_JWT_MAX_AGE_SECONDS: '600',
    })
    expect(
      (await bounded.app.request(post('/v1/sign', signBody, bearer(await unsigned(now - 60))))).status,
    ).toBe(201)
    for (const stale of [await unsigned(now - 3600), await unsigned()]) {
      await expectError(
        await bounded.app.request(post('/v1/sign', signBody, bearer(stale))),
        401,
        'SERVER_UNAUTHORIZED',
      )
    }
  })

  it('rejects expired, forged and wrong-issuer tokens with 401, and a token without the role with 403', async () => {
    const { app, service } = jwtApp()
    await expectError(
      await app.request(
        post('/v1/sign', signBody, bearer(await token({ roles: ['signer'] }, { expiresIn: '-1m' }))),
      ),
      401,
      'SERVER_UNAUTHORIZED',
    )
    await expectError(
      await app.request(
        post(
          '/v1/sign',
          signBody,
          bearer(await token({ roles: ['signer'] }, { secret: `${secret}-forged` })),
        ),
      ),
      401,
      'SERVER_UNAUTHORIZED',
    )
    const { SignJWT } = await import('jose')
    const otherIssuer = await new SignJWT({ roles: ['signer'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://elsewhere.example')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret))
    await expectError(
      await app.request(post('/v1/sign', signBody, bearer(otherIssuer))),
      401,
      'SERVER_UNAUTHORIZED',
    )
    await expectError(
      await app.request(post('/v1/sign', signBody, bearer(await token({ roles: ['verifier'] })))),
      403,
      'SERVER_FORBIDDEN',
    )
    // alg "none" is never accepted.
    const unsigned = `${btoa(JSON.stringify({ alg: 'none' })).replace(/=+$/, '')}.${btoa(JSON.stringify({ roles: ['admin'], iss: 'https://issuer.example' })).replace(/=+$/, '')}.`
    await expectError(
      await app.request(post('/v1/sign', signBody, bearer(unsigned))),
      401,
      'SERVER_UNAUTHORIZED',
    )
    expect(service.calls).toEqual([])
  })
})

describe('Rekor v1 API mount', () => {
  async function rekorApp(env: Record<string, string> = {}) {
    const { createMemoryStorage } = await import('@certus-trust/storage')
    const { createRekorApi, createTransparencyLog } = await import('@certus-trust/tlog')
    const log = await createTransparencyLog({ storage: createMemoryStorage() })
    const config = loadConfig(
      {
        CERTUS_TRUST_API_KEYS: [
          `ci:signer:${hashApiKey(SIGNER_KEY)}`,
          `auditor:verifier:${hashApiKey(VERIFIER_KEY)}`,
        ].join(','),
        CERTUS_TRUST_STORAGE: 'memory',
        CERTUS_TRUST_BODY_LIMIT: '4096',
        CERTUS_TRUST_RATE_LIMIT: '5',
        ...env,
      },
      { cwd: '/tmp' },
    )
    const app = createApp({
      service: recordingService(),
      rekorApi: createRekorApi(log),
      auth: config.auth,
      rateLimit: config.rateLimit,
      bodyLimitBytes: config.bodyLimitBytes,
    })
    return { app, log }
  }

  it('guards reads and writes by role', async () => {
    const { app } = await rekorApp()
    await expectError(await app.request('/api/v1/log', undefined, REMOTE), 401, 'SERVER_UNAUTHORIZED')
    await expectError(
      await app.request('/api/v1/log', { headers: bearer('not-a-key-123') }),
      401,
      'SERVER_UNAUTHORIZED',
    )
    const info = await app.request('/api/v1/log', { headers: bearer(VERIFIER_KEY) })
    expect(info.status).toBe(200)
    expect(((await info.json()) as { treeSize: number }).treeSize).toBe(0)
    await expectError(
      await app.request(post('/api/v1/log/entries', {}, bearer(VERIFIER_KEY))),
      403,
      'SERVER_FORBIDDEN',
    )
    const open = (await rekorApp({ CERTUS_TRUST_PUBLIC_READS: 'true' })).app
    expect((await open.request('/api/v1/log', undefined, REMOTE)).status).toBe(200)
    await expectError(
      await open.request(post('/api/v1/log/entries', {}), undefined, REMOTE),
      401,
      'SERVER_UNAUTHORIZED',
    )
  })

  it('guards the Rekor v2 API like v1: entries need the signer role, tiles the verifier role', async () => {
    const { createMemoryStorage } = await import('@certus-trust/storage')
    const { createRekorV2Api, createTransparencyLog } = await import('@certus-trust/tlog')
    const v2 = await createTransparencyLog({ storage: createMemoryStorage(), apiVersion: 2 })
    const config = loadConfig(
      {
        CERTUS_TRUST_API_KEYS: [
          `ci:signer:${hashApiKey(SIGNER_KEY)}`,
          `auditor:verifier:${hashApiKey(VERIFIER_KEY)}`,
        ].join(','),
        CERTUS_TRUST_STORAGE: 'memory',
      },
      { cwd: '/tmp' },
    )
    const app = createApp({ service: recordingService(), rekorApi: createRekorV2Api(v2), auth: config.auth })
    await expectError(await app.request('/api/v2/checkpoint', undefined, REMOTE), 401, 'SERVER_UNAUTHORIZED')
    const checkpoint = await app.request('/api/v2/checkpoint', { headers: bearer(VERIFIER_KEY) })
    expect(checkpoint.status).toBe(200)
    expect((await checkpoint.text()).split('\n')[1]).toBe('0')
    await expectError(
      await app.request(post('/api/v2/log/entries', {}, bearer(VERIFIER_KEY))),
      403,
      'SERVER_FORBIDDEN',
    )
    // A signer gets through to the log, which refuses the empty request itself (grpc-gateway body, 400).
    const empty = await app.request(post('/api/v2/log/entries', {}, bearer(SIGNER_KEY)))
    expect(empty.status).toBe(400)
    expect(((await empty.json()) as { code: number }).code).toBe(3)
    await v2.close()
  })

  it('answers malformed, oversized and unknown requests with 4xx JSON, and rate-limits', async () => {
    const { app } = await rekorApp()
    const malformed = await app.request(post('/api/v1/log/entries', '{"kind":', bearer(SIGNER_KEY)))
    expect(malformed.status).toBe(400)
    expect(((await malformed.json()) as { message: string }).message).toEqual(expect.any(String))
    const oversized = await app.request(
      post('/api/v1/log/entries', { pad: 'x'.repeat(5000) }, bearer(SIGNER_KEY)),
    )
    await expectError(oversized, 413, 'SERVER_PAYLOAD_TOO_LARGE')
    const unknown = await app.request(`/api/v1/log/entries/${'ab'.repeat(32)}`, {
      headers: bearer(VERIFIER_KEY),
    })
    expect(unknown.status).toBe(404)
    const statuses: number[] = []
    for (let i = 0; i < 4; i += 1)
      statuses.push((await app.request('/api/v1/log', { headers: bearer(VERIFIER_KEY) })).status)
    expect(statuses).toEqual([200, 200, 200, 200])
    const limited = await app.request('/api/v1/log', { headers: bearer(VERIFIER_KEY) })
    await expectError(limited, 429, 'SERVER_RATE_LIMITED')
    expect(limited.headers.get('retry-after')).not.toBeNull()
  })
})

describe('request and audit logs', () => {
  it('log request id, caller, artifact and result, never credentials or bodies', async () => {
    const lines: Array<Record<string, unknown>> = []
    const capture = (fields: Record<string, unknown>, message: string) =>
      lines.push({ ...fields, msg: message })
    const config = loadConfig(
      { CERTUS_TRUST_API_KEYS: `ci:signer:${hashApiKey(SIGNER_KEY)}`, CERTUS_TRUST_STORAGE: 'memory' },
      { cwd: '/tmp' },
    )
    const app = createApp({
      service: recordingService(),
      auth: config.auth,
      logger: { debug: capture, info: capture, warn: capture, error: capture },
    })
    const response = await app.request(
      post(
        '/v1/sign',
        { ...signBody, subject: 'very-private-subject' },
        { ...bearer(SIGNER_KEY), 'x-request-id': 'req-123' },
      ),
    )
    expect(response.status).toBe(201)
    expect(response.headers.get('x-request-id')).toBe('req-123')
    const auditLine = lines.find((line) => line.audit === true)
    expect(auditLine).toMatchObject({
      action: 'sign',
      requestId: 'req-123',
      caller: 'key:ci',
      artifact: DIGEST,
      result: 'success',
      entryId: UUID,
    })
    expect(typeof auditLine?.durationMs).toBe('number')
    expect(lines.find((line) => line.msg === 'request')).toMatchObject({
      requestId: 'req-123',
      status: 201,
      caller: 'key:ci',
    })
    const text = JSON.stringify(lines)
    expect(text).not.toContain(SIGNER_KEY)
    expect(text).not.toContain('very-private-subject')
  })
})

describe('JWT with a public key file', () => {
  it('verifies ES256 tokens with the configured key and refuses a missing file at start-up', async () => {
    const { exportSPKI, generateKeyPair, SignJWT } = await import('jose')
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dir = await mkdtemp(join(tmpdir(), 'certus-jwt-'))
    try {
      const { privateKey, publicKey } = await generateKeyPair('ES256')
      const keyFile = join(dir, 'jwt.pub')
      await writeFile(keyFile, await exportSPKI(publicKey))
      const config = loadConfig(
        { CERTUS_TRUST_JWT_PUBLIC_KEY_FILE: keyFile, CERTUS_TRUST_STORAGE: 'memory' },
        { cwd: dir },
      )
      const service = recordingService()
      const app = createApp({ service, auth: config.auth })
      const token = await new SignJWT({ roles: ['signer'] })
        .setProtectedHeader({ alg: 'ES256' })
        .setSubject('ci')
        .setExpirationTime('5m')
        .sign(privateKey)
      expect((await app.request(post('/v1/sign', signBody, bearer(token)))).status).toBe(201)
      const other = await generateKeyPair('ES256')
      const forged = await new SignJWT({ roles: ['signer'] })
        .setProtectedHeader({ alg: 'ES256' })
        .setExpirationTime('5m')
        .sign(other.privateKey)
      await expectError(
        await app.request(post('/v1/sign', signBody, bearer(forged))),
        401,
        'SERVER_UNAUTHORIZED',
      )

      const missing = loadConfig(
        { CERTUS_TRUST_JWT_PUBLIC_KEY_FILE: join(dir, 'absent.pub'), CERTUS_TRUST_STORAGE: 'memory' },
        { cwd: dir },
      )
      expect(() => createApp({ service, auth: missing.auth })).toThrowError(
        expect.objectContaining({ code: 'SERVER_CONFIG_INVALID' }),
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
