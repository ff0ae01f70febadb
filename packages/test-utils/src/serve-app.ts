import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Anything with a WHATWG fetch handler (a Hono app). */
export interface FetchApp {
  fetch(request: Request): Response | Promise<Response>
}

/**
 * Serves a fetch-style app on 127.0.0.1 with node:http, so real HTTP clients reach it. The app can be set after
 * the port is known (logs name themselves by their URL, which includes the port).
 */
export async function serveApp(): Promise<{ url: string; use(app: FetchApp): void; close(): Promise<void> }> {
  let current: FetchApp | undefined
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', async () => {
      const headers = new Headers()
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string') headers.set(name, value)
      }
      const method = request.method ?? 'GET'
      const answer = current
        ? await current.fetch(
            new Request(`${url}${request.url ?? '/'}`, {
              method,
              headers,
              ...(method === 'GET' || method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }),
            }),
          )
        : new Response(null, { status: 503 })
      const outHeaders: Record<string, string> = {}
      answer.headers.forEach((value, name) => {
        outHeaders[name] = value
      })
      response.writeHead(answer.status, outHeaders).end(Buffer.from(await answer.arrayBuffer()))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    use(app) {
      current = app
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
