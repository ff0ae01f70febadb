import { subscribe, unsubscribe } from 'node:diagnostics_channel'

/**
 * Told when a request to Fulcio or a timestamp authority starts (`operation` is the URL path); the function it
 * returns is called once when the request ends, with an error code (`HTTP_503`, `ECONNREFUSED`, `CLOSED`…) or
 * undefined for a success.
 */
export type UpstreamCallObserver = (call: {
  service: 'fulcio' | 'tsa'
  operation: string
}) => (errorCode: string | undefined) => void

/** An upstream service whose requests are timed: every request to `origin` under `pathPrefix`. */
interface UpstreamTarget {
  service: 'fulcio' | 'tsa'
  origin: string
  pathPrefix: string
}

/** The Fulcio and TSA URLs of the configuration, as targets (most specific path first). */
function upstreamTargets(urls: {
  fulcioUrl?: string | undefined
  tsaUrl?: string | undefined
}): UpstreamTarget[] {
  const targets: UpstreamTarget[] = []
  for (const [service, value] of [
    ['fulcio', urls.fulcioUrl],
    ['tsa', urls.tsaUrl],
  ] as const) {
    if (!value) continue
    const url = new URL(value)
    targets.push({ service, origin: url.origin, pathPrefix: url.pathname.replace(/\/+$/, '') })
  }
  return targets.sort((a, b) => b.pathPrefix.length - a.pathPrefix.length)
}

interface HttpRequest {
  protocol: string
  path: string
  getHeader(name: string): unknown
  once(event: string, listener: (...args: never[]) => void): unknown
}

interface Pending {
  end: (errorCode: string | undefined) => void
}

/**
 * Reports every HTTP request this process makes to the configured Fulcio or timestamp authority, whoever makes it
 * (the signer calls them through @sigstore/sign's HTTP client and through fetch): Node's `http.client.*` and
 * undici's `undici:request:*` diagnostics channels report each request's start, response and error. Returns the
 * unsubscribe function.
 */
export function observeUpstreamCalls(
  urls: { fulcioUrl?: string | undefined; tsaUrl?: string | undefined },
  observer: UpstreamCallObserver,
): () => void {
  const targets = upstreamTargets(urls)
  if (targets.length === 0) return () => {}
  const pending = new WeakMap<object, Pending>()
  const begin = (request: object, origin: string, path: string) => {
    const pathname = path.split('?')[0] ?? ''
    const target = targets.find(
      (candidate) => candidate.origin === origin && pathname.startsWith(candidate.pathPrefix),
    )
    if (!target) return
    pending.set(request, { end: observer({ service: target.service, operation: pathname }) })
  }
  const finish = (request: object, code: string | undefined) => {
    const entry = pending.get(request)
    if (!entry) return
    pending.delete(request)
    entry.end(code)
  }
  const beginHttp = (request: HttpRequest) => {
    if (pending.has(request)) return
    begin(request, safeOrigin(`${request.protocol}//${String(request.getHeader('host'))}`), request.path)
    if (!pending.has(request)) return
    // The request's own events end the timing: a response, or a close without one (an aborted request).
    request.once('response', (response: { statusCode?: number }) =>
      finish(request, statusCode(response.statusCode)),
    )
    request.once('close', () => finish(request, 'CLOSED'))
  }
  const statusCode = (status: unknown) =>
    typeof status === 'number' && status >= 400 ? `HTTP_${status}` : undefined
  const errorCode = (error: unknown) =>
    typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'NETWORK'

  const handlers: Record<string, (message: unknown) => void> = {
    'undici:request:create': (message) => {
      const { request } = message as { request: { origin: string; path: string } }
      begin(request, safeOrigin(request.origin), request.path)
    },
    'undici:request:headers': (message) => {
      const { request, response } = message as { request: object; response: { statusCode: number } }
      finish(request, statusCode(response.statusCode))
    },
    'undici:request:error': (message) => {
      const { request, error } = message as { request: object; error: unknown }
      finish(request, errorCode(error))
    },
    // Node 24 publishes `created` when the request is made (before connecting), older Node only `start`.
    'http.client.request.created': (message) => beginHttp((message as { request: HttpRequest }).request),
    'http.client.request.start': (message) => beginHttp((message as { request: HttpRequest }).request),
    'http.client.request.error': (message) => {
      const { request, error } = message as { request: object; error: unknown }
      finish(request, errorCode(error))
    },
  }
  for (const [channel, handler] of Object.entries(handlers)) subscribe(channel, handler)
  return () => {
    for (const [channel, handler] of Object.entries(handlers)) unsubscribe(channel, handler)
  }
}

function safeOrigin(value: string): string {
  try {
    return new URL(value).origin
  } catch {
    return ''
  }
}
