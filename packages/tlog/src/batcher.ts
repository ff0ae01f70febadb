/** Outcome of one item of a batch. */
export type BatchResult<R> = { ok: true; value: R } | { ok: false; error: unknown }

/** Options of {@link Batcher}. */
export interface BatcherOptions<I, R> {
  /** Largest number of items handed to `process` at once. */
  maxBatchSize: number
  /** Handles one batch; returns one result per item, in order. A throw fails every item of the batch. */
  process: (items: I[]) => Promise<Array<BatchResult<R>>>
  /** Runs every batch (and every `exclusive` task) one at a time. */
  serial: SerialQueue
}

/** Runs async tasks strictly one after another (a promise-chain mutex). */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task)
    // Keep the chain alive whatever the task does; callers see the real outcome through `result`.
    this.tail = result.catch(() => undefined)
    return result
  }
}

interface Pending<I, R> {
  item: I
  resolve: (value: R) => void
  reject: (error: unknown) => void
}

/**
 * Groups concurrent requests into batches: whatever queues up while one batch is being written becomes the next
 * batch, so under load each storage transaction and checkpoint signature is shared by many entries, and with a
 * single caller latency stays one transaction.
 */
export class Batcher<I, R> {
  private readonly queue: Array<Pending<I, R>> = []
  private draining = false
  private idleWaiters: Array<() => void> = []

  constructor(private readonly options: BatcherOptions<I, R>) {}

  /** Number of items waiting for a batch. */
  get pending(): number {
    return this.queue.length
  }

  /** Queues an item; resolves with its result once its batch is processed. */
  enqueue(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject })
      this.kick()
    })
  }

  /** Resolves once the queue is empty and no batch is running. */
  idle(): Promise<void> {
    if (!this.draining && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private kick(): void {
    if (this.draining) return
    this.draining = true
    // Yield once so that callers arriving in the same tick join the first batch.
    setImmediate(() => {
      void this.drain()
        // drain() settles every batch it takes; anything else failing fails whatever is still queued.
        .catch((error: unknown) => {
          for (const pending of this.queue.splice(0)) pending.reject(error)
        })
        .finally(() => {
          this.draining = false
          if (this.queue.length > 0) this.kick()
          else for (const waiter of this.idleWaiters.splice(0)) waiter()
        })
    })
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      await this.options.serial.run(async () => {
        const batch = this.queue.splice(0, this.options.maxBatchSize)
        if (batch.length === 0) return
        let results: Array<BatchResult<R>>
        try {
          results = await this.options.process(batch.map((pending) => pending.item))
        } catch (error) {
          for (const pending of batch) pending.reject(error)
          return
        }
        batch.forEach((pending, position) => {
          const result = results[position]
          if (!result) pending.reject(new Error('batch produced no result for an item'))
          else if (result.ok) pending.resolve(result.value)
          else pending.reject(result.error)
        })
      })
    }
  }
}
