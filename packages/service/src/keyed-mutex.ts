/** Runs `work` after every earlier call with the same key has settled. */
export type KeyedMutex = <T>(key: string, work: () => Promise<T>) => Promise<T>

/** Serialises work per key inside this process (idempotent retries that race each other). */
export function createKeyedMutex(): KeyedMutex {
  const tails = new Map<string, Promise<unknown>>()
  return async function withKey<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve()
    const run = previous.catch(() => {}).then(work)
    tails.set(key, run)
    try {
      return await run
    } finally {
      if (tails.get(key) === run) tails.delete(key)
    }
  }
}
