import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import {
  hashChildren,
  hashLeaf,
  logIdFromPublicKey,
  signCheckpoint,
  signSignedEntryTimestamp,
} from '@certus-trust/log-protocol'
import {
  canonicalizeProposedEntry,
  type ProposedEntry,
  parseEntryBody,
} from '@certus-trust/log-protocol/entries'
import { HttpResponse, http } from 'msw'

const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

function largestPowerOfTwoBelow(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}
function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!
  const k = largestPowerOfTwoBelow(leaves.length)
  return hashChildren(mth(leaves.slice(0, k)), mth(leaves.slice(k)))
}
function path(m: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return []
  const k = largestPowerOfTwoBelow(leaves.length)
  return m < k
    ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))]
    : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))]
}
function subproof(m: number, leaves: Uint8Array[], complete: boolean): Uint8Array[] {
  if (m === leaves.length) return complete ? [] : [mth(leaves)]
  const k = largestPowerOfTwoBelow(leaves.length)
  return m <= k
    ? [...subproof(m, leaves.slice(0, k), complete), mth(leaves.slice(k))]
    : [...subproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))]
}

/**
 * An in-memory Rekor v1 behind msw handlers, reproducing the real request/response shapes: entries keyed by the
 * 80-hex entry ID, `ETag`/`Location` on 201, a 409 with Rekor's message and `Location`, empty-body 404s,
 * `{code, message}` error bodies, PEM public key. Leaves are hashed with the package's own functions, but the
 * tree is built with a naive RFC 6962 implementation.
 */
export class FakeRekor {
  readonly baseUrl: string
  readonly treeId = 1193050959916656506n
  readonly hostname: string
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  readonly logId: string
  readonly bodies: Uint8Array[] = []
  readonly times: number[] = []
  /** Every request the fake saw, for assertions. */
  readonly requests: Array<{ method: string; url: string; body?: unknown; headers: Headers }> = []
  now = 1_700_000_000

  constructor(baseUrl = 'https://rekor.fake.test') {
    this.baseUrl = baseUrl
    this.hostname = new URL(baseUrl).host
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    this.privateKey = pair.privateKey
    this.publicKey = pair.publicKey
    this.logId = logIdFromPublicKey(this.publicKey)
  }

  get treePrefix(): string {
    return this.treeId.toString(16).padStart(16, '0')
  }

