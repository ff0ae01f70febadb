/**
 * Freezes an object and everything reachable from it (own enumerable properties), in place, and returns it: for
 * values that are shared between callers, such as parsed configuration or a memoised parse result, so that no caller
 * can change what another sees. Typed arrays cannot be frozen and are left as they are.
 */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
