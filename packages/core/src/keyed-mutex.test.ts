import { describe, expect, it } from 'vitest'
import { KeyedMutex } from './keyed-mutex.js'

const tick = () => new Promise((resolve) => setTimeout(resolve, 1))

describe('KeyedMutex', () => {
  it('runs holders of one key one at a time, in arrival order, and other keys in parallel', async () => {
    const mutex = new KeyedMutex()
    const events: string[] = []
    const hold = (key: string, name: string) =>
      mutex.run(key, async () => {
        events.push(`${name} in`)
        await tick()
        await tick()
        events.push(`${name} out`)
        return name
      })
    const results = await Promise.all([hold('a', 'a1'), hold('a', 'a2'), hold('b', 'b1'), hold('a', 'a3')])
    expect(results).toEqual(['a1', 'a2', 'b1', 'a3'])
    const a = events.filter((event) => event.startsWith('a'))
    expect(a).toEqual(['a1 in', 'a1 out', 'a2 in', 'a2 out', 'a3 in', 'a3 out'])
    // b1 entered while a1 held key a.
    expect(events.indexOf('b1 in')).toBeLessThan(events.indexOf('a1 out'))
  })

  it('a failing holder releases the key and its error reaches only its caller', async () => {
    const mutex = new KeyedMutex()
    const failed = mutex.run('k', async () => {
      throw new Error('boom')
    })
    const next = mutex.run('k', async () => 'after')
    await expect(failed).rejects.toThrow('boom')
    await expect(next).resolves.toBe('after')
  })
})
