import { execFileSync } from 'node:child_process'
import { createHash, randomBytes, X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RFC3161Timestamp } from '@sigstore/core'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTimestampApi,
  createTimestampAuthority,
  DEFAULT_TSA_POLICY_OID,
  type TimestampAuthority,
  TlogError,
} from '../src/index.js'

function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest())
}

let directory: string
let tsa: TimestampAuthority

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'certus-tsa-'))
  tsa = await createTimestampAuthority({ material: { path: join(directory, 'tsa.json') } })
})

afterAll(async () => {
  await rm(directory, { recursive: true, force: true })
})

describe('certificates', () => {
  it('issues a TSA certificate with only the critical id-kp-timeStamping EKU under its own CA', () => {
    const [leaf, ca] = tsa.certificates
    expect(leaf!.keyUsage).toEqual(['1.3.6.1.5.5.7.3.8'])
    expect(leaf!.checkIssued(ca!)).toBe(true)
    expect(leaf!.verify(ca!.publicKey)).toBe(true)
    expect(ca!.ca).toBe(true)
    expect(leaf!.ca).toBe(false)
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: leaf!.toString() }).toString()
    expect(text).toMatch(/X509v3 Extended Key Usage: critical\s+Time Stamping/)
  })

  it('keeps the generated material in a mode-0600 file and loads the same CA next time', async () => {
    const path = join(directory, 'tsa.json')
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    const again = await createTimestampAuthority({ material: { path } })
    expect(again.certificateChainPem()).toBe(tsa.certificateChainPem())
  })

  it('refuses a corrupt material file without echoing it', async () => {
    const path = join(directory, 'bad.json')
    await writeFile(path, '{"version":1,"caPrivateKey":"-----BEGIN PRIVATE KEY-----\\nsecret')
    const failure = await createTimestampAuthority({ material: { path } }).catch((error: unknown) => error)
    expect(TlogError.is(failure, 'TLOG_TSA_KEY_INVALID')).toBe(true)
    expect(String((failure as Error).message)).not.toContain('secret')
  })
})

