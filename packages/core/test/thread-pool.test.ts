import { afterEach, describe, expect, it } from 'vitest'
import {
  createThreadPool,
  spawnThreadBeside,
  type ThreadPool,
  type ThreadPoolStop,
  type ThreadPoolTask,
} from '../src/thread-pool.js'

class StoppedError extends Error {
  constructor(
    readonly reason: ThreadPoolStop,
    cause?: unknown,
  ) {
    super(`stopped: ${reason}`, { cause })
  }
}

/** A task over the fixture worker, recording what the pool asked of it. */
function recordingTask(answer?: (question: unknown) => Promise<unknown>) {
  const packed: number[][] = []
  const inline: number[] = []
  const task: ThreadPoolTask<number, unknown> = {
    spawn: () => spawnThreadBeside(import.meta.url, new URL('./fixtures/pool-worker.js', import.meta.url)),
    pack: (items) => {
      packed.push(items)
      return { body: items }
    },
    unpack: (reply, items) => items.map((_, index) => ({ ok: true, value: (reply as unknown[])[index] })),
    runInline: async (item) => {
      inline.push(item)
      return item * item
    },
    stopped: (reason, cause) => new StoppedError(reason, cause),
    ...(answer ? { answer } : {}),
  }
  return { task, packed, inline }
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10))
}

const pools: Array<ThreadPool<number, unknown>> = []
function track<T extends ThreadPool<number, unknown>>(pool: T): T {
  pools.push(pool)
  return pool
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()))
})

describe('thread pool', () => {
  it('sends one turn as one message per thread, spread evenly, answers in order', async () => {
    const { task, packed } = recordingTask()
    const pool = track(createThreadPool(task, { size: 2 }))
    const items = Array.from({ length: 10 }, (_, index) => index)
    expect(await Promise.all(items.map((item) => pool.run(item)))).toEqual(items.map((item) => item * item))
    expect(packed.map((share) => share.length)).toEqual([5, 5])
    expect(packed.flat().sort((a, b) => a - b)).toEqual(items)
    expect(pool.running).toBe(2)
  })

  it('runs small turns inline without a thread, starts threads on a large turn, idles them out', async () => {
    const { task, packed, inline } = recordingTask()
    const pool = track(createThreadPool(task, { size: 2, minBatch: 3, idleTimeoutMs: 100 }))
    expect(await Promise.all([pool.run(2), pool.run(3)])).toEqual([4, 9])
    expect(inline).toEqual([2, 3])
    expect(pool.running).toBe(0)
    expect(await Promise.all([4, 5, 6].map((item) => pool.run(item)))).toEqual([16, 25, 36])
    expect(pool.running).toBe(2)
    expect(packed.flat().sort()).toEqual([4, 5, 6])
    // Once started, threads take small turns too, until they idle out.
    expect(await pool.run(7)).toBe(49)
    expect(inline).toEqual([2, 3])
    await waitFor(() => pool.running === 0)
    expect(await pool.run(8)).toBe(64)
    expect(inline).toEqual([2, 3, 8])
  })

  it('a thread that dies fails its in-flight items with the typed error, and a fresh thread serves later turns', async () => {
    const { task } = recordingTask()
    const pool = track(createThreadPool(task, { size: 1 }))
    const results = await Promise.allSettled([pool.run(3), pool.run(-1)])
    for (const result of results) {
      expect(result.status).toBe('rejected')
      expect((result as PromiseRejectedResult).reason).toMatchObject({ reason: 'stopped' })
    }
    await waitFor(() => pool.running === 0)
    expect(await pool.run(4)).toBe(16)
  })

  it('a batch the thread body throws on fails as a whole with its message, the thread keeps serving', async () => {
    const { task } = recordingTask()
    const pool = track(createThreadPool(task, { size: 1 }))
    const failed = await Promise.allSettled([pool.run(2), pool.run(-3)])
    for (const result of failed) {
      const reason = (result as PromiseRejectedResult).reason as StoppedError
      expect(reason.reason).toBe('failed')
      expect((reason.cause as Error).message).toBe('batch refused')
    }
    expect(await pool.run(5)).toBe(25)
    expect(pool.running).toBe(1)
  })

  it('answers a thread’s questions on the calling thread, errors by message; without an answerer, refuses', async () => {
    const questions: unknown[] = []
    let refuse = false
    const { task } = recordingTask(async (question) => {
      questions.push(question)
      if (refuse) throw new Error('no such entry')
      return 'from the calling thread'
    })
    const pool = track(createThreadPool(task, { size: 1 }))
    expect(await Promise.all([pool.run(-2), pool.run(6)])).toEqual(['from the calling thread', 36])
    expect(questions).toEqual([{ item: -2 }])
    refuse = true
    expect(await pool.run(-2)).toBe('no such entry')
    const silent = track(createThreadPool(recordingTask().task, { size: 1 }))
    expect(await silent.run(-2)).toBe('this pool answers no questions')
  })

  it('a share that cannot be cloned runs inline instead', async () => {
    const { task, inline } = recordingTask()
    const pool = track(
      createThreadPool({ ...task, pack: (items) => ({ body: [...items, () => 0] }) }, { size: 1 }),
    )
    expect(await pool.run(9)).toBe(81)
    expect(inline).toEqual([9])
  })

  it('close stops the threads and refuses later items with the typed error; refuses a bad size', async () => {
    const { task } = recordingTask()
    const pool = createThreadPool(task, { size: 2 })
    await pool.run(1)
    expect(pool.running).toBe(2)
    await pool.close()
    expect(pool.running).toBe(0)
    await expect(pool.run(1)).rejects.toMatchObject({ reason: 'closed' })
    expect(() => createThreadPool(task, { size: 0 })).toThrow(RangeError)
    expect(() => createThreadPool(task, { size: 65 })).toThrow(RangeError)
  })
})

