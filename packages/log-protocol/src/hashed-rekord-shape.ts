/**
 * The hashedrekord 0.0.1 shape, the same in a proposed entry and in a stored body:
 * `{ apiVersion, kind, spec: { data: { hash: { algorithm, value } }, signature: { content, publicKey: { content } } } }`.
 */
export interface HashedRekordShape {
  apiVersion: '0.0.1'
  kind: 'hashedrekord'
  spec: {
    data: { hash: { algorithm: 'sha256' | 'sha384' | 'sha512'; value: string } }
    signature: { content: string; publicKey: { content: string } }
  }
}

// What zod's `z.object` takes for an object: not null, not an array.
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value !== ''

/**
 * Reads a hashedrekord 0.0.1 entry without zod when it has the usual shape: every member present with its type, the
 * algorithm one of sha256/sha384/sha512, every string non-empty. Returns a new object holding just those members —
 * what the zod schemas of a proposed entry (tlog) and of a stored body (`parseEntryBody`) return for such input, with
 * unknown members dropped — or `undefined` for anything else, which the caller hands to its zod schema for the
 * verdict and the error's issues. It never accepts what those schemas reject (property tests hold it to both).
 *
 * Why: the first parse by a zod schema in a process initialises that schema (~4 ms each for the two schemas
 * `certus sign` meets, a third of its own work; issue 11), and on a busy server this check is cheaper than zod's.
 */
export function readHashedRekordShape(value: unknown): HashedRekordShape | undefined {
  if (!isObject(value) || value.apiVersion !== '0.0.1' || value.kind !== 'hashedrekord') return undefined
  const spec = value.spec
  if (!isObject(spec)) return undefined
  const { data, signature } = spec
  if (!isObject(data) || !isObject(signature)) return undefined
  const { hash } = data
  const { content, publicKey } = signature
  if (!isObject(hash) || !isObject(publicKey)) return undefined
  const { algorithm, value: digest } = hash
  const { content: key } = publicKey
  if (algorithm !== 'sha256' && algorithm !== 'sha384' && algorithm !== 'sha512') return undefined
  if (!isNonEmptyString(digest) || !isNonEmptyString(content) || !isNonEmptyString(key)) return undefined
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm, value: digest } },
      signature: { content, publicKey: { content: key } },
    },
  }
}
