import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { ServerError } from '../errors.js'

/**
 * Refuses a request body over `maxBytes` with `SERVER_PAYLOAD_TOO_LARGE` (413), before anything reads it.
 *
 * A body sent with a Content-Length (and no Transfer-Encoding: Node's HTTP parser then delivers exactly that many
 * bytes) is judged by the header alone, as Hono's `bodyLimit` judges it — but without touching the request's web
 * `body` stream, which Hono's middleware opens to look for one: once that stream exists, `@hono/node-server` can no
 * longer read the body straight from Node's request and every JSON body goes through undici's stream machinery. A
 * chunked body (or a request built in process, as in tests) goes to Hono's `bodyLimit`, which counts its bytes.
 */
export function limitRequestBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => {
    throw new ServerError({
      code: 'SERVER_PAYLOAD_TOO_LARGE',
      message: `request body exceeds the limit of ${maxBytes} bytes`,
    })
  }
  const counting = bodyLimit({ maxSize: maxBytes, onError: tooLarge })
  return async function limitBody(c, next) {
    // @hono/node-server gives GET and HEAD requests no body at all.
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
    const length = c.req.header('content-length')
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number.parseInt(length, 10) > maxBytes) tooLarge()
      return next()
    }
    return counting(c, next)
  }
}
