import { type ChildProcess, spawn } from 'node:child_process'
import { createPublicKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { bundleFromJSON } from '@sigstore/bundle'
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, certus, tempDir } from './helpers.js'

// The real CLI against a real `certus serve` (one port: Rekor v1, Rekor v2, TSA): `certus signing-config export`
// and `trust-root export` give the trust material, `certus sign/attest --signing-config` write Rekor v2 + RFC 3161
// bundles, and both `certus verify` and upstream @sigstore/verify accept them (and reject a changed artifact).

const requireFromVerify = createRequire(createRequire(import.meta.url).resolve('@sigstore/verify'))
const specs = requireFromVerify('@sigstore/protobuf-specs') as {
  TrustedRoot: { fromJSON(json: unknown): never }
  PublicKey: { fromJSON(json: unknown): never }
}

let dir: { path: string; cleanup: () => Promise<void> }
let child: ChildProcess
let url: string
const run = (args: string[]) => certus(args, { cwd: dir.path })
const p = (name: string) => join(dir.path, name)

function verifyUpstream(
  bundleJson: { verificationMaterial: { publicKey: { hint: string } } },
  artifact: Buffer | undefined,
  root: unknown,
  pem: string,
) {
  const key = specs.PublicKey.fromJSON({
    rawBytes: createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64'),
    keyDetails: 'PKIX_ECDSA_P256_SHA_256',
    validFor: { start: '2000-01-01T00:00:00Z' },
  })
  const trust = toTrustMaterial(specs.TrustedRoot.fromJSON(root), {
    [bundleJson.verificationMaterial.publicKey.hint]: key,
  })
  new Verifier(trust).verify(toSignedEntity(bundleFromJSON(bundleJson), artifact))
}

beforeAll(async () => {
  dir = await tempDir()
  child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', p('data')], {
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
  for (const args of [
    ['trust-root', 'export', '--data-dir', 'data', '--out', 'root.json'],
    ['signing-config', 'export', '--data-dir', 'data', '--url', url, '--out', 'signing_config.json'],
    ['keygen', '--algorithm', 'ecdsa-p256', '--private-key', 'k.pem', '--public-key', 'k.pub'],
  ]) {
    const result = await run(args)
    expect(result.code, result.stderr).toBe(0)
  }
  await writeFile(p('app.txt'), 'served artifact\n')
  await writeFile(p('predicate.json'), JSON.stringify({ builder: { id: 'https://ci.example' } }))
}, 90_000)

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  await dir?.cleanup()
})

describe('certus sign/attest --signing-config against certus serve', () => {
  it('signs into the served Rekor v2 log with a TSA timestamp; ours and upstream verify, a changed file fails both', async () => {
    const signed = await run([
      'sign',
      'app.txt',
      '--key',
      'k.pem',
      '--signing-config',
      'signing_config.json',
      '--trusted-root',
      'root.json',
    ])
    expect(signed.code, signed.stderr).toBe(0)
    const bundle = JSON.parse(await readFile(p('app.txt.sigstore.json'), 'utf8'))
    expect(bundle.verificationMaterial.tlogEntries[0].kindVersion).toEqual({
      kind: 'hashedrekord',
      version: '0.0.2',
    })
    expect(bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1)
    const verify = (file: string) =>
      run([
        'verify',
        file,
        '--bundle',
        'app.txt.sigstore.json',
        '--key',
        'k.pub',
        '--trusted-root',
        'root.json',
      ])
    const ok = await verify('app.txt')
    expect(ok.code, ok.stdout + ok.stderr).toBe(0)
    await writeFile(p('changed.txt'), 'changed\n')
    expect((await verify('changed.txt')).code).not.toBe(0)
    const root = JSON.parse(await readFile(p('root.json'), 'utf8'))
    const pem = await readFile(p('k.pub'), 'utf8')
    const artifact = await readFile(p('app.txt'))
    expect(() => verifyUpstream(bundle, artifact, root, pem)).not.toThrow()
    expect(() => verifyUpstream(bundle, Buffer.from('changed\n'), root, pem)).toThrow()
    // Signing the same file again (deterministic ECDSA over its digest) returns the logged entry.
    const again = await run([
      'sign',
      'app.txt',
      '--key',
      'k.pem',
      '--signing-config',
      'signing_config.json',
      '--trusted-root',
      'root.json',
      '--bundle',
      'again.json',
    ])
    expect(again.code, again.stderr).toBe(0)
    const second = JSON.parse(await readFile(p('again.json'), 'utf8'))
    expect(second.verificationMaterial.tlogEntries[0].logIndex).toBe(
      bundle.verificationMaterial.tlogEntries[0].logIndex,
    )
  }, 60_000)

  it('attests with --signing-config (dsse 0.0.2) and --rekor-version 1 still writes a v1 entry', async () => {
    const attested = await run([
      'attest',
      'app.txt',
      '--predicate',
      'predicate.json',
      '--predicate-type',
      'https://example.com/test-predicate/v1',
      '--key',
      'k.pem',
      '--signing-config',
      'signing_config.json',
    ])
    expect(attested.code, attested.stderr).toBe(0)
    const dsse = JSON.parse(await readFile(p('app.txt.intoto.sigstore.json'), 'utf8'))
    expect(dsse.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: 'dsse', version: '0.0.2' })
    const root = JSON.parse(await readFile(p('root.json'), 'utf8'))
    expect(() => verifyUpstream(dsse, undefined, root, readFileSync(p('k.pub'), 'utf8'))).not.toThrow()
    const forged = structuredClone(dsse)
    forged.dsseEnvelope.payload = Buffer.from('{"_type":"forged"}').toString('base64')
    expect(() => verifyUpstream(forged, undefined, root, readFileSync(p('k.pub'), 'utf8'))).toThrow()
    const v1 = await run([
      'sign',
      'app.txt',
      '--key',
      'k.pem',
      '--signing-config',
      'signing_config.json',
      '--rekor-version',
      '1',
      '--bundle',
      'v1.json',
    ])
    expect(v1.code, v1.stderr).toBe(0)
    const entry = JSON.parse(await readFile(p('v1.json'), 'utf8')).verificationMaterial.tlogEntries[0]
    expect(entry.kindVersion.version).toBe('0.0.1')
    expect(
      (
        await run([
          'verify',
          'app.txt',
          '--bundle',
          'v1.json',
          '--key',
          'k.pub',
          '--trusted-root',
          'root.json',
        ])
      ).code,
    ).toBe(0)
  }, 60_000)
})
