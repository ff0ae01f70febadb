import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { hashChildren, hashLeaf, verifyCheckpoint, verifyInclusionProof } from '@certus-trust/log-protocol'
import type { LogStorage } from '@certus-trust/storage'
import type { Hono } from 'hono'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createRekorV2Api,
  createTransparencyLog,
  generateLogKey,
  type TransparencyLog,
} from '../src/index.js'
import { dsseRequest, hashedRekordRequest, keyVerifier } from './entries-v2.js'
import type { LogSuiteBackend } from './log-suite.js'

const KEY_NAME = 'rekor-v2.test.example'
const BASE_URL = `https://${KEY_NAME}`

type V2Entry = {
  logIndex: string
  logId: { keyId: string }
  kindVersion: { kind: string; version: string }
  integratedTime: string
  inclusionPromise: null
  inclusionProof: {
    logIndex: string
    rootHash: string
    treeSize: string
    hashes: string[]
    checkpoint: { envelope: string }
  }
  canonicalizedBody: string
}

/** RFC 6962 MTH over leaf hashes (the reference the tiles are checked against). */
function mth(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return new Uint8Array(createHash('sha256').digest())
  if (leaves.length === 1) return leaves[0]!
  let split = 1
  while (split * 2 < leaves.length) split *= 2
  return hashChildren(mth(leaves.slice(0, split)), mth(leaves.slice(split)))
}

/** RFC 6962 PATH(m, D[n]) over leaf hashes, leaf to root. */
function path(index: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return []
  let split = 1
  while (split * 2 < leaves.length) split *= 2
  return index < split
    ? [...path(index, leaves.slice(0, split)), mth(leaves.slice(split))]
    : [...path(index - split, leaves.slice(split)), mth(leaves.slice(0, split))]
}

async function post(app: Hono, body: unknown) {
  const response = await app.request('/api/v2/log/entries', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as V2Entry & Record<string, unknown>,
  }
}

async function bytesOf(app: Hono, url: string): Promise<Uint8Array> {
  const response = await app.request(url)
  expect(response.status, url).toBe(200)
  expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
  return new Uint8Array(await response.arrayBuffer())
}

function split32(bytes: Uint8Array): Uint8Array[] {
  return Array.from({ length: bytes.length / 32 }, (_, index) => bytes.slice(index * 32, index * 32 + 32))
}

