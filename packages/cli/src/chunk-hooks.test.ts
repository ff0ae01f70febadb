import { describe, expect, it, vi } from 'vitest'
import { chunkHooks } from './chunk-hooks.js'

const DIST = 'file:///opt/certus/dist/'
const { resolve, load } = chunkHooks(DIST)

describe('chunkHooks', () => {
  it('resolves a chunk imported by a chunk to the file beside it, as an ES module, without Node', () => {
    const next = vi.fn()
    expect(
      resolve(
        './chunk-ABC.js',
        { parentURL: `${DIST}sign-X.js`, conditions: [], importAttributes: {} },
        next,
      ),
    ).toEqual({
      url: `${DIST}chunk-ABC.js`,
      format: 'module',
      shortCircuit: true,
    })
    expect(next).not.toHaveBeenCalled()
  })

  it('hands everything else to Node: built-ins, packages, other directories, files that are not chunks', () => {
    const next = vi.fn(() => ({ url: 'node:fs' }))
    const cases: Array<[string, string | undefined]> = [
      ['node:fs', `${DIST}bin.js`],
      ['@sigstore/bundle', `${DIST}chunk-A.js`],
      ['./chunk-A.js', 'file:///elsewhere/app.js'],
      ['./chunk-A.js', undefined],
      ['../outside.js', `${DIST}chunk-A.js`],
      ['./data.json', `${DIST}chunk-A.js`],
    ]
    for (const [specifier, parentURL] of cases) {
      const context = { parentURL, conditions: [], importAttributes: {} }
      resolve(specifier, context, next)
      expect(next).toHaveBeenLastCalledWith(specifier, context)
    }
    expect(next).toHaveBeenCalledTimes(cases.length)
  })

  it('loads a chunk as an ES module (no package.json lookup) and anything else as Node decides', () => {
    const next = vi.fn(() => ({ format: 'module' as const, source: '' }))
    const context = { conditions: [], importAttributes: {}, format: undefined }
    load(`${DIST}chunk-A.js`, context, next)
    expect(next).toHaveBeenLastCalledWith(`${DIST}chunk-A.js`, { ...context, format: 'module' })
    load('node:fs', context, next)
    expect(next).toHaveBeenLastCalledWith('node:fs', context)
    load('file:///elsewhere/x.js', context, next)
    expect(next).toHaveBeenLastCalledWith('file:///elsewhere/x.js', context)
  })
})
