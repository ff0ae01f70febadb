import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { canonicalJson } from '@certus-trust/core'
import { hashChildren, hashLeaf, noteKeyId, signCheckpoint } from '@certus-trust/log-protocol'
import { KEY_DETAILS_HASH, type PublicKeyDetails } from '@certus-trust/log-protocol/entries'
import { HttpResponse, http } from 'msw'

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
const HASH_NAMES = { sha256: 'SHA2_256', sha384: 'SHA2_384', sha512: 'SHA2_512' } as const

// biome-ignore lint/suspicious/noExplicitAny: wire JSON is walked loosely here, as a server validating it would
type WireJson = Record<string, any>
type Verifier = {
  publicKey?: { rawBytes: string }
  x509Certificate?: { rawBytes: string }
  keyDetails: string
}

/**
 * An in-memory Rekor v2 (rekor-tiles) behind msw handlers, reproducing its wire shapes: `POST /api/v2/log/entries`
 * answered 201 with a protojson TransparencyLogEntry (EmitUnpopulated: `integratedTime "0"`, `inclusionPromise
 * null`), grpc-gateway error bodies, a 409 with `x-log-index`, and the C2SP tlog-tiles read paths. The tree keeps
 * every complete node per height (its own RFC 6962 code, independent of the client's tile arithmetic).
 */
export class FakeRekorV2 {
  readonly baseUrl: string
  readonly origin: string
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  readonly keyId: Uint8Array
  /** nodes[h][i] = hash of the complete subtree of height h at position i. */
  readonly nodes: Uint8Array[][] = [[]]
  readonly bodies: Uint8Array[] = []
  readonly requests: Array<{ method: string; url: string }> = []
  /** Tampering switches for negative tests. */
  tamper: { body?: boolean; proof?: boolean; checkpointKey?: KeyObject } = {}

  constructor(baseUrl = 'https://log2099.rekor.fake.test') {
    this.baseUrl = baseUrl
    this.origin = new URL(baseUrl).host
    const pair = generateKeyPairSync('ed25519')
    this.privateKey = pair.privateKey
    this.publicKey = pair.publicKey
    this.keyId = noteKeyId(this.origin, this.publicKey)
  }

  get size(): number {
    return this.nodes[0]!.length
  }

  /** Appends raw leaves (bulk, to reach higher tile levels). */
  appendRaw(body: Uint8Array): number {
    const index = this.size
    this.bodies.push(body)
    this.nodes[0]!.push(hashLeaf(body))
    let height = 0
    let position = index
    while (position % 2 === 1) {
      const row = this.nodes[height]!
      const parent = hashChildren(row[position - 1]!, row[position]!)
      this.nodes[height + 1] ??= []
      this.nodes[height + 1]!.push(parent)
      height++
      position = (position - 1) / 2
    }
    return index
  }

  /** MTH(D[start:start+count]) from complete nodes. */
  range(start: number, count: number): Uint8Array {
    if ((count & (count - 1)) === 0 && start % count === 0)
      return this.nodes[Math.log2(count)]![start / count]!
    let k = 1
    while (k * 2 < count) k *= 2
    return hashChildren(this.range(start, k), this.range(start + k, count - k))
  }

  proof(index: number, size: number): Uint8Array[] {
    const path: Uint8Array[] = []
    let start = 0
    let count = size
    while (count > 1) {
      let k = 1
      while (k * 2 < count) k *= 2
      if (index - start < k) {
        path.unshift(this.range(start + k, count - k))
        count = k
      } else {
        path.unshift(this.range(start, k))
        start += k
        count -= k
      }
    }
    return path
  }

  checkpoint(size = this.size): string {
    const key = this.tamper.checkpointKey ?? this.privateKey
    return signCheckpoint(
      { origin: this.origin, treeSize: size, rootHash: this.range(0, size) },
      { name: this.origin, privateKey: key, keyHint: this.keyId.slice(0, 4) },
    )
  }

  entryJson(index: number, kind: string): Record<string, unknown> {
    const size = this.size
    const hashes = this.proof(index, size)
    if (this.tamper.proof && hashes.length > 0) hashes[0] = new Uint8Array(32).fill(7)
    return {
      logIndex: String(index),
      logId: { keyId: b64(this.keyId) },
      kindVersion: { kind, version: '0.0.2' },
      integratedTime: '0',
      inclusionPromise: null,
      inclusionProof: {
        logIndex: String(index),
        rootHash: b64(this.range(0, size)),
        treeSize: String(size),
        hashes: hashes.map(b64),
        checkpoint: { envelope: this.checkpoint(size) },
      },
      canonicalizedBody: b64(this.bodies[index]!),
    }
  }

