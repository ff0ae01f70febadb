import { readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'
import { parentPort, type ResourceLimits, type TransferListItem, Worker } from 'node:worker_threads'

/**
 * The generic part of a pool of worker threads that take CPU work off the calling thread: threads start on demand,
 * each event-loop turn's items travel as one message per thread (spread by load), idle threads exit, a thread that
 * dies fails its in-flight items with the task's typed error, and a thread may ask the calling thread a question
 * (e.g. a log lookup: the log lives there) and wait for the answer. What an item is, how a batch is packed and
 * answered, and how an item runs inline are the task's ({@link ThreadPoolTask}). Used by the signer's signing threads
 * and the verifier's verification threads; see ADR 0014 and 0016.
 */
export interface ThreadPool<Item, Output> {
  /** Number of threads when all run. */
  readonly size: number
  /** Threads running now: 0 until a turn needs them, and again once they have idled out. */
  readonly running: number
  /** Runs `item` on a thread (or inline, see {@link ThreadPoolOptions.minBatch}). */
  run(item: Item): Promise<Output>
  /** Stops the threads; items still queued or in flight fail with the task's `stopped` error. */
  close(): Promise<void>
}

/** One item's outcome, as the task reads it from a thread's answer. */
export type ThreadSettlement<Output> = { ok: true; value: Output } | { ok: false; error: unknown }

/** A message for a thread, and the buffers that move with it instead of being copied. */
export interface ThreadMessage {
  body: unknown
  transfer?: readonly TransferListItem[]
}

/** What a pool does with its items; everything here runs on the calling thread. */
export interface ThreadPoolTask<Item, Output> {
  /** Starts one thread (its body calls {@link serveThreadPool}); see {@link spawnThreadBeside}. */
  spawn(): Worker
  /** One thread's share of a turn as one message. */
  pack(items: Item[]): ThreadMessage
  /** The thread's answer to that message: one settlement per item, in the share's order. */
  unpack(reply: unknown, items: Item[]): Array<ThreadSettlement<Output>>
  /** Runs an item on the calling thread (a turn too small for a thread); a rejection fails that item alone. */
  runInline(item: Item): Promise<Output>
  /**
   * The typed error for items a pool cannot finish: the pool is `closed`, their thread `stopped` (exited or crashed;
   * `cause` says how), or the thread body `failed` on their batch (`cause`: an Error with the body's message).
   */
  stopped(reason: ThreadPoolStop, cause?: unknown): Error
  /**
   * Answers a thread's question (`ask` in {@link serveThreadPool}). A rejection reaches the thread as an Error with
   * the same message. Without it, every question is refused.
   */
  answer?(question: unknown): Promise<unknown>
}

/** Why a pool could not finish an item (see {@link ThreadPoolTask.stopped}). */
export type ThreadPoolStop = 'closed' | 'stopped' | 'failed'

/** When threads start and stop. */
export interface ThreadPoolOptions {
  /** Threads when all run, 1 to 64. */
  size: number
  /**
   * While no thread runs, an event-loop turn that queues fewer items than this runs them inline, on the calling
   * thread; a turn with at least this many starts all `size` threads, which then take every turn until they idle
   * out. A turn that queues many items is the sign that the calling thread is falling behind; a lightly loaded
   * process never starts a thread (each costs ~15 MB RSS) and pays no round trip.
   * @default 1
   */
  minBatch?: number
  /** A thread with no work for this long exits (unref'd timer); `0` keeps threads until close. @default 30_000 */
  idleTimeoutMs?: number
}

/** Pool → thread: a batch to run, or the answer to a question. */
type ToThread =
  | { batch: number; body: unknown }
  | { answer: number; value: unknown }
  | { answer: number; error: string }

/** Thread → pool: a batch's answer, a batch the thread body threw on, or a question. */
type FromThread =
  | { batch: number; body: unknown }
  | { batch: number; failed: string }
  | { ask: number; question: unknown }

interface Queued<Item, Output> {
  item: Item
  resolve: (value: Output) => void
  reject: (error: unknown) => void
}

interface Thread<Item, Output> {
  worker: Worker
  /** Ends the thread after `idleTimeoutMs` without work; cleared when work arrives. */
  idleTimer?: ReturnType<typeof setTimeout> | undefined
  /** Batches posted and not yet answered, by batch number. */
  inFlight: Map<number, Array<Queued<Item, Output>>>
  /** Items in those batches. */
  items: number
  /** Being terminated by close(): it stays ref'd until it has exited. */
  stopping?: boolean
}

/**
 * Starts a thread body that sits beside the calling module: `body` is its built file
 * (`new URL('./x-worker.js', import.meta.url)`, written out so that bundlers and the CLI's bundle test see it), and
 * `moduleUrl` the caller's `import.meta.url`; when the caller runs from source (`.ts`, tests), the `.ts` body beside
 * it runs through tsx instead. A bundled executable must make the body an entry of its build.
 */
export function spawnThreadBeside(
  moduleUrl: string,
  body: URL,
  options: { resourceLimits?: ResourceLimits; workerData?: unknown } = {},
): Worker {
  if (moduleUrl.endsWith('.ts')) {
    return new Worker(new URL(body.href.replace(/\.js$/, '.ts')), {
      execArgv: ['--import', 'tsx'],
      ...options,
    })
  }
  return new Worker(body, options)
}

/** Runs a turn's items inline, each settling alone. */
function runQueuedInline<Item, Output>(
  task: ThreadPoolTask<Item, Output>,
  items: Array<Queued<Item, Output>>,
): void {
  for (const queued of items) {
    let running: Promise<Output>
    try {
      running = task.runInline(queued.item)
    } catch (error) {
      running = Promise.reject(error)
    }
    running.then(queued.resolve, queued.reject)
  }
}

/** The running threads of one pool and their bookkeeping (start, post, settle, fail, idle out). */
class Threads<Item, Output> {
  readonly list: Array<Thread<Item, Output>> = []
  private nextBatch = 1

  constructor(
    private readonly task: ThreadPoolTask<Item, Output>,
    private readonly idleTimeoutMs: number,
  ) {}

  start(): void {
    const thread: Thread<Item, Output> = { worker: this.task.spawn(), inFlight: new Map(), items: 0 }
    thread.worker.on('message', (message: FromThread) => this.receive(thread, message))
    thread.worker.on('error', (error) => this.fail(thread, error))
    thread.worker.on('exit', (code) => this.fail(thread, new Error(`exit code ${code}`)))
    this.list.push(thread)
    // Idle from the start: a thread that gets no share of its first turn must time out too.
    this.becameIdle(thread)
  }

  post(thread: Thread<Item, Output>, share: Array<Queued<Item, Output>>): void {
    const { body, transfer } = this.task.pack(share.map((queued) => queued.item))
    const batch = this.nextBatch++
    try {
      thread.worker.postMessage({ batch, body } satisfies ToThread, transfer)
    } catch {
      // Something in the share cannot be cloned (a function, a class instance with private state): the share runs
      // here instead, where the task sees the items as the caller gave them.
      runQueuedInline(this.task, share)
      return
    }
    clearTimeout(thread.idleTimer)
    thread.inFlight.set(batch, share)
    thread.items += share.length
    thread.worker.ref()
  }

  async stopAll(): Promise<void> {
    const stopping = this.list.splice(0)
    for (const thread of stopping) {
      clearTimeout(thread.idleTimer)
      // An idle thread is unref'd, and terminate() does not ref it: a caller awaiting close() with nothing else
      // keeping the process alive would see the process exit with that promise unsettled (issue 12: a service whose
      // last closer closes its threads). `stopping` keeps a late answer from unref'ing it again.
      thread.stopping = true
      thread.worker.ref()
    }
    await Promise.all(stopping.map((thread) => thread.worker.terminate()))
  }

  private receive(thread: Thread<Item, Output>, message: FromThread): void {
    if ('ask' in message) {
      this.answer(thread, message.ask, message.question)
      return
    }
    const share = thread.inFlight.get(message.batch)
    if (!share) return
    thread.inFlight.delete(message.batch)
    thread.items -= share.length
    if ('failed' in message) {
      const error = this.task.stopped('failed', new Error(message.failed))
      for (const queued of share) queued.reject(error)
    } else {
      const settled = this.task.unpack(
        message.body,
        share.map((queued) => queued.item),
      )
      share.forEach((queued, index) => {
        const outcome = settled[index]
        if (outcome?.ok) queued.resolve(outcome.value)
        else
          queued.reject(
            outcome ? outcome.error : this.task.stopped('failed', new Error('no answer for this item')),
          )
      })
    }
    if (thread.items === 0) this.becameIdle(thread)
  }

  /** A thread's question, answered by the task on this thread; the answer goes back by the question's number. */
  private answer(thread: Thread<Item, Output>, id: number, question: unknown): void {
    const asking = this.task.answer
      ? Promise.resolve().then(() => this.task.answer!(question))
      : Promise.reject(new Error('this pool answers no questions'))
    asking.then(
      (value) => this.reply(thread, { answer: id, value }),
      (error: unknown) =>
        this.reply(thread, { answer: id, error: error instanceof Error ? error.message : 'question failed' }),
    )
  }

  private reply(thread: Thread<Item, Output>, message: ToThread): void {
    if (!this.list.includes(thread)) return // it stopped meanwhile: its items have failed already
    thread.worker.postMessage(message)
  }

  private remove(thread: Thread<Item, Output>): void {
    clearTimeout(thread.idleTimer)
    const index = this.list.indexOf(thread)
    if (index >= 0) this.list.splice(index, 1) // the next turn that needs threads starts a fresh one
  }

  private becameIdle(thread: Thread<Item, Output>): void {
    if (thread.stopping) return
    // An idle thread must not keep the process alive; a busy one must, or its answer could be lost at exit.
    thread.worker.unref()
    if (this.idleTimeoutMs <= 0) return
    thread.idleTimer = setTimeout(() => {
      this.remove(thread)
      void thread.worker.terminate()
    }, this.idleTimeoutMs)
    thread.idleTimer.unref()
  }

  private fail(thread: Thread<Item, Output>, cause: unknown): void {
    this.remove(thread)
    const error = this.task.stopped('stopped', cause)
    for (const share of thread.inFlight.values()) for (const queued of share) queued.reject(error)
    thread.inFlight.clear()
    thread.items = 0
  }
}

/**
 * A pool of `size` threads running `task`'s items. Threads start when a turn needs them
 * ({@link ThreadPoolOptions.minBatch}) and exit after {@link ThreadPoolOptions.idleTimeoutMs} without work.
 * @throws RangeError for a size outside 1–64 (callers check first, with their own typed error).
 */
export function createThreadPool<Item, Output>(
  task: ThreadPoolTask<Item, Output>,
  options: ThreadPoolOptions,
): ThreadPool<Item, Output> {
  const { size, minBatch = 1, idleTimeoutMs = 30_000 } = options
  if (!Number.isInteger(size) || size < 1 || size > 64) throw new RangeError('expected 1 to 64 threads')
  const threads = new Threads(task, idleTimeoutMs)
  const queued: Array<Queued<Item, Output>> = []
  let flushScheduled = false
  let closed = false

  const flush = () => {
    flushScheduled = false
    const batch = queued.splice(0)
    if (batch.length === 0) return
    if (threads.list.length === 0 && batch.length < minBatch) return runQueuedInline(task, batch)
    // The calling thread is falling behind (or already has threads): run all of them. They take every turn until
    // they idle out, since a burst is rarely one turn and a small turn costs a running thread less than the
    // calling thread. A thread that died is replaced here too.
    while (!closed && threads.list.length < size) threads.start()
    // Spread this turn's items over the threads, fewest in flight first.
    const perThread = Math.ceil(batch.length / threads.list.length)
    const byLoad = [...threads.list].sort((a, b) => a.items - b.items)
    for (const [position, thread] of byLoad.entries()) {
      const share = batch.slice(position * perThread, (position + 1) * perThread)
      if (share.length > 0) threads.post(thread, share)
    }
  }

  return {
    size,
    get running() {
      return threads.list.length
    },
    run(item) {
      if (closed) return Promise.reject(task.stopped('closed'))
      return new Promise<Output>((resolve, reject) => {
        queued.push({ item, resolve, reject })
        if (!flushScheduled) {
          flushScheduled = true
          // After this round of I/O callbacks, so concurrent callers share one message per thread.
          setImmediate(flush)
        }
      })
    },
    async close() {
      closed = true
      const error = task.stopped('closed')
      for (const pending of queued.splice(0)) pending.reject(error)
      await threads.stopAll()
    },
  }
}

/**
 * Lowers the scheduling priority of the calling thread (Linux: its own nice value, through its thread ID from
 * `/proc/thread-self`; elsewhere, or where the system refuses, nothing changes). For a pool's thread whose calling
 * thread is the process's bottleneck: every message wakes the pool's thread, and on a machine with few cores the
 * kernel often runs the woken thread on the core of the thread that woke it, preempting it for a time slice — seen as
 * `postMessage` calls of 1–9 ms on the main thread (issue 12). A niced thread still gets an idle core's time.
 * @returns whether the priority was lowered
 */
export function lowerThisThreadPriority(niceness: number): boolean {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop())
    if (!Number.isSafeInteger(threadId) || threadId <= 0) return false
    setPriority(threadId, niceness)
    return true
  } catch {
    return false
  }
}

