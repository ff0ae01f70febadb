import type { TrustService } from '@certus-trust/service'
import { describe, expect, it } from 'vitest'
import { createApp, createOpenApiDocument } from './app.js'

type Node = Record<string, unknown>

/** Every `$ref` in the document with the JSON-pointer path where it occurs. */
function collectRefs(node: unknown, path: string, out: Array<{ at: string; ref: string }>): void {
  if (Array.isArray(node)) {
    for (const [index, item] of node.entries()) collectRefs(item, `${path}/${index}`, out)
    return
  }
  if (typeof node !== 'object' || node === null) return
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') out.push({ at: path, ref: value })
    else collectRefs(value, `${path}/${key}`, out)
  }
}

/** Resolves a local JSON pointer (`#/a/b`) against the document; undefined when it leads nowhere. */
function resolvePointer(document: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined
  let node: unknown = document
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~')
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined
    node = (node as Node)[key]
  }
  return node
}

describe('OpenAPI document', () => {
  const document = JSON.parse(JSON.stringify(createOpenApiDocument())) as Node
  const schemas = (document.components as { schemas: Record<string, Node> }).schemas

  it('resolves every $ref inside the document', () => {
    const refs: Array<{ at: string; ref: string }> = []
    collectRefs(document, '#', refs)
    // The document does use references (responses, nested components), so the walk checks something.
    expect(refs.length).toBeGreaterThan(10)
    const broken = refs.filter(({ ref }) => typeof resolvePointer(document, ref) !== 'object')
    expect(broken).toEqual([])
  })

  it('references nested components instead of wrapping them in local $defs', () => {
    const list = schemas.TransparencyList!
    expect(list.$ref).toBeUndefined()
    expect(list.$defs).toBeUndefined()
    expect(list.type).toBe('object')
    expect((list.properties as { entries: { items: unknown } }).entries.items).toEqual({
      $ref: '#/components/schemas/TransparencyEntry',
    })
    expect(JSON.stringify(document)).not.toContain('$defs')
  })

  it('emits plain component schemas (no $schema or $id) for every named schema', () => {
    expect(Object.keys(schemas).sort()).toEqual(
      [
        'Error',
        'Health',
        'Ready',
        'SignRequest',
        'SignResponse',
        'TransparencyEntry',
        'TransparencyList',
        'VerifyRequest',
        'VerifyResponse',
      ].sort(),
    )
    for (const [name, schema] of Object.entries(schemas)) {
      expect(schema.$schema, name).toBeUndefined()
      expect(schema.$id, name).toBeUndefined()
    }
    // Requests describe what the client sends (input): the digest pattern is kept.
    const sign = schemas.SignRequest as { properties: { artifact: { pattern: string } } }
    expect(sign.properties.artifact.pattern).toBe('^sha256:[0-9a-fA-F]{64}$')
  })
})

describe('OpenAPI drift', () => {
  it('documents every route the app serves, and serves every documented route', () => {
    const app = createApp({
      service: {} as TrustService,
      auth: {
        apiKeys: [],
        anonymousRoles: [],
        anonymousLoopbackOnly: true,
        publicReads: false,
        publicMetrics: false,
      },
    })
    // Middleware is registered as method ALL; every other entry is a route handler.
    const served = new Set(
      app.routes
        .filter((route) => route.method !== 'ALL')
        .map((route) => `${route.method} ${route.path.replaceAll(/:([^/]+)/g, '{$1}')}`),
    )
    const document = createOpenApiDocument() as { paths: Record<string, Record<string, unknown>> }
    const documented = new Set(
      Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    )
    expect(served.size).toBeGreaterThanOrEqual(10)
    expect([...served].sort()).toEqual([...documented].sort())
  })
})