  /** Validates a create request like rekor-tiles does (shape, digest length vs key details) and builds the body. */
  body(request: WireJson): { kind: string; body: Record<string, unknown> } | string {
    const hashed = request.hashedRekordRequestV002
    if (hashed) {
      const verifier = hashed.signature?.verifier as Verifier | undefined
      const hash = KEY_DETAILS_HASH[verifier?.keyDetails as PublicKeyDetails]
      const digest = Buffer.from(String(hashed.digest ?? ''), 'base64')
      if (!verifier || (!verifier.publicKey && !verifier.x509Certificate)) return 'missing verifier'
      if (!hash || digest.length !== { sha256: 32, sha384: 48, sha512: 64 }[hash])
        return 'digest length mismatch'
      return {
        kind: 'hashedrekord',
        body: {
          apiVersion: '0.0.2',
          kind: 'hashedrekord',
          spec: {
            hashedRekordV002: {
              data: { algorithm: HASH_NAMES[hash], digest: hashed.digest },
              signature: { content: hashed.signature.content, verifier },
            },
          },
        },
      }
    }
    const dsse = request.dsseRequestV002
    if (!dsse?.envelope || !Array.isArray(dsse.verifiers) || dsse.verifiers.length === 0)
      return 'invalid request'
    const payloadHash = createHash('sha256').update(Buffer.from(dsse.envelope.payload, 'base64'))
    return {
      kind: 'dsse',
      body: {
        apiVersion: '0.0.2',
        kind: 'dsse',
        spec: {
          dsseV002: {
            payloadHash: { algorithm: 'SHA2_256', digest: payloadHash.digest('base64') },
            signatures: dsse.envelope.signatures.map((signature: { sig: string }) => ({
              content: signature.sig,
              verifier: dsse.verifiers[0],
            })),
          },
        },
      },
    }
  }

  handlers() {
    return [
      http.post(`${this.baseUrl}/api/v2/log/entries`, async ({ request }) => {
        this.requests.push({ method: 'POST', url: request.url })
        const built = this.body((await request.json()) as WireJson)
        if (typeof built === 'string') {
          return HttpResponse.json({ code: 3, message: built, details: [] }, { status: 400 })
        }
        const bytes = new TextEncoder().encode(canonicalJson(built.body))
        const leaf = Buffer.from(hashLeaf(bytes)).toString('hex')
        const existing = this.nodes[0]!.findIndex((hash) => Buffer.from(hash).toString('hex') === leaf)
        if (existing >= 0) {
          return HttpResponse.json(
            { code: 6, message: 'an equivalent entry already exists in the transparency log', details: [] },
            { status: 409, headers: { 'x-log-index': String(existing) } },
          )
        }
        const index = this.appendRaw(bytes)
        const json = this.entryJson(index, built.kind)
        if (this.tamper.body) {
          const other = JSON.parse(Buffer.from(json.canonicalizedBody as string, 'base64').toString())
          other.spec[Object.keys(other.spec)[0]!].signature = { content: 'AAAA', verifier: {} }
          json.canonicalizedBody = Buffer.from(JSON.stringify(other)).toString('base64')
        }
        return HttpResponse.json(json, { status: 201 })
      }),
      http.get(`${this.baseUrl}/checkpoint`, () => HttpResponse.text(this.checkpoint())),
      http.get(new RegExp(`^${this.baseUrl.replace(/[.]/g, '\\.')}/tile/(.+)$`), ({ request }) => {
        this.requests.push({ method: 'GET', url: request.url })
        const tile = this.tile(new URL(request.url).pathname.slice('/tile/'.length))
        return tile ? new HttpResponse(tile, { status: 200 }) : new HttpResponse(null, { status: 404 })
      }),
    ]
  }

  /** Serves `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`; undefined (404) when the tile does not exist yet. */
  tile(path: string): Uint8Array | undefined {
    const match = /^(entries|\d+)\/((?:x\d{3}\/)*\d{3})(?:\.p\/(\d+))?$/.exec(path)
    if (!match) return undefined
    const index = Number(match[2]!.replace(/x|\//g, ''))
    const width = match[3] ? Number(match[3]) : 256
    const height = match[1] === 'entries' ? 0 : 8 * Number(match[1])
    const row = this.nodes[height] ?? []
    if (width < 1 || width > 256 || row.length < index * 256 + width) return undefined
    if (match[1] !== 'entries') return Buffer.concat(row.slice(index * 256, index * 256 + width))
    const parts = this.bodies.slice(index * 256, index * 256 + width).map((body) => {
      const prefix = Buffer.alloc(2)
      prefix.writeUInt16BE(body.length)
      return Buffer.concat([prefix, body])
    })
    return Buffer.concat(parts)
  }
}
