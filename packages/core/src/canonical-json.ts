import { CoreError } from './errors.js'

function fail(message: string): never {
  throw new CoreError({ code: 'CORE_INVALID_INPUT', message })
}

/**
 * RFC 8785 (JCS) canonical JSON (log entry bodies, SET payloads): object keys sorted by UTF-16 code units,
 * no whitespace, ECMAScript number formatting, `undefined` members dropped (as `JSON.stringify` does).
 * @throws CoreError `CORE_INVALID_INPUT` for non-finite numbers, bigints, functions or symbols.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, '$')
}

function serialize(value: unknown, path: string): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'string':
      // JSON.stringify's escaping of ES2019+ (well-formed) equals JCS's rules.
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) fail(`canonical JSON cannot encode ${value} at ${path}`)
      return JSON.stringify(value)
    case 'object': {
      if (Array.isArray(value))
        return `[${value.map((item, index) => serialize(item ?? null, `${path}[${index}]`)).join(',')}]`
      const record = value as Record<string, unknown>
      if (typeof (record as { toJSON?: unknown }).toJSON === 'function') {
        return serialize((record as { toJSON: () => unknown }).toJSON(), path)
      }
      const members: string[] = []
      // Default sort compares UTF-16 code units, which is exactly what RFC 8785 §3.2.3 asks for.
      for (const key of Object.keys(record).sort()) {
        const member = record[key]
        if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue
        members.push(`${JSON.stringify(key)}:${serialize(member, `${path}.${key}`)}`)
      }
      return `{${members.join(',')}}`
    }
    default:
      return fail(`canonical JSON cannot encode a ${typeof value} at ${path}`)
  }
}
