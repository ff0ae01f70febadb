import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTimestampApi, createTimestampAuthority } from '@certus-trust/tlog'
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, rekorHandler } from '@sigstore/mock'
import type { TrustedRootParts } from './helpers.js'

type Handler = {
  path: string
  fn: (
    body: string,
  ) => Promise<{ statusCode: number; response: string | ArrayBufferView; contentType?: string }>
}

/**
 * @sigstore/mock's Fulcio and Rekor handlers (real formats) plus the embedded RFC 3161 timestamp authority of
 * @certus-trust/tlog (the mock TSA only speaks JSON; our witness sends DER TimeStampReqs), served on 127.0.0.1 by a
 * plain HTTP server, so real HTTP clients talk to them. `fail` switches a service to an HTTP error.
 */
export async function startMockSigstore() {
  const handlers = new Map<string, Handler>()
  const tsa = await createTimestampAuthority()
  const tsaApi = createTimestampApi(tsa)
  const failures = new Map<string, number>()
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', async () => {
      const path = request.url ?? ''
      const status = [...failures.entries()].find(([prefix]) => path.startsWith(prefix))?.[1]
      if (status) {
        response
          .writeHead(status, { 'content-type': 'application/json' })
          .end(JSON.stringify({ code: status, message: 'injected failure' }))
        return
      }
      if (path === '/api/v1/timestamp' && request.method === 'POST') {
        const answer = await tsaApi.request(path, {
          method: 'POST',
          headers: { 'content-type': request.headers['content-type'] ?? '' },
          body: Buffer.concat(chunks),
        })
        response
          .writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' })
          .end(Buffer.from(await answer.arrayBuffer()))
        return
      }
      const handler = handlers.get(path)
      if (!handler || request.method !== 'POST') {
        response.writeHead(404).end()
        return
      }
      const result = await handler.fn(Buffer.concat(chunks).toString('utf8'))
      const body =
        typeof result.response === 'string'
          ? result.response
          : Buffer.from(result.response.buffer, result.response.byteOffset, result.response.byteLength)
      response.writeHead(result.statusCode, { 'content-type': result.contentType ?? 'text/plain' }).end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ctKeys = keyPair()
  const ctlog = await initializeCTLog(ctKeys)
  // Signing certificates start a minute back so they cover the TSA's fixed time below.
  const ca = await initializeCA(keyPair(), ctlog, new Date(Date.now() - 60_000))
  const rekorKeys = keyPair()
  const tlog = await initializeTLog(url, rekorKeys)
  for (const handler of [fulcioHandler(ca), rekorHandler(tlog)])
    handlers.set(handler.path, handler as Handler)

  const root: TrustedRootParts = {
    tlogs: [{ baseUrl: url, publicKey: rekorKeys.publicKey }],
    certificateAuthorities: [{ certificates: [Buffer.from(ca.rootCertificate.buffer)] }],
    ctlogs: [
      {
        baseUrl: 'https://ctfe.sigstore.dev',
        publicKey: ctlog.publicKey,
        logId: Buffer.from(ctlog.logID.buffer),
      },
    ],
    timestampAuthorities: [{ certificates: tsa.certificates.map((certificate) => certificate.raw) }],
  }

  return {
    url,
    root,
    /** Makes every request under `pathPrefix` answer with `status` (0 clears). */
    fail(pathPrefix: string, status: number) {
      if (status) failures.set(pathPrefix, status)
      else failures.delete(pathPrefix)
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A JWT-shaped identity token (the mock Fulcio reads claims and does not check the signature). */
export function fakeIdentityToken(
  claims: Record<string, unknown> = { sub: 'builder@example.com', iss: 'https://oidc.example.com' },
): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ aud: 'sigstore', ...claims })}.c2ln`
}