/** Asks the pool's calling thread a question (see {@link ThreadPoolTask.answer}); rejects with its error message. */
export type AskCallingThread = (question: unknown) => Promise<unknown>

/**
 * The body of a pool's thread: runs each batch with `handle` (several may overlap while they wait on questions)
 * and posts its answer. A batch `handle` throws on fails as a whole, with the error's message only.
 */
export function serveThreadPool(
  handle: (body: unknown, ask: AskCallingThread) => ThreadMessage | Promise<ThreadMessage>,
): void {
  const port = parentPort
  if (!port) throw new Error('serveThreadPool runs in a worker thread')
  const questions = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  let nextQuestion = 1
  const ask: AskCallingThread = (question) =>
    new Promise((resolve, reject) => {
      const id = nextQuestion++
      questions.set(id, { resolve, reject })
      port.postMessage({ ask: id, question } satisfies FromThread)
    })
  port.on('message', (message: ToThread) => {
    if ('answer' in message) {
      const waiting = questions.get(message.answer)
      questions.delete(message.answer)
      if ('error' in message) waiting?.reject(new Error(message.error))
      else waiting?.resolve(message.value)
      return
    }
    const { batch } = message
    Promise.resolve()
      .then(() => handle(message.body, ask))
      .then(
        (reply) => port.postMessage({ batch, body: reply.body } satisfies FromThread, reply.transfer),
        (error: unknown) =>
          port.postMessage({
            batch,
            failed: error instanceof Error ? error.message : 'failed',
          } satisfies FromThread),
      )
  })
}
