import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fulcioHandler, initializeCA, initializeCTLog } from '@sigstore/mock'

/**
 * @sigstore/mock's Fulcio (real request/response and certificate formats, SCTs from a mock CT log) served on
 * 127.0.0.1, plus the TrustedRoot JSON parts that trust its CA and CT log — what a server needs to verify the
 * certificates it hands out.
 */
export async function startMockFulcio() {
  const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ctKeys = keyPair()
  const ctlog = await initializeCTLog(ctKeys)
  // Certificates start a minute back so the log's integrated time falls well inside their 10-minute validity.
  const ca = await initializeCA(keyPair(), ctlog, new Date(Date.now() - 60_000))
  const handler = fulcioHandler(ca)

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', async () => {
      if (request.method !== 'POST' || request.url !== handler.path) {
        response.writeHead(404).end()
        return
      }
      const result = await handler.fn(Buffer.concat(chunks).toString('utf8'))
      response
        .writeHead(result.statusCode, { 'content-type': result.contentType ?? 'text/plain' })
        .end(result.response)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const rootCertificateDer = Buffer.from(ca.rootCertificate.buffer)
  const validFrom = new Date(Date.now() - 3_600_000).toISOString()
  /** TrustedRoot JSON (v0.1 media type) trusting the mock CA and CT log; the log key comes from the server. */
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: rootCertificateDer.toString('base64') }] },
        validFor: { start: validFrom },
      },
    ],
    ctlogs: [
      {
        baseUrl: 'https://ctfe.mock.example',
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: Buffer.from(ctlog.publicKey).toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start: validFrom },
        },
        logId: { keyId: Buffer.from(ctlog.logID.buffer).toString('base64') },
      },
    ],
    timestampAuthorities: [],
  }

  return {
    url,
    rootCertificateDer,
    trustedRoot,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A JWT-shaped OIDC token (the mock Fulcio reads the claims; it does not check the signature). */
export function fakeIdentityToken(claims: { sub: string; iss: string }): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ aud: 'sigstore', exp: 4102444800, ...claims })}.c2ln`
}
