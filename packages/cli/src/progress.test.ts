import { describe, expect, it } from 'vitest'
import { createOutput } from './output.js'
import { createProgress } from './progress.js'

function fakeIo(isTTY: boolean, env: Record<string, string | undefined> = {}) {
  const written: string[] = []
  const stream = {
    isTTY,
    columns: 80,
    write: (chunk: string) => written.push(chunk) > 0,
    on: () => stream,
    removeListener: () => stream,
  }
  return { io: { stdout: { write: () => true }, stderr: stream, cwd: '/', env }, written }
}

describe('createProgress', () => {
  it('draws a bar on a terminal for a batch', async () => {
    const { io, written } = fakeIo(true)
    const progress = await createProgress(createOutput(io, false), 3, 'signing')
    progress.tick('a.txt')
    progress.tick('b.txt')
    progress.stop()
    expect(written.join('')).toContain('signing [')
  })

  it.each([
    ['stderr is not a terminal', false, false, 3, {}],
    ['--json is on', true, true, 3, {}],
    ['there is only one item', true, false, 1, {}],
    ['CI is set', true, false, 3, { CI: 'true' }],
  ])('stays silent when %s', async (_name, isTTY, json, total, env) => {
    const { io, written } = fakeIo(isTTY, env)
    const progress = await createProgress(createOutput(io, json), total, 'signing')
    progress.tick('a.txt')
    progress.stop()
    expect(written).toEqual([])
  })
})
