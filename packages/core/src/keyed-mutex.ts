/** A FIFO async mutex keyed by string: one holder per key at a time, in-process only. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>()

  /** Runs `fn` once every earlier holder of `key` has finished. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve()
    let release!: () => void
    const current = new Promise<void>((resolve) => {
      release = resolve
    })
    const tail = previous.then(() => current)
    this.#tails.set(key, tail)
    await previous
    try {
      return await fn()
    } finally {
      release()
      // Drop the entry when nobody queued behind us, so the map does not grow with every key ever used.
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    }
  }
}
