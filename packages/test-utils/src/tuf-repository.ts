import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { canonicalize } from '@tufjs/canonical-json'
import { serveApp } from './serve-app.js'

/** Options of {@link buildTufRepository}. */
export interface TufRepositoryOptions {
  /** The repository's targets by name (e.g. `trusted_root.json`), signed into `targets.json`. */
  targets: Record<string, string | Uint8Array>
  /** Bytes served for a target instead of its signed bytes (to test that the client refuses them). */
  served?: Record<string, string | Uint8Array>
  /** Expiry of every metadata file (ISO 8601). @default '2099-01-01T00:00:00Z' */
  expires?: string
}

/** A signed TUF repository in memory: the initial root and every file a client fetches, by URL path. */
export interface TufRepository {
  /** `root.json` (version 1) as text: what a client is given as its trusted initial root. */
  root: string
  /** Files by URL path below the mirror: `/timestamp.json`, `/1.snapshot.json`, `/targets/<sha256>.<name>`, … */
  files: Map<string, Buffer>
}

type Json = Record<string, unknown>

/**
 * Builds a real TUF repository (spec 1.0.31): root, timestamp, snapshot and targets metadata with consistent
 * snapshots, each signed over canonical JSON with one fresh Ed25519 key that holds every role. @sigstore/tuf
 * reads it as it reads public-good's.
 */
export function buildTufRepository(options: TufRepositoryOptions): TufRepository {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const key = {
    keytype: 'ed25519',
    scheme: 'ed25519',
    keyval: { public: publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex') },
  }
  const keyId = createHash('sha256').update(canonicalize(key)).digest('hex')
  const signed = (body: Json) => signMetadata(body, keyId, privateKey)
  const role = { keyids: [keyId], threshold: 1 }
  const common = { spec_version: '1.0.31', version: 1, expires: options.expires ?? '2099-01-01T00:00:00Z' }
  const root = signed({
    _type: 'root',
    ...common,
    consistent_snapshot: true,
    keys: { [keyId]: key },
    roles: { root: role, targets: role, snapshot: role, timestamp: role },
  })
  const files = new Map<string, Buffer>()
  const targets: Record<string, { length: number; hashes: { sha256: string } }> = {}
  for (const [name, content] of Object.entries(options.targets)) {
    const bytes = Buffer.from(content)
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    targets[name] = { length: bytes.length, hashes: { sha256 } }
    const served = options.served?.[name]
    files.set(`/targets/${sha256}.${name}`, served === undefined ? bytes : Buffer.from(served))
  }
  const snapshot = signed({ _type: 'snapshot', ...common, meta: { 'targets.json': { version: 1 } } })
  const timestamp = signed({ _type: 'timestamp', ...common, meta: { 'snapshot.json': { version: 1 } } })
  files.set('/timestamp.json', Buffer.from(JSON.stringify(timestamp)))
  files.set('/1.snapshot.json', Buffer.from(JSON.stringify(snapshot)))
  files.set('/1.targets.json', Buffer.from(JSON.stringify(signed({ _type: 'targets', ...common, targets }))))
  return { root: JSON.stringify(root), files }
}

function signMetadata(body: Json, keyId: string, privateKey: KeyObject): Json {
  const sig = sign(null, Buffer.from(canonicalize(body)), privateKey).toString('hex')
  return { signed: body, signatures: [{ keyid: keyId, sig }] }
}

/** A TUF repository served over HTTP on 127.0.0.1. */
export interface ServedTufRepository {
  /** The mirror URL (no trailing slash). */
  url: string
  /** Every path requested so far, in order. */
  requests: string[]
  /** Stops serving; the URL then refuses connections (a mirror that is down). */
  close(): Promise<void>
}

/** Serves a {@link TufRepository} as a static TUF mirror (404 for anything else, e.g. `/2.root.json`). */
export async function serveTufRepository(repository: TufRepository): Promise<ServedTufRepository> {
  const requests: string[] = []
  const server = await serveApp()
  server.use({
    fetch(request) {
      const path = new URL(request.url).pathname
      requests.push(path)
      const body = repository.files.get(path)
      return body ? new Response(new Uint8Array(body)) : new Response('not found', { status: 404 })
    },
  })
  return { url: server.url, requests, close: () => server.close() }
}
