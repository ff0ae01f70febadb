import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createRekorApi, type TransparencyLog } from '../src/index.js'

/** Serves a log's Rekor API on an ephemeral loopback port; `close()` stops it. */
export async function startRekorServer(
  log: TransparencyLog,
): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const app = new Hono()
  app.route('/', createRekorApi(log))
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started))
  })
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  }
}
