import { createServer, Socket as NetSocket, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ADMIN_KEY,
  call,
  createThrowawayDatabase,
  digestOf,
  POSTGRES_ADMIN_URL,
  postgresReachable,
  SIGNER_KEY,
  startTestServer,
} from './helpers.js'

const postgresUp = await postgresReachable()
if (!postgresUp && process.env.CERTUS_REQUIRE_POSTGRES === '1') {
  throw new Error('PostgreSQL is unreachable and CERTUS_REQUIRE_POSTGRES=1')
}

type Mode = 'forward' | 'hang' | 'down'

/**
 * A TCP proxy in front of the real PostgreSQL that can make the database hang (connections accepted, nothing
 * answered — the case no server-side timeout can catch) or go down (connections refused).
 */
async function startDatabaseProxy(
  target: URL,
): Promise<{ port: number; set(mode: Mode): Promise<void>; close(): Promise<void> }> {
  let mode: Mode = 'forward'
  const sockets = new Set<Socket>()
  const onConnection = (client: Socket) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => client.destroy())
    if (mode === 'hang') return
    const upstream = new NetSocket()
    sockets.add(upstream)
    upstream.on('close', () => {
      sockets.delete(upstream)
      client.destroy()
    })
    upstream.on('error', () => upstream.destroy())
    client.on('close', () => upstream.destroy())
    upstream.connect(Number(target.port || 5432), target.hostname)
    // Data is relayed only while forwarding: a hang swallows it, as a stuck server or network would.
    client.on('data', (chunk) => mode === 'forward' && upstream.write(chunk))
    upstream.on('data', (chunk) => mode === 'forward' && client.write(chunk))
  }
  let server: Server = createServer(onConnection)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const close = async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return {
    port,
    close,
    async set(next) {
      if (next === 'down') await close()
      if (mode === 'down' && next !== 'down') {
        server = createServer(onConnection)
        await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
      }
      mode = next
    },
  }
}

describe.skipIf(!postgresUp)('a database that hangs or stops', () => {
  let database: Awaited<ReturnType<typeof createThrowawayDatabase>>
  let proxy: Awaited<ReturnType<typeof startDatabaseProxy>>
  let running: Awaited<ReturnType<typeof startTestServer>>
  const sign = (n: number) =>
    call(running.server.url, 'POST', '/v1/sign', SIGNER_KEY, {
      artifact: digestOf(`outage-${n}-${Math.random()}`),
      artifact_type: 'file',
      subject: `outage-${n}.txt`,
    })

  beforeAll(async () => {
    database = await createThrowawayDatabase()
    proxy = await startDatabaseProxy(new URL(POSTGRES_ADMIN_URL))
    const viaProxy = new URL(database.url)
    viaProxy.host = `127.0.0.1:${proxy.port}`
    running = await startTestServer('memory', {
      CERTUS_TRUST_STORAGE: viaProxy.toString(),
      CERTUS_TRUST_DATABASE_STATEMENT_TIMEOUT_MS: '1000',
      CERTUS_TRUST_DATABASE_CONNECT_TIMEOUT_MS: '1000',
    })
  }, 120_000)
  afterAll(async () => {
    await proxy?.set('forward')
    await running?.cleanup()
    await proxy?.close()
    await database?.drop()
  })

  it('a hung database: every request answers 503 + Retry-After (none waits forever), and recovers', async () => {
    expect((await sign(0)).status).toBe(201)
    await proxy.set('hang')
    const started = Date.now()
    const answers = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((n) => sign(n)))
    console.info(`hung database: 8 concurrent signs answered in ${Date.now() - started} ms`)
    for (const answer of answers) {
      expect(answer.status).toBe(503)
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(answer.json.error.code).toMatch(/UNAVAILABLE|UNREACHABLE/)
    }
    const ready = await call(running.server.url, 'GET', '/v1/ready', undefined)
    expect(ready.status).toBe(503)
    expect(ready.json.status).toBe('not_ready')

    await proxy.set('forward')
    expect((await sign(9)).status).toBe(201)
    expect((await call(running.server.url, 'GET', '/v1/ready', undefined)).status).toBe(200)
  })

  it('a stopped database: 503 (not 502) with Retry-After, /v1/ready says not ready', async () => {
    await proxy.set('down')
    const answer = await sign(10)
    expect(answer.status).toBe(503)
    expect(answer.headers.get('retry-after')).not.toBeNull()
    expect(answer.json.error.code).not.toBe('SIGNER_WITNESS_FAILED')
    const lookup = await call(running.server.url, 'GET', `/v1/transparency/${'ab'.repeat(40)}`, ADMIN_KEY)
    expect(lookup.status).toBe(503)
    const ready = await call(running.server.url, 'GET', '/v1/ready', undefined)
    expect(ready.status).toBe(503)
    await proxy.set('forward')
    expect((await sign(11)).status).toBe(201)
  })
})
