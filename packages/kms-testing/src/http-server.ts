import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'

/** A request as a fake service sees it. */
export interface FakeRequest {
  method: string
  /** Path and query. */
  url: string
  headers: IncomingMessage['headers']
  body: Buffer
}

/** A fake service's answer. */
export interface FakeResponse {
  status: number
  headers?: Record<string, string>
  body?: string | Uint8Array
}

/** A local HTTP server standing in for a cloud service. */
export interface LocalServer {
  /** `http://127.0.0.1:PORT` (`https://` with `tls`) */
  url: string
  port: number
  close(): Promise<void>
}

/**
 * Starts an HTTP server (HTTPS with `tls`: a PEM key and certificate) on a free loopback port that answers every
 * request through `handle`.
 */
export async function startLocalServer(
  handle: (request: FakeRequest) => Promise<FakeResponse> | FakeResponse,
  tls?: { key: string; cert: string },
): Promise<LocalServer> {
  const listener: RequestListener = (request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      Promise.resolve()
        .then(() =>
          handle({
            method: request.method ?? 'GET',
            url: request.url ?? '/',
            headers: request.headers,
            body: Buffer.concat(chunks),
          }),
        )
        .then(
          (answer) => {
            response.writeHead(answer.status, answer.headers ?? {})
            response.end(answer.body ?? '')
          },
          (error: unknown) => {
            response.writeHead(500, { 'content-type': 'text/plain' })
            response.end(String(error))
          },
        )
    })
  }
  const server: Server = tls ? createHttpsServer(tls, listener) : createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A JSON answer. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): FakeResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }
}
