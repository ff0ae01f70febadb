import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { digestOf, SIGNER_KEY, startTestServer } from './helpers.js'

// Over a real socket, both ways a client can send a body: with a Content-Length (judged by the header) and chunked
// (counted as it arrives).
const LIMIT = 2048

/** POSTs `body` in `chunks` pieces; without `contentLength` the request is chunked (Transfer-Encoding). */
function post(
  url: string,
  body: string,
  { contentLength, chunks = 1 }: { contentLength: boolean; chunks?: number },
): Promise<{ status: number; json: { error?: { code?: string }; bundle?: unknown } }> {
  return new Promise((resolve, reject) => {
    const bytes = Buffer.from(body)
    const request = httpRequest(`${url}/v1/sign`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${SIGNER_KEY}`,
        ...(contentLength ? { 'content-length': String(bytes.length) } : {}),
      },
    })
    request.on('response', (response) => {
      const parts: Buffer[] = []
      response.on('data', (part: Buffer) => parts.push(part))
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, json: JSON.parse(Buffer.concat(parts).toString()) }),
      )
    })
    // The server may answer 413 and close before the whole body is written.
    request.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EPIPE' ? undefined : reject(error),
    )
    const size = Math.ceil(bytes.length / chunks)
    for (let start = 0; start < bytes.length; start += size)
      request.write(bytes.subarray(start, start + size))
    request.end()
  })
}

const signBody = (subject: string) =>
  JSON.stringify({ artifact: digestOf(subject), artifact_type: 'file', subject })

describe('the request body limit over HTTP', () => {
  let started: Awaited<ReturnType<typeof startTestServer>>
  beforeAll(async () => {
    started = await startTestServer('memory', { CERTUS_TRUST_BODY_LIMIT: String(LIMIT) })
  })
  afterAll(async () => {
    await started?.cleanup()
  })

  it('signs a body under the limit, sent with a Content-Length or chunked', async () => {
    const withLength = await post(started.server.url, signBody('with-length.txt'), { contentLength: true })
    expect(withLength.status).toBe(201)
    expect(withLength.json.bundle).toBeDefined()
    const chunked = await post(started.server.url, signBody('chunked.txt'), {
      contentLength: false,
      chunks: 3,
    })
    expect(chunked.status).toBe(201)
    expect(chunked.json.bundle).toBeDefined()
  })

  it('refuses a body over the limit with 413 JSON, whether its length is declared or counted', async () => {
    const big = signBody('x'.repeat(LIMIT))
    const declared = await post(started.server.url, big, { contentLength: true })
    expect(declared.status).toBe(413)
    expect(declared.json.error?.code).toBe('SERVER_PAYLOAD_TOO_LARGE')
    const counted = await post(started.server.url, big, { contentLength: false, chunks: 4 })
    expect(counted.status).toBe(413)
    expect(counted.json.error?.code).toBe('SERVER_PAYLOAD_TOO_LARGE')
  })
})
