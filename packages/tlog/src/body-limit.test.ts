import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { closingBodyLimit } from './body-limit.js'

describe('closingBodyLimit', () => {
  const app = new Hono()
  app.use(closingBodyLimit(16, (c) => c.json({ code: 413, message: 'too large' }, 413)))
  app.post('/', async (c) => c.text(await c.req.text()))

  it('answers an oversize body with the given response and closes the connection', async () => {
    const response = await app.request('/', { method: 'POST', body: 'x'.repeat(17) })
    expect(response.status).toBe(413)
    expect(response.headers.get('connection')).toBe('close')
    expect(await response.json()).toEqual({ code: 413, message: 'too large' })
  })

  it('lets a body within the limit through, connection untouched', async () => {
    const response = await app.request('/', { method: 'POST', body: 'x'.repeat(16) })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('x'.repeat(16))
    expect(response.headers.get('connection')).toBeNull()
  })
})
