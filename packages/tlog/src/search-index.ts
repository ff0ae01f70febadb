import { parseKeyMaterial, publicKeySearchKey } from './entry-validation.js'
import { fail } from './errors.js'
import { assertOpen, entryId, findShard, type LogState } from './log-state.js'
import { MAX_SEARCH_RESULTS, type SearchIndexQuery } from './log-types.js'
import { read } from './shard.js'

const HASH_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 }

/** The index keys a query asks for (`sha256:<hex>`, a key fingerprint, `email:`, `subject:`). */
function searchKeysOf(query: SearchIndexQuery): string[] {
  if (typeof query !== 'object' || query === null)
    fail('TLOG_INVALID_REQUEST', 'a search needs a query object')
  const keys: string[] = []
  if (query.hash !== undefined) {
    const match = /^(?:(sha256|sha384|sha512):)?([0-9a-fA-F]+)$/.exec(String(query.hash))
    const algorithm = match?.[1] ?? 'sha256'
    if (!match || match[2]!.length !== HASH_LENGTHS[algorithm])
      fail('TLOG_INVALID_REQUEST', 'hash must be <algorithm>:<hex> with a matching length')
    keys.push(`${algorithm}:${match[2]!.toLowerCase()}`)
  }
  if (query.publicKey !== undefined) keys.push(publicKeyKey(query.publicKey))
  if (query.email !== undefined) keys.push(`email:${String(query.email).toLowerCase()}`)
  if (query.subject !== undefined) keys.push(`subject:${String(query.subject).toLowerCase()}`)
  if (keys.length === 0) fail('TLOG_INVALID_REQUEST', 'a search needs hash, publicKey, email or subject')
  return keys
}

function publicKeyKey(publicKey: SearchIndexQuery['publicKey']): string {
  if (publicKey?.format !== 'x509') fail('TLOG_INVALID_REQUEST', 'only x509 public keys can be searched for')
  if (typeof publicKey.content !== 'string')
    fail('TLOG_INVALID_REQUEST', 'publicKey.content must be base64 PEM')
  try {
    return publicKeySearchKey(parseKeyMaterial(publicKey.content, 'publicKey.content').key)
  } catch (error) {
    return fail(
      'TLOG_INVALID_REQUEST',
      'publicKey.content is not a readable key or certificate',
      undefined,
      error,
    )
  }
}

/** Entry IDs matching a hash, public key, email or subject (`or` by default), at most {@link MAX_SEARCH_RESULTS}. */
export async function searchIndex(state: LogState, query: SearchIndexQuery): Promise<string[]> {
  assertOpen(state)
  const keys = searchKeysOf(query)
  const operator = query.operator ?? 'or'
  if (operator !== 'and' && operator !== 'or') fail('TLOG_INVALID_REQUEST', 'operator must be "and" or "or"')
  const hitSets: Array<Set<string>> = []
  for (const searchKey of keys) {
    const hits = await read('searching the index', () =>
      state.storage.findLeavesBySearchKey(searchKey, MAX_SEARCH_RESULTS),
    )
    hitSets.push(new Set(hits.map((hit) => `${hit.treeId}:${hit.leafIndex}`)))
  }
  const combined =
    operator === 'or'
      ? new Set(hitSets.flatMap((set) => [...set]))
      : new Set([...hitSets[0]!].filter((hit) => hitSets.every((set) => set.has(hit))))
  const ids: string[] = []
  for (const hit of [...combined].slice(0, MAX_SEARCH_RESULTS)) {
    const separator = hit.indexOf(':')
    const shard = await findShard(state, hit.slice(0, separator))
    if (!shard) continue
    const leaf = await read('reading a leaf', () =>
      state.storage.getLeafByIndex(shard.tree.treeId, Number(hit.slice(separator + 1))),
    )
    if (leaf) ids.push(entryId(shard, leaf.leafHash))
  }
  return ids
}
