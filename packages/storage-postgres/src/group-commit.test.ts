import { describe, expect, it } from 'vitest'
import type { SqlDriver } from './driver.js'
import { GroupCommit } from './group-commit.js'

/** A writer whose groups stay open until the test releases them, to see how many are written at once. */
function heldWriter() {
  const groups: Array<{ items: number[]; release: () => void }> = []
  const writer = {
    one: async () => {
      throw new Error('the isolated path is not expected here')
    },
    many: (_session: unknown, items: number[]) =>
      new Promise<Array<{ ok: true; value: number }>>((resolve) => {
        groups.push({ items, release: () => resolve(items.map((value) => ({ ok: true, value }))) })
      }),
  }
  return { groups, writer }
}

const driver = {} as SqlDriver
const turn = () => new Promise((resolve) => setImmediate(resolve))

describe('GroupCommit', () => {
  it('writes a second group while the first is being written, and the rest after one of them ends', async () => {
    const { groups, writer } = heldWriter()
    const commit = new GroupCommit<number, number>(driver, writer)
    const first = commit.run(1)
    await turn()
    const second = commit.run(2)
    await turn()
    const waiting = [commit.run(3), commit.run(4)]
    await turn()
    // Two groups in flight: 3 and 4 wait, together, for one of them to end.
    expect(groups.map((group) => group.items)).toEqual([[1], [2]])
    groups[1]!.release()
    expect(await second).toBe(2)
    await turn()
    expect(groups.map((group) => group.items)).toEqual([[1], [2], [3, 4]])
    groups[0]!.release()
    groups[2]!.release()
    expect(await Promise.all([first, ...waiting])).toEqual([1, 3, 4])
  })
})