describe('lowerThisThreadPriority', () => {
  it('renices the calling thread only (Linux), and says whether it could', async () => {
    const { Worker } = await import('node:worker_threads')
    const { getPriority } = await import('node:os')
    // The thread-pool module from source: the worker runs it through tsx, as spawnThreadBeside does in tests.
    const source = new URL('../src/thread-pool.ts', import.meta.url).href
    const worker = new Worker(
      `import { parentPort } from 'node:worker_threads'
       import { readlinkSync } from 'node:fs'
       const { lowerThisThreadPriority } = await import(${JSON.stringify(source)})
       const lowered = lowerThisThreadPriority(7)
       let threadId = 0
       try { threadId = Number(readlinkSync('/proc/thread-self').split('/').pop()) } catch {}
       parentPort.postMessage({ lowered, threadId })`,
      { eval: true, execArgv: ['--import', 'tsx'] },
    )
    const reply = await new Promise<{ lowered: boolean; threadId: number }>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    try {
      if (process.platform === 'linux') {
        expect(reply.lowered).toBe(true)
        expect(getPriority(reply.threadId)).toBe(7)
      } else {
        expect(reply.lowered).toBe(false)
      }
      // The process (its main thread) keeps its priority.
      expect(getPriority()).toBe(0)
    } finally {
      await worker.terminate()
    }
  })
})

describe('close() with nothing else keeping the process alive', () => {
  it('settles even when a thread answers after close() began (its late answer must not unref it)', async () => {
    const { spawnSync } = await import('node:child_process')
    const { fileURLToPath } = await import('node:url')
    const pool = fileURLToPath(new URL('../src/thread-pool.ts', import.meta.url))
    const worker = new URL('./fixtures/pool-worker.ts', import.meta.url).href
    // The thread answers item 3 while the calling thread is blocked, so the answer waits in the port's queue when
    // close() terminates the thread; the process must still print "closed" and exit 0 (before the fix: exit 13,
    // "unsettled top-level await", because handling that answer unref'd the thread being terminated).
    const script = `
      import { createThreadPool } from ${JSON.stringify(pool)}
      import { Worker } from 'node:worker_threads'
      const task = {
        spawn: () => new Worker(new URL(${JSON.stringify(worker)}), { execArgv: ['--import', 'tsx'] }),
        pack: (items) => ({ body: items }),
        unpack: (reply, items) => items.map((_, index) => ({ ok: true, value: reply[index] })),
        runInline: async (item) => item * item,
        stopped: (reason) => new Error('stopped: ' + reason),
      }
      const threads = createThreadPool(task, { size: 1 })
      await threads.run(2)
      const late = threads.run(3).catch(() => 'failed')
      await new Promise((resolve) => setImmediate(resolve))
      const until = Date.now() + 1000
      while (Date.now() < until) {}
      await threads.close()
      console.log('closed', await late)
    `
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(child.error).toBeUndefined()
    expect(child.stdout).toMatch(/^closed (9|failed)$/m)
    expect(child.status).toBe(0)
  })
})
