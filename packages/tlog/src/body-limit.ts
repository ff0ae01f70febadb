import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'

/**
 * Hono's body limit, answering an oversize request with `tooLarge` and closing the connection: the unread bytes of
 * the body would otherwise be taken for the next request on a keep-alive connection (which then hangs).
 */
export function closingBodyLimit(maxSize: number, tooLarge: (c: Context) => Response): MiddlewareHandler {
  return bodyLimit({
    maxSize,
    onError: (c) => {
      c.header('Connection', 'close')
      return tooLarge(c)
    },
  })
}