describe('tokens', () => {
  const signature = randomBytes(70)

  it('verifies with @sigstore/core, binding the imprint, policy and nonce', () => {
    const response = tsa.timestamp({
      hashAlgorithm: 'sha256',
      hashedMessage: sha256(signature),
      nonce: 12345,
    })
    const parsed = RFC3161Timestamp.parse(Buffer.from(response))
    expect(parsed.status).toBe(0n)
    expect(Math.abs(parsed.signingTime.getTime() - Date.now())).toBeLessThan(5_000)
    parsed.verify(signature, tsa.certificates[0]!.publicKey)
    expect(() => parsed.verify(Buffer.from('other'), tsa.certificates[0]!.publicKey)).toThrow()
  })

  it('verifies with pkijs, an independent CMS implementation', async () => {
    const hashedMessage = sha256(signature)
    const response = tsa.timestamp({ hashAlgorithm: 'sha256', hashedMessage, nonce: 77, certReq: true })
    const parsed = new pkijs.TimeStampResp({ schema: asn1js.fromBER(Buffer.from(response)).result })
    expect(parsed.status.status).toBe(0)
    const signed = new pkijs.SignedData({ schema: parsed.timeStampToken!.content })
    const tstInfo = new pkijs.TSTInfo({
      schema: asn1js.fromBER(signed.encapContentInfo.eContent!.getValue()).result,
    })
    expect(tstInfo.nonce?.valueBlock.valueDec).toBe(77)
    expect(Buffer.from(tstInfo.messageImprint.hashedMessage.getValue()).equals(hashedMessage)).toBe(true)
    // certReq: the token carries the TSA certificate.
    expect(signed.certificates?.length).toBe(1)
    const ca = pkijs.Certificate.fromBER(tsa.certificates[1]!.raw)
    const result = await signed.verify({
      signer: 0,
      trustedCerts: [ca],
      // pkijs checks the TSTInfo imprint against the timestamped data itself.
      data: Uint8Array.from(signature).buffer,
      checkChain: true,
      extendedMode: true,
    })
    expect(result.signatureVerified).toBe(true)
  })

  it('passes `openssl ts -verify` for a DER request with nonce and certReq', async () => {
    const data = join(directory, 'artifact.bin')
    const query = join(directory, 'request.tsq')
    const reply = join(directory, 'reply.tsr')
    const caFile = join(directory, 'ca.pem')
    const untrusted = join(directory, 'tsa.pem')
    await writeFile(data, randomBytes(1000))
    await writeFile(caFile, tsa.certificates[1]!.toString())
    await writeFile(untrusted, tsa.certificates[0]!.toString())
    execFileSync('openssl', ['ts', '-query', '-data', data, '-sha256', '-cert', '-out', query])
    const app = createTimestampApi(tsa)
    const response = await app.request('/api/v1/timestamp', {
      method: 'POST',
      headers: { 'Content-Type': 'application/timestamp-query' },
      body: await readFile(query),
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('content-type')).toBe('application/timestamp-reply')
    await writeFile(reply, Buffer.from(await response.arrayBuffer()))
    const verified = execFileSync(
      'openssl',
      ['ts', '-verify', '-queryfile', query, '-in', reply, '-CAfile', caFile, '-untrusted', untrusted],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    ).toString()
    expect(verified).toContain('Verification: OK')
    const text = execFileSync('openssl', ['ts', '-reply', '-in', reply, '-text'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString()
    expect(text).toContain(`Policy OID: ${DEFAULT_TSA_POLICY_OID}`)
    expect(text).toMatch(/Nonce: 0x[0-9A-F]+/)
    // The same reply is refused for other data.
    const other = join(directory, 'other.bin')
    await writeFile(other, 'not the artifact')
    expect(() =>
      execFileSync(
        'openssl',
        ['ts', '-verify', '-data', other, '-in', reply, '-CAfile', caFile, '-untrusted', untrusted],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    ).toThrow()
  })

  it('answers the JSON form @sigstore/sign sends, and serves the chain', async () => {
    const app = createTimestampApi(tsa)
    const response = await app.request('/api/v1/timestamp', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        artifactHash: Buffer.from(sha256(signature)).toString('base64'),
        hashAlgorithm: 'sha256',
      }),
    })
    expect(response.status).toBe(201)
    const parsed = RFC3161Timestamp.parse(Buffer.from(await response.arrayBuffer()))
    parsed.verify(signature, tsa.certificates[0]!.publicKey)
    const chain = await (await app.request('/api/v1/timestamp/certchain')).text()
    expect(chain).toBe(tsa.certificateChainPem())
    expect(new X509Certificate(chain).fingerprint256).toBe(tsa.certificates[0]!.fingerprint256)
  })
})

describe('bad input', () => {
  const app = () => createTimestampApi(tsa)
  const digest = Buffer.from(sha256('x')).toString('base64')

  async function post(body: string | Uint8Array<ArrayBuffer>, type: string) {
    const response = await app().request('/api/v1/timestamp', {
      method: 'POST',
      headers: { 'Content-Type': type },
      body,
    })
    return { status: response.status, body: (await response.json()) as { code: number; message: string } }
  }

  it.each([
    ['unknown hash algorithm', { artifactHash: digest, hashAlgorithm: 'md5' }, 400, /unsupported hash/],
    [
      'prototype key as algorithm',
      { artifactHash: digest, hashAlgorithm: 'constructor' },
      400,
      /unsupported/,
    ],
    ['digest of the wrong length', { artifactHash: digest, hashAlgorithm: 'sha512' }, 400, /64 bytes/],
    ['non-base64 digest', { artifactHash: '!!!', hashAlgorithm: 'sha256' }, 400, /base64/],
    ['missing digest', { hashAlgorithm: 'sha256' }, 400, /artifactHash/],
    [
      'foreign policy',
      { artifactHash: digest, hashAlgorithm: 'sha256', tsaPolicyOID: '1.2.3' },
      400,
      /policy/,
    ],
  ])('JSON with %s → 4xx JSON', async (_name, body, status, message) => {
    const result = await post(JSON.stringify(body), 'application/json')
    expect(result.status).toBe(status)
    expect(result.body.message).toMatch(message)
  })

  it('rejects malformed JSON, malformed DER, truncated DER and other media types', async () => {
    expect((await post('{', 'application/json')).status).toBe(400)
    expect((await post(new Uint8Array([0x30, 0x80, 1, 2]), 'application/timestamp-query')).status).toBe(400)
    expect((await post(new Uint8Array([0x30, 0x05, 2, 1, 1]), 'application/timestamp-query')).status).toBe(
      400,
    )
    expect((await post(new Uint8Array([0x04, 0x00]), 'application/timestamp-query')).status).toBe(400)
    expect((await post('hello', 'text/plain')).status).toBe(415)
  })

  it('rejects absurd sizes with 413 JSON', async () => {
    const result = await post(new Uint8Array(64 * 1024), 'application/timestamp-query')
    expect(result.status).toBe(413)
    expect(result.body.code).toBe(413)
  })

  it('rejects a DER request with an unknown hash OID (SHA-1) and one with extensions', async () => {
    const sha1Query = Buffer.from(
      execFileSync('openssl', ['ts', '-query', '-digest', 'aa'.repeat(20), '-sha1', '-no_nonce']),
    )
    const sha1 = await post(sha1Query, 'application/timestamp-query')
    expect(sha1.status).toBe(400)
    expect(sha1.body.message).toMatch(/unsupported hash algorithm OID 1\.3\.14\.3\.2\.26/)
    // version 1, messageImprint(sha256, 32 zero bytes), extensions [0] {}
    const imprint = Buffer.concat([
      Buffer.from('302f300b0609608648016503040201', 'hex'),
      Buffer.from([0x04, 0x20]),
      Buffer.alloc(32),
    ])
    const withExtensions = Buffer.concat([
      Buffer.from([0x30, 3 + imprint.length + 2]),
      Buffer.from([0x02, 0x01, 0x01]),
      imprint,
      Buffer.from([0xa0, 0x00]),
    ])
    const extensions = await post(withExtensions, 'application/timestamp-query')
    expect(extensions.status).toBe(400)
    expect(extensions.body.message).toMatch(/extensions/)
  })
})
