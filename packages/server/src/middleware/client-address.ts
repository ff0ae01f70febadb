import type { Context } from 'hono'

/**
 * The client's IP address as seen on the socket (`@hono/node-server` puts the Node request in `c.env.incoming`).
 * Forwarded headers are deliberately ignored: they are caller-controlled, and trusting them would let any
 * remote client claim to be loopback. Returns undefined when there is no socket (e.g. `app.request()`).
 */
export function clientAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
  const address = env?.incoming?.socket?.remoteAddress
  return typeof address === 'string' && address.length > 0 ? address.replace(/^::ffff:(?=\d)/, '') : undefined
}