/** The Rekor v2 behaviour every storage backend must give the log. */
export function runRekorV2Suite(backend: LogSuiteBackend): void {
  describe(`Rekor v2 log over ${backend.name}`, () => {
    let storage: LogStorage & { close?: () => Promise<void> }
    let logKey: ReturnType<typeof generateLogKey>
    let log: TransparencyLog
    let app: Hono
    let signer: KeyObject

    beforeEach(async () => {
      storage = await backend.create()
      logKey = generateLogKey('ecdsa-p256')
      log = await createTransparencyLog({
        storage,
        baseUrl: BASE_URL,
        apiVersion: 2,
        key: logKey.privateKey,
        maxBatchSize: 64,
      })
      app = createRekorV2Api(log)
      signer = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    })

    afterEach(async () => {
      await log.close()
      if (backend.destroy) await backend.destroy(storage)
      else await storage.close?.()
    })

    it('answers CreateEntry with a v0.0.2 entry, an inclusion proof and a C2SP checkpoint, and no SET', async () => {
      const made = hashedRekordRequest(signer)
      const created = await post(app, made.request)
      expect(created.status).toBe(201)
      const entry = created.json
      const spki = logKey.publicKey.export({ type: 'spki', format: 'der' })
      expect(entry.logId.keyId).toBe(createHash('sha256').update(spki).digest('base64'))
      expect(entry.kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.2' })
      expect(entry.integratedTime).toBe('0')
      expect(entry.inclusionPromise).toBeNull()
      expect(entry.logIndex).toBe('0')
      const signerSpki = keyVerifier(signer).publicKey.rawBytes
      expect(Buffer.from(entry.canonicalizedBody, 'base64').toString('utf8')).toBe(
        `{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{"hashedRekordV002":{"data":{"algorithm":"SHA2_256","digest":"${made.digest.toString('base64')}"},"signature":{"content":"${made.signature.toString('base64')}","verifier":{"keyDetails":"PKIX_ECDSA_P256_SHA_256","publicKey":{"rawBytes":"${signerSpki}"}}}}}}`,
      )
      const envelope = entry.inclusionProof.checkpoint.envelope
      // C2SP origin: the bare log name, no tree ID and no extra lines; the key name is the origin.
      expect(envelope.split('\n')[0]).toBe(KEY_NAME)
      expect(envelope).toMatch(new RegExp(`\\n\\n\\u2014 ${KEY_NAME.replace(/\./g, '\\.')} \\S+\\n$`))
      const checkpoint = verifyCheckpoint(envelope, { publicKey: logKey.publicKeyPem, name: KEY_NAME })
      expect(Buffer.from(checkpoint.signatures[0]!.keyHint).toString('base64')).toBe(
        Buffer.from(Buffer.from(entry.logId.keyId, 'base64').subarray(0, 4)).toString('base64'),
      )
      verifyInclusionProof({
        leafIndex: Number(entry.inclusionProof.logIndex),
        treeSize: checkpoint.treeSize,
        leafHash: hashLeaf(new Uint8Array(Buffer.from(entry.canonicalizedBody, 'base64'))),
        proof: entry.inclusionProof.hashes.map((hash) => new Uint8Array(Buffer.from(hash, 'base64'))),
        rootHash: checkpoint.rootHash,
      })

      const dsse = await post(app, dsseRequest(signer).request)
      expect(dsse.status).toBe(201)
      expect(dsse.json.kindVersion).toEqual({ kind: 'dsse', version: '0.0.2' })
      expect(dsse.json.logIndex).toBe('1')
      const body = JSON.parse(Buffer.from(dsse.json.canonicalizedBody, 'base64').toString('utf8'))
      expect(Object.keys(body.spec.dsseV002)).toEqual(['payloadHash', 'signatures'])
      expect(body.spec.dsseV002.signatures).toHaveLength(1)
    })

    it('serves tiles and entry bundles from which the log’s own inclusion proofs recompute', async () => {
      const bodies: Uint8Array[] = []
      const entries: V2Entry[] = []
      for (let chunk = 0; chunk < 6; chunk++) {
        const made = await Promise.all(
          Array.from({ length: 100 }, () => post(app, hashedRekordRequest(signer).request)),
        )
        for (const result of made) {
          expect(result.status).toBe(201)
          entries.push(result.json)
        }
      }
      entries.sort((left, right) => Number(left.logIndex) - Number(right.logIndex))
      for (const entry of entries) bodies.push(new Uint8Array(Buffer.from(entry.canonicalizedBody, 'base64')))
      expect(entries.map((entry) => Number(entry.logIndex))).toEqual(
        Array.from({ length: 600 }, (_, index) => index),
      )

      const checkpointResponse = await app.request('/api/v2/checkpoint')
      expect(checkpointResponse.headers.get('content-type')).toMatch(/^text\/plain/)
      const checkpoint = verifyCheckpoint(await checkpointResponse.text(), {
        publicKey: logKey.publicKeyPem,
        name: KEY_NAME,
      })
      expect(checkpoint.treeSize).toBe(600n)

      // Level 0: two full tiles and a partial one of 600 − 512 = 88 hashes.
      const leafHashes = [
        ...split32(await bytesOf(app, '/api/v2/tile/0/000')),
        ...split32(await bytesOf(app, '/api/v2/tile/0/001')),
        ...split32(await bytesOf(app, '/api/v2/tile/0/002.p/88')),
      ]
      expect(leafHashes).toHaveLength(600)
      expect(leafHashes).toEqual(bodies.map((body) => hashLeaf(body)))
      expect((await app.request('/api/v2/tile/0/002')).status).toBe(404)
      expect((await app.request('/api/v2/tile/0/002.p/89')).status).toBe(404)
      // A narrower partial tile is a prefix of the wider one.
      expect(split32(await bytesOf(app, '/api/v2/tile/0/002.p/5'))).toEqual(leafHashes.slice(512, 517))
      // Level 1 holds the roots of each 256-leaf subtree: two so far.
      const level1 = split32(await bytesOf(app, '/api/v2/tile/1/000.p/2'))
      expect(level1).toEqual([mth(leafHashes.slice(0, 256)), mth(leafHashes.slice(256, 512))])
      expect(mth(leafHashes)).toEqual(checkpoint.rootHash)

      // Entry bundles: 16-bit big-endian length, then the canonical body.
      const bundle = await bytesOf(app, '/api/v2/tile/entries/002.p/88')
      const fromBundle: Uint8Array[] = []
      for (let offset = 0; offset < bundle.length; ) {
        const length = (bundle[offset]! << 8) | bundle[offset + 1]!
        fromBundle.push(bundle.slice(offset + 2, offset + 2 + length))
        offset += 2 + length
      }
      expect(fromBundle).toEqual(bodies.slice(512))

      // Proofs computed from the tiles equal the ones the log hands out.
      for (const index of [0, 1, 255, 256, 300, 511, 512, 599]) {
        const logged = await log.getEntryByIndex(index)
        const fromTiles = path(index, leafHashes).map((hash) => Buffer.from(hash).toString('hex'))
        expect(logged?.verification?.inclusionProof?.hashes).toEqual(fromTiles)
      }
    })

    it('refuses bad requests with 4xx JSON and appends nothing', async () => {
      expect((await post(app, hashedRekordRequest(signer).request)).status).toBe(201)
      const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey
      const valid = hashedRekordRequest(signer)
      const bad: Array<[string, unknown]> = [
        ['not JSON', '{'],
        ['neither request', {}],
        ['both requests', { ...valid.request, ...dsseRequest(signer).request }],
        ['a v1 proposed entry', { kind: 'hashedrekord', apiVersion: '0.0.1', spec: {} }],
        [
          'mismatched key details',
          hashedRekordRequest(signer, { keyDetails: 'PKIX_ECDSA_P384_SHA_384' }).request,
        ],
        [
          'a P-384 key labelled P-256',
          hashedRekordRequest(p384, { keyDetails: 'PKIX_ECDSA_P256_SHA_256' }).request,
        ],
        ['unknown key details', hashedRekordRequest(signer, { keyDetails: 'PKIX_ECDSA_P999' }).request],
        ['pure Ed25519 over a digest', hashedRekordRequest(signer, { keyDetails: 'PKIX_ED25519' }).request],
        [
          'a key sent as a certificate',
          hashedRekordRequest(signer, {
            verifier: {
              keyDetails: 'PKIX_ECDSA_P256_SHA_256',
              x509Certificate: keyVerifier(signer).publicKey,
            },
          }).request,
        ],
        [
          'a short digest',
          {
            hashedRekordRequestV002: {
              ...valid.request.hashedRekordRequestV002,
              digest: Buffer.alloc(20).toString('base64'),
            },
          },
        ],
        [
          'a wrong signature',
          {
            hashedRekordRequestV002: {
              ...valid.request.hashedRekordRequestV002,
              digest: Buffer.alloc(32, 7).toString('base64'),
            },
          },
        ],
        [
          'a DSSE signature by another key',
          (() => {
            const other = dsseRequest(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey).request
            other.dsseRequestV002.verifiers = [keyVerifier(signer)]
            return other
          })(),
        ],
      ]
      const before = await log.getCheckpoint()
      for (const [what, body] of bad) {
        const response = await post(app, body)
        expect(response.status, what).toBe(400)
        expect(response.json.code, what).toBe(3)
        expect(typeof response.json.message, what).toBe('string')
      }
      const duplicate = await post(app, await (async () => valid.request)())
      expect(duplicate.status).toBe(201)
      const again = await post(app, valid.request)
      expect(again.status).toBe(409)
      expect(again.headers.get('x-log-index')).toBe(duplicate.json.logIndex)
      const huge = await app.request('/api/v2/log/entries', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ junk: 'x'.repeat(5 * 1024 * 1024) }),
      })
      expect(huge.status).toBe(413)
      // Only the one good entry was added after `before`.
      const after = verifyCheckpoint(await log.getCheckpoint(), {
        publicKey: logKey.publicKeyPem,
        name: KEY_NAME,
      })
      expect(after.treeSize).toBe(
        verifyCheckpoint(before, { publicKey: logKey.publicKeyPem, name: KEY_NAME }).treeSize + 1n,
      )
      for (const malformed of [
        '/api/v2/tile/0/x000/001',
        '/api/v2/tile/0/1',
        '/api/v2/tile/0/000.p/0',
        '/api/v2/tile/0/000.p/256',
        '/api/v2/tile/00/000',
      ]) {
        expect((await app.request(malformed)).status, malformed).toBe(400)
      }
      expect((await app.request('/api/v2/tile/9/000.p/1')).status).toBe(400)
    })

    it('continues gaplessly after a restart with the same key and keeps one shard', async () => {
      for (let index = 0; index < 3; index++)
        expect((await post(app, hashedRekordRequest(signer).request)).status).toBe(201)
      await log.close()
      log = await createTransparencyLog({ storage, baseUrl: BASE_URL, apiVersion: 2, key: logKey.privateKey })
      app = createRekorV2Api(log)
      const next = await post(app, hashedRekordRequest(signer).request)
      expect(next.json.logIndex).toBe('3')
      expect(next.json.inclusionProof.checkpoint.envelope.split('\n')[0]).toBe(KEY_NAME)
      expect(await log.listShards()).toHaveLength(1)
      await expect(log.rotateKey()).rejects.toMatchObject({ code: 'TLOG_INVALID_REQUEST' })
      const root = await log.exportTrustedRoot()
      expect(root.tlogs[0]?.checkpointKeyId).toEqual(root.tlogs[0]?.logId)
    })
  })
}
