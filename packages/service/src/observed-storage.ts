import type { Storage } from '@certus-trust/storage'
import type { LogCallObserver } from './log-backend.js'

// Members that are not database operations: identity, lifecycle.
const NOT_OPERATIONS = new Set<PropertyKey>(['backend', 'close', 'then', 'constructor'])

/**
 * `storage` with every asynchronous method timed by `observe` (operation = the method's name, e.g.
 * `saveSignedArtifact`, `appendLeaves`): the database latency by operation, for the log and the records alike.
 * Methods run on the real object, so backends keeping state in private fields work unchanged.
 */
export function observedStorage(storage: Storage, observe: LogCallObserver): Storage {
  const wrapped = new Map<PropertyKey, unknown>()
  return new Proxy(storage, {
    get(target, property) {
      const value = Reflect.get(target, property, target)
      if (typeof value !== 'function' || NOT_OPERATIONS.has(property)) return value
      let wrapper = wrapped.get(property)
      if (!wrapper) {
        const labels = { operation: String(property), backend: target.backend }
        wrapper = (...args: unknown[]) => {
          const result: unknown = value.apply(target, args)
          // Synchronous members stay synchronous; a promise is observed until it settles.
          return result instanceof Promise ? observe(labels, () => result) : result
        }
        wrapped.set(property, wrapper)
      }
      return wrapper
    },
  })
}
