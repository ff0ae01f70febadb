import { createRequire } from 'node:module'

/** The part of autocannon's result we use (it ships no types). */
export interface LoadResult {
  requests: { total: number; average: number }
  latency: { p50: number; p90: number; p99: number; max: number; average: number }
  errors: number
  timeouts: number
  non2xx: number
  duration: number
  '2xx': number
}

interface LoadRequest {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  /** Body of each request, built per request (e.g. a fresh digest). */
  body?: () => string
  onResponse?: (status: number, body: string) => void
}

type Autocannon = (options: Record<string, unknown>) => Promise<LoadResult>
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

/** Runs autocannon against `url` for `seconds` with `connections` concurrent connections, one request shape. */
export function runLoad(
  url: string,
  request: LoadRequest,
  options: { seconds: number; connections: number },
): Promise<LoadResult> {
  return autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: request.method,
        path: request.path,
        headers: { 'content-type': 'application/json', ...request.headers },
        setupRequest: (raw: Record<string, unknown>) =>
          request.body ? { ...raw, body: request.body() } : raw,
        ...(request.onResponse
          ? { onResponse: (status: number, body: string) => request.onResponse!(status, body) }
          : {}),
      },
    ],
  })
}
