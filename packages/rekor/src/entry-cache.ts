import type { LogEntry } from '@certus-trust/log-protocol'

/** A size-bounded LRU cache of immutable log entries, keyed by UUID (last 64 hex) and by global index. */
export class EntryCache {
  readonly #byKey = new Map<string, LogEntry>()
  readonly #maxEntries: number

  constructor(maxEntries: number) {
    this.#maxEntries = Math.max(1, Math.floor(maxEntries))
  }

  get size(): number {
    return this.#byKey.size
  }

  getByUuid(uuid: string): LogEntry | undefined {
    return this.#touch(`u:${uuid.toLowerCase().slice(-64)}`)
  }

  getByIndex(index: number): LogEntry | undefined {
    return this.#touch(`i:${index}`)
  }

  set(entry: LogEntry): void {
    this.#put(`u:${entry.uuid.toLowerCase().slice(-64)}`, entry)
    this.#put(`i:${entry.logIndex}`, entry)
  }

  #touch(key: string): LogEntry | undefined {
    const entry = this.#byKey.get(key)
    if (entry) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.#byKey.delete(key)
      this.#byKey.set(key, entry)
    }
    return entry
  }

  #put(key: string, entry: LogEntry): void {
    this.#byKey.delete(key)
    this.#byKey.set(key, entry)
    while (this.#byKey.size > this.#maxEntries) this.#byKey.delete(this.#byKey.keys().next().value!)
  }
}
