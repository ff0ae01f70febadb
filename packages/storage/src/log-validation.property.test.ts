import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { LogLeaf, LogNode, LogTreeHead } from './log-storage.js'
import {
  copyBytes,
  LogLeafSchema,
  LogNodeSchema,
  LogTreeHeadSchema,
  normalizeLogLeaves,
  normalizeLogNodes,
  normalizeLogTreeHead,
} from './log-validation.js'

// The plain predicates in front of the schemas must change nothing: for any input, normalising gives what the
// schema alone gave before them — the same copy, or the same error with the same issues.

const TREE = '42'
const oneOf = <T>(...values: T[]) => fc.constantFrom(...values)
const anything = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.string({ maxLength: 4 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.string({ maxLength: 2 }), { maxLength: 2 }),
)
// Mostly valid values (the plain predicates must see many they accept), sometimes anything else.
const mostly = (valid: fc.Arbitrary<unknown>, invalid: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: valid, weight: 10 }, { arbitrary: invalid, weight: 1 })
const bytes = (length?: number) =>
  length === undefined
    ? fc.uint8Array({ maxLength: 40 })
    : fc.uint8Array({ minLength: length, maxLength: length })
const treeIds = mostly(
  fc.constant(TREE),
  fc.oneof(oneOf('7', '0', '01', '9223372036854775808', ''), anything),
)
const indexes = mostly(
  fc.oneof(fc.nat(), oneOf(0, -0, Number.MAX_SAFE_INTEGER)),
  fc.oneof(oneOf(-1, 1.5, 2 ** 53, Number.NaN), anything),
)
const hashes = mostly(
  fc.oneof(bytes(32), fc.constant(Buffer.alloc(32, 1))),
  fc.oneof(bytes(31), bytes(33), anything),
)
const texts = mostly(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.oneof(oneOf('', 'a\u0000b', '\uD800', 'x'.repeat(1025)), anything),
)
const dates = mostly(fc.date({ noInvalidDate: true }), fc.oneof(fc.constant(new Date(Number.NaN)), anything))
/** Counts the inputs that normalised to a value: each property must see many (the predicates' path). */
const counter = () => {
  let values = 0
  return {
    see(result: unknown) {
      if (typeof result === 'object' && result !== null && 'value' in result) values += 1
    },
    check(runs: number) {
      expect(values).toBeGreaterThan(runs / 10)
      expect(values).toBeLessThan(runs)
    },
  }
}

/** Runs `normalize`, giving its value or the error's code, message and issues. */
function outcome(normalize: () => unknown): unknown {
  try {
    return { value: normalize() }
  } catch (error) {
    const { code, message, details } = error as { code: string; message: string; details: unknown }
    return { code, message, details }
  }
}

/** What the schemas alone did before the predicates (the code as it was). */
function referenceLeaf(leaf: unknown): LogLeaf[] {
  const parsed = LogLeafSchema.safeParse(leaf)
  if (!parsed.success)
    throw Object.assign(new Error('invalid log leaf'), {
      code: 'STORAGE_INVALID_RECORD',
      details: {
        issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      },
    })
  const value = parsed.data
  if (value.treeId !== TREE)
    throw Object.assign(new Error('log leaf belongs to a different tree than the one locked'), {
      code: 'STORAGE_INVALID_RECORD',
      details: { issues: [{ path: 'treeId', message: 'does not match the locked tree' }] },
    })
  return [
    {
      treeId: value.treeId,
      leafIndex: value.leafIndex,
      leafHash: copyBytes(value.leafHash),
      body: copyBytes(value.body),
      integratedTime: value.integratedTime,
      signedEntryTimestamp: copyBytes(value.signedEntryTimestamp),
      searchKeys: [...new Set(value.searchKeys)],
    },
  ]
}

describe('log validation: the plain predicates change no outcome', () => {
  it('leaves', () => {
    const leaves = fc.record({
      treeId: treeIds,
      leafIndex: indexes,
      leafHash: hashes,
      body: mostly(bytes(), anything),
      integratedTime: indexes,
      signedEntryTimestamp: mostly(bytes(), anything),
      searchKeys: mostly(fc.array(fc.oneof(texts, oneOf('k', 'k2')), { maxLength: 4 }), anything),
    })
    const seen = counter()
    fc.assert(
      fc.property(leaves, (leaf) => {
        const result = outcome(() => normalizeLogLeaves(TREE, [leaf as LogLeaf]))
        expect(result).toEqual(outcome(() => referenceLeaf(leaf)))
        seen.see(result)
      }),
      { numRuns: 2000 },
    )
    seen.check(2000)
  })

  it('nodes', () => {
    const nodes = fc.record({
      level: mostly(fc.integer({ min: 0, max: 64 }), fc.oneof(oneOf(-1, 65, 1.5, Number.NaN), anything)),
      index: indexes,
      hash: hashes,
    })
    const reference = (node: unknown): LogNode[] => {
      const parsed = LogNodeSchema.safeParse(node)
      if (!parsed.success)
        throw Object.assign(new Error('invalid log node'), {
          code: 'STORAGE_INVALID_RECORD',
          details: {
            issues: parsed.error.issues.map((issue) => ({
              path: issue.path.join('.'),
              message: issue.message,
            })),
          },
        })
      return [{ level: parsed.data.level, index: parsed.data.index, hash: copyBytes(parsed.data.hash) }]
    }
    const seen = counter()
    fc.assert(
      fc.property(nodes, (node) => {
        const result = outcome(() => normalizeLogNodes(TREE, TREE, [node as LogNode]))
        expect(result).toEqual(outcome(() => reference(node)))
        seen.see(result)
      }),
      { numRuns: 2000 },
    )
    seen.check(2000)
  })

  it('tree heads', () => {
    const heads = fc.record({
      treeId: treeIds,
      treeSize: indexes,
      rootHash: hashes,
      checkpoint: texts,
      createdAt: dates,
    })
    const reference = (head: unknown): LogTreeHead => {
      const parsed = LogTreeHeadSchema.safeParse(head)
      if (!parsed.success)
        throw Object.assign(new Error('invalid log tree head'), {
          code: 'STORAGE_INVALID_RECORD',
          details: {
            issues: parsed.error.issues.map((issue) => ({
              path: issue.path.join('.'),
              message: issue.message,
            })),
          },
        })
      const value = parsed.data
      if (value.treeId !== TREE)
        throw Object.assign(new Error('write targets a different tree than the one locked'), {
          code: 'STORAGE_INVALID_RECORD',
          details: { issues: [{ path: 'treeId', message: 'does not match the locked tree' }] },
        })
      return {
        treeId: value.treeId,
        treeSize: value.treeSize,
        rootHash: copyBytes(value.rootHash),
        checkpoint: value.checkpoint,
        createdAt: new Date(value.createdAt.getTime()),
      }
    }
    const seen = counter()
    fc.assert(
      fc.property(heads, (head) => {
        const result = outcome(() => normalizeLogTreeHead(TREE, head as LogTreeHead))
        expect(result).toEqual(outcome(() => reference(head)))
        seen.see(result)
      }),
      { numRuns: 2000 },
    )
    seen.check(2000)
  })
})
