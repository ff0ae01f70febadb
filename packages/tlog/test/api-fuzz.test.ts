import { createMemoryStorage } from '@certus-trust/storage'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createRekorApi, createTransparencyLog } from '../src/index.js'
import { hashedRekordEntry } from './entries.js'

// Property: whatever JSON a client sends, the API answers 4xx with Rekor's error shape (or 2xx), never a 500.
describe('Rekor API under arbitrary input', () => {
  it('never answers 5xx to arbitrary JSON bodies, mutated entries or query strings', async () => {
    const log = await createTransparencyLog({ storage: createMemoryStorage() })
    const app = createRekorApi(log)
    const valid = hashedRekordEntry().proposed
    await log.createEntry(valid)
    const paths = ['/api/v1/log/entries', '/api/v1/log/entries/retrieve', '/api/v1/index/retrieve']
    // Replace one leaf of a valid entry with arbitrary JSON: gets deeper into validation than random bodies.
    const mutate = (value: unknown, replacement: unknown, choice: number): unknown => {
      if (value === null || typeof value !== 'object') return replacement
      const keys = Object.keys(value)
      const key = keys[choice % keys.length]!
      return {
        ...(value as Record<string, unknown>),
        [key]: mutate((value as Record<string, unknown>)[key], replacement, Math.floor(choice / 7)),
      }
    }
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.jsonValue(),
        fc.nat(),
        fc.boolean(),
        async (path, json, choice, useMutation) => {
          const body = useMutation ? mutate(valid, json, choice) : json
          const response = await app.request(path, {
            method: 'POST',
            body: JSON.stringify(body),
            headers: { 'content-type': 'application/json' },
          })
          expect(response.status, JSON.stringify(body).slice(0, 200)).toBeLessThan(500)
          if (response.status >= 400)
            expect(((await response.json()) as { code: number }).code).toBe(response.status)
        },
      ),
      { numRuns: 300 },
    )
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), async (first, last) => {
        const query = new URLSearchParams({ firstSize: first, lastSize: last, logIndex: first })
        for (const path of [
          '/api/v1/log/proof',
          '/api/v1/log/entries',
          `/api/v1/log/entries/${encodeURIComponent(first) || 'x'}`,
        ]) {
          const response = await app.request(`${path}?${query}`)
          expect(response.status).toBeLessThan(500)
        }
      }),
      { numRuns: 200 },
    )
    await log.close()
  })
})