  get publicKeyPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString()
  }

  checkpoint(size = this.bodies.length): string {
    const root = mth(this.bodies.slice(0, size).map(hashLeaf))
    return signCheckpoint(
      { origin: `${this.hostname} - ${this.treeId}`, treeSize: size, rootHash: root },
      { name: this.hostname, privateKey: this.privateKey },
    )
  }

  /** The REST LogEntry map for leaf `index`, with a proof against the current tree. */
  entryJson(index: number): Record<string, unknown> {
    const body = Buffer.from(this.bodies[index]!).toString('base64')
    const leaves = this.bodies.map(hashLeaf)
    const uuid = toHex(leaves[index]!)
    const payload = { body, integratedTime: this.times[index]!, logID: this.logId, logIndex: index }
    const set = Buffer.from(signSignedEntryTimestamp(payload, this.privateKey)).toString('base64')
    return {
      [`${this.treePrefix}${uuid}`]: {
        ...payload,
        verification: {
          signedEntryTimestamp: set,
          inclusionProof: {
            logIndex: index,
            rootHash: toHex(mth(leaves)),
            treeSize: leaves.length,
            hashes: path(index, leaves).map(toHex),
            checkpoint: this.checkpoint(),
          },
        },
      },
    }
  }

  indexOfUuid(id: string): number {
    const uuid = id.toLowerCase().slice(-64)
    if (id.length === 80 && !id.toLowerCase().startsWith(this.treePrefix)) return -1
    return this.bodies.findIndex((body) => toHex(hashLeaf(body)) === uuid)
  }

  #record(request: Request, body?: unknown) {
    this.requests.push({ method: request.method, url: request.url, body, headers: request.headers })
  }

  handlers() {
    const api = `${this.baseUrl}/api/v1`
    return [
      http.post(`${api}/log/entries`, async ({ request }) => {
        const proposed = (await request.json()) as ProposedEntry
        this.#record(request, proposed)
        let body: Uint8Array
        try {
          body = await canonicalizeProposedEntry(proposed)
        } catch (error) {
          return HttpResponse.json(
            { code: 400, message: `error processing entry: ${(error as Error).message}` },
            { status: 400 },
          )
        }
        const existing = this.indexOfUuid(toHex(hashLeaf(body)))
        if (existing >= 0) {
          const id = `${this.treePrefix}${toHex(hashLeaf(this.bodies[existing]!))}`
          return HttpResponse.json(
            {
              code: 409,
              message: `an equivalent entry already exists in the transparency log with UUID ${id}`,
            },
            { status: 409, headers: { Location: `${api}/log/entries/${id}` } },
          )
        }
        this.bodies.push(body)
        this.times.push(this.now++)
        const json = this.entryJson(this.bodies.length - 1)
        const id = Object.keys(json)[0]!
        return HttpResponse.json(json, {
          status: 201,
          headers: { ETag: id, Location: `${api}/log/entries/${id}` },
        })
      }),
      http.post(`${api}/log/entries/retrieve`, async ({ request }) => {
        const query = (await request.json()) as { entryUUIDs?: string[]; logIndexes?: number[] }
        this.#record(request, query)
        const count = (query.entryUUIDs?.length ?? 0) + (query.logIndexes?.length ?? 0)
        if (count > 10)
          return HttpResponse.json({ code: 422, message: 'maximum number of queries is 10' }, { status: 422 })
        const indexes = [
          ...(query.entryUUIDs ?? []).map((id) => this.indexOfUuid(id)),
          ...(query.logIndexes ?? []),
        ]
        return HttpResponse.json(
          indexes
            .filter((index) => index >= 0 && index < this.bodies.length)
            .map((index) => this.entryJson(index)),
        )
      }),
      http.get(`${api}/log/entries/:id`, ({ request, params }) => {
        this.#record(request)
        const id = String(params.id)
        if (!/^(?:[0-9a-f]{16})?[0-9a-f]{64}$/.test(id))
          return HttpResponse.json({ code: 400, message: 'invalid uuid' }, { status: 400 })
        const index = this.indexOfUuid(id)
        return index < 0 ? new HttpResponse(null, { status: 404 }) : HttpResponse.json(this.entryJson(index))
      }),
      http.get(`${api}/log/entries`, ({ request }) => {
        this.#record(request)
        const value = new URL(request.url).searchParams.get('logIndex')
        const index = Number(value)
        if (value === null || !Number.isInteger(index) || index < 0) {
          return HttpResponse.json({ code: 400, message: 'logIndex must be >= 0' }, { status: 400 })
        }
        return index >= this.bodies.length
          ? new HttpResponse(null, { status: 404 })
          : HttpResponse.json(this.entryJson(index))
      }),
      http.post(`${api}/index/retrieve`, async ({ request }) => {
        const query = (await request.json()) as {
          hash?: string
          publicKey?: { content: string }
          email?: string
        }
        this.#record(request, query)
        const matches: string[] = []
        this.bodies.forEach((bytes, index) => {
          const body = parseEntryBody(Buffer.from(bytes).toString('base64'))
          if (body.kind !== 'hashedrekord') return
          const hashMatch =
            query.hash !== undefined && query.hash.replace(/^sha256:/, '') === body.spec.data.hash.value
          const keyMatch =
            query.publicKey !== undefined &&
            Buffer.from(query.publicKey.content, 'base64').toString() ===
              Buffer.from(body.spec.signature.publicKey.content, 'base64').toString()
          if (hashMatch || keyMatch) matches.push(`${this.treePrefix}${toHex(hashLeaf(this.bodies[index]!))}`)
        })
        return HttpResponse.json(matches)
      }),
      http.get(`${api}/log`, ({ request }) => {
        this.#record(request)
        const leaves = this.bodies.map(hashLeaf)
        return HttpResponse.json({
          rootHash: toHex(leaves.length ? mth(leaves) : new Uint8Array(32)),
          treeSize: leaves.length,
          signedTreeHead: this.checkpoint(),
          treeID: this.treeId.toString(),
        })
      }),
      http.get(`${api}/log/proof`, ({ request }) => {
        this.#record(request)
        const params = new URL(request.url).searchParams
        const first = Number(params.get('firstSize') ?? '1')
        const last = Number(params.get('lastSize'))
        if (!(first >= 1 && first <= last && last <= this.bodies.length)) {
          return HttpResponse.json(
            { code: 400, message: `firstSize(${first}) must be less than or equal to lastSize(${last})` },
            { status: 400 },
          )
        }
        const leaves = this.bodies.map(hashLeaf)
        return HttpResponse.json({
          rootHash: toHex(mth(leaves)),
          hashes: subproof(first, leaves.slice(0, last), true).map(toHex),
        })
      }),
      http.get(`${api}/log/publicKey`, ({ request }) => {
        this.#record(request)
        return new HttpResponse(this.publicKeyPem, { headers: { 'Content-Type': 'application/x-pem-file' } })
      }),
    ]
  }
}
