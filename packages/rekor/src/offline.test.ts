import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as main from './index.js'
import * as offline from './offline.js'

const here = dirname(fileURLToPath(import.meta.url))

/** Every module specifier reachable from `entry` through value (non-`import type`) imports and re-exports. */
function reachableSpecifiers(
  entry: string,
  seen = new Set<string>(),
  found = new Set<string>(),
): Set<string> {
  if (seen.has(entry)) return found
  seen.add(entry)
  const source = readFileSync(join(here, entry), 'utf8')
  for (const match of source.matchAll(/^(?:import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)) {
    if (match[1]) continue // type-only: erased at build time
    const specifier = match[2]!
    if (specifier.startsWith('./')) reachableSpecifiers(specifier.replace(/\.js$/, '.ts'), seen, found)
    else found.add(specifier)
  }
  return found
}

describe('@certus-trust/rekor/offline', () => {
  it('loads nothing but node built-ins and @certus-trust/core (no ky, zod or @noble/*)', () => {
    const external = [...reachableSpecifiers('offline.ts')].sort()
    expect(external.length).toBeGreaterThan(0)
    for (const specifier of external) expect(specifier).toMatch(/^(node:|@certus-trust\/core$)/)
    // The scan itself must see the heavy imports the main entry has, or the check above proves nothing.
    const mainExternal = reachableSpecifiers('index.ts')
    expect(mainExternal).toContain('zod')
    expect(mainExternal).toContain('@noble/curves/nist.js')
  })

  it('exports the same functions as the main entry, not copies', () => {
    const offlineExports: Record<string, unknown> = { ...offline }
    const mainExports: Record<string, unknown> = { ...main }
    expect(Object.keys(offlineExports)).toEqual(
      expect.arrayContaining(['hashLeaf', 'verifyInclusionProof', 'parseCheckpoint', 'verifyCheckpoint']),
    )
    for (const [name, value] of Object.entries(offlineExports)) expect(value, name).toBe(mainExports[name])
  })
})

describe('verifyCheckpoint with an explicit key hint (C2SP signed-note key IDs)', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const origin = 'log2025.example.test'
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')
  // C2SP Ed25519 key ID: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ raw key); the v1 hint (SHA-256(SPKI)) differs.
  const keyId = createHash('sha256')
    .update(Buffer.concat([Buffer.from(`${origin}\n`), Buffer.of(1), raw]))
    .digest()
  const body = `${origin}\n5\n${Buffer.alloc(32, 7).toString('base64')}\n`
  const line = (hint: Uint8Array) =>
    `\u2014 ${origin} ${Buffer.concat([hint, sign(null, Buffer.from(body), privateKey)]).toString('base64')}\n`
  const note = `${body}\n${line(keyId.subarray(0, 4))}`

  it('accepts the line whose hint is the given one, and not under the v1 hint', () => {
    expect(offline.verifyCheckpoint(note, { publicKey, keyHint: keyId.subarray(0, 4) }).treeSize).toBe(5n)
    expect(() => offline.verifyCheckpoint(note, { publicKey })).toThrowError(
      expect.objectContaining({ code: 'REKOR_CHECKPOINT_SIGNATURE_INVALID' }),
    )
    expect(() =>
      offline.verifyCheckpoint(note, { publicKey, keyHint: Buffer.from('zzzz'), name: origin }),
    ).toThrowError(expect.objectContaining({ code: 'REKOR_CHECKPOINT_SIGNATURE_INVALID' }))
  })
})

describe('namedNoteKeyId (C2SP key IDs that commit to the key name)', () => {
  it("matches Sigstore staging's Rekor v2 log key ID, and changes with the name", () => {
    // log2025-alpha1.rekor.sigstage.dev: Ed25519 key and logId.keyId as published in the staging trusted root.
    const publicKey =
      '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAPn+AREHoBaZ7wgS1zBqpxmLSGnyhxXj4lFxSdWVB8o8=\n-----END PUBLIC KEY-----\n'
    const id = offline.namedNoteKeyId('log2025-alpha1.rekor.sigstage.dev', publicKey)
    expect(Buffer.from(id!).toString('base64')).toBe('8w1amZ2S5mJIQkQmPxdMuOrL/oJkvFg9MnQXmeOCXck=')
    expect(Buffer.from(offline.namedNoteKeyId('log2025-alpha1.rekor.github.dev', publicKey)!)).not.toEqual(
      Buffer.from(id!),
    )
  })

  it('RSA: SHA-256(name ‖ 0x0A ‖ 0xFF ‖ "PKIX-RSA-PKCS#1v1.5" ‖ SPKI); ECDSA keys name nothing', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey
    const spki = rsa.export({ type: 'spki', format: 'der' })
    const expected = createHash('sha256')
      .update(
        Buffer.concat([Buffer.from('log.test\n'), Buffer.of(0xff), Buffer.from('PKIX-RSA-PKCS#1v1.5'), spki]),
      )
      .digest()
    expect(Buffer.from(offline.namedNoteKeyId('log.test', rsa)!)).toEqual(expected)
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
    expect(offline.namedNoteKeyId('log.test', ec)).toBeUndefined()
  })
})

describe('@certus-trust/rekor (main entry)', () => {
  it('imports ky only when a request is made, so a process that never calls Rekor does not load an HTTP stack', () => {
    const source = readFileSync(join(here, 'http-transport.ts'), 'utf8')
    expect(source).not.toMatch(/^import\s+(?!type\b)[^'"]*from\s+'ky'/m)
    expect(source).toContain("import('ky')")
  })
})
