import { type ChildProcess, spawn } from 'node:child_process'
import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, certus, json, tempDir } from './helpers.js'

/*
 * `certus serve` on one port with the exported trust material: a SigningConfig's Rekor v2 and TSA URLs are where
 * the server answers, and a bundle built from those answers verifies with `certus verify-bundle` and the exported
 * trusted root.
 */

interface SigningConfig {
  mediaType: string
  rekorTlogUrls: Array<{ url: string; majorApiVersion: number; validFor: { start: string } }>
  tsaUrls: Array<{ url: string; majorApiVersion: number }>
  caUrls: unknown[]
  oidcUrls: unknown[]
  rekorTlogConfig: { selector: string }
  tsaConfig: { selector: string }
}

let dir: { path: string; cleanup: () => Promise<void> }
let child: ChildProcess
let url: string

beforeAll(async () => {
  dir = await tempDir()
  child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', join(dir.path, 'data')], {
    env: { ...process.env, CERTUS_TRUST_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 30_000)
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      const match = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.once('exit', (code) => reject(new Error(`serve exited early (${code}):\n${stderr}`)))
  })
}, 60_000)

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  await dir?.cleanup()
})

describe('certus trust-root export and signing-config export', () => {
  it('exports both logs and the TSA, and a SigningConfig whose services answer on the serve port', async () => {
    const data = join(dir.path, 'data')
    const root = await certus(['trust-root', 'export', '--data-dir', data, '--out', 'root.json', '--json'], {
      cwd: dir.path,
    })
    expect(root.code, root.stderr).toBe(0)
    const rootSummary = json<{ tlogs: Array<{ rekorVersion: number }>; timestampAuthorities: unknown[] }>(
      root,
    )
    expect(rootSummary.tlogs.map((tlog) => tlog.rekorVersion).sort()).toEqual([1, 2])
    expect(rootSummary.timestampAuthorities).toHaveLength(1)

    const exported = await certus(
      [
        'signing-config',
        'export',
        '--data-dir',
        data,
        '--url',
        url,
        '--out',
        'signing_config.json',
        '--json',
      ],
      { cwd: dir.path },
    )
    expect(exported.code, exported.stderr).toBe(0)
    const config = JSON.parse(await readFile(join(dir.path, 'signing_config.json'), 'utf8')) as SigningConfig
    expect(config.mediaType).toBe('application/vnd.dev.sigstore.signingconfig.v0.2+json')
    expect(config.rekorTlogUrls.map((service) => [service.url, service.majorApiVersion])).toEqual([
      [url, 2],
      [url, 1],
    ])
    expect(config.tsaUrls).toEqual([
      expect.objectContaining({ url: `${url}/api/v1/timestamp`, majorApiVersion: 1 }),
    ])
    expect(config.caUrls).toEqual([])
    expect(config.rekorTlogConfig.selector).toBe('ANY')

    // Sign as a Rekor v2 client would, at the URLs the SigningConfig names.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const artifact = Buffer.from('served by certus serve\n')
    await writeFile(join(dir.path, 'artifact.txt'), artifact)
    await writeFile(join(dir.path, 'key.pub'), publicKey.export({ type: 'spki', format: 'pem' }))
    const digest = createHash('sha256').update(artifact).digest()
    const signature = sign('sha256', artifact, privateKey)
    const v2 = config.rekorTlogUrls.find((service) => service.majorApiVersion === 2)!
    const created = await fetch(`${v2.url}/api/v2/log/entries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        hashedRekordRequestV002: {
          digest: digest.toString('base64'),
          signature: {
            content: signature.toString('base64'),
            verifier: {
              keyDetails: 'PKIX_ECDSA_P256_SHA_256',
              publicKey: { rawBytes: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') },
            },
          },
        },
      }),
    })
    expect(created.status).toBe(201)
    const stamped = await fetch(config.tsaUrls[0]!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        artifactHash: createHash('sha256').update(signature).digest('base64'),
        hashAlgorithm: 'sha256',
      }),
    })
    expect(stamped.status).toBe(201)
    const bundle = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {
        publicKey: { hint: 'key' },
        tlogEntries: [await created.json()],
        timestampVerificationData: {
          rfc3161Timestamps: [
            { signedTimestamp: Buffer.from(await stamped.arrayBuffer()).toString('base64') },
          ],
        },
      },
      messageSignature: {
        messageDigest: { algorithm: 'SHA2_256', digest: digest.toString('base64') },
        signature: signature.toString('base64'),
      },
    }
    await writeFile(join(dir.path, 'bundle.json'), JSON.stringify(bundle))
    const verify = (file: string) =>
      certus(
        ['verify-bundle', '--bundle', 'bundle.json', '--key', 'key.pub', '--trusted-root', 'root.json', file],
        { cwd: dir.path },
      )
    const verified = await verify('artifact.txt')
    expect(verified.code, verified.stderr).toBe(0)
    await writeFile(join(dir.path, 'changed.txt'), 'changed\n')
    expect((await verify('changed.txt')).code).not.toBe(0)
  }, 60_000)

  it('refuses a --url that is not http(s)', async () => {
    const result = await certus(
      ['signing-config', 'export', '--data-dir', join(dir.path, 'other'), '--url', 'ftp://x', '--out', '-'],
      { cwd: dir.path },
    )
    expect(result.code).not.toBe(0)
    expect(result.stderr).toMatch(/--url/)
  })
})
