import { isAbsolute, resolve } from 'node:path'
import * as z from 'zod'

/*
 * Reading `CERTUS_TRUST_*` variables, shared by the server and the `certus` command so a variable means the same
 * to both. Libraries never read `process.env`: callers hand the environment in. Light on purpose (zod only): the
 * CLI loads it on its verify path; the service configuration (`readServiceEnv`) is in service-env.ts.
 */

/** An environment as read: names to values, unset as undefined. */
export type Env = Record<string, string | undefined>

const booleanString = z
  .string()
  .transform((value) => value.toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'expected true or false' }))
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value))

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' })

function isLoopbackUrl(value: string): boolean {
  const host = new URL(value).hostname
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * A URL of a service we trust with signatures, certificates or tokens (Rekor, Fulcio, a TSA, a JWKS): TLS, except
 * to this machine's own loopback interface (a sidecar or a test server), where nothing crosses a network.
 */
const serviceUrl = httpUrl.refine((value) => value.startsWith('https://') || isLoopbackUrl(value), {
  error: 'expected an https:// URL (plain http:// only to a loopback host such as 127.0.0.1)',
})
const positiveInt = (max: number) => z.coerce.number({ error: 'expected a number' }).int().min(1).max(max)
const nonNegativeInt = (max: number) => z.coerce.number({ error: 'expected a number' }).int().min(0).max(max)
const text = () => z.string().min(1)

/** Field builders for `CERTUS_TRUST_*` schemas, shared so every program reads a boolean or a URL alike. */
export const envFields = { booleanString, httpUrl, serviceUrl, positiveInt, nonNegativeInt, text }

/** @internal The trust-root variables: what the server and `certus verify` / `certus trust-root refresh` both read. */
export const TrustRootEnvSchema = z.object({
  CERTUS_TRUST_TRUSTED_ROOT: text().optional(),
  // TUF metadata is signed end to end, so a plain-http mirror cannot forge a root: any http(s) URL.
  CERTUS_TRUST_TUF_MIRROR: httpUrl.optional(),
  CERTUS_TRUST_TUF_ROOT: text().optional(),
  CERTUS_TRUST_TUF_CACHE_DIR: text().optional(),
  CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS: nonNegativeInt(36_500).optional(),
})

/** The result of reading variables: the value, or the problems (`NAME: what is wrong`, values never echoed). */
export type EnvResult<T> = { ok: true; value: T } | { ok: false; problems: string[] }

/**
 * Parses the variables `schema` names, trimmed; empty strings count as unset, as in most env loaders.
 * Problems are `NAME: message`, never the value (it may be a pasted secret).
 */
export function parseEnv<Schema extends z.ZodObject>(schema: Schema, env: Env): EnvResult<z.output<Schema>> {
  const relevant: Record<string, string> = {}
  for (const name of Object.keys(schema.shape)) {
    const value = env[name]
    if (value !== undefined && value.trim() !== '') relevant[name] = value.trim()
  }
  const parsed = schema.safeParse(relevant)
  if (parsed.success) return { ok: true, value: parsed.data }
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => `${String(issue.path[0] ?? '(env)')}: ${issue.message}`),
  }
}

/** `path` made absolute against `base`. */
export function resolvePath(path: string, base: string): string {
  return isAbsolute(path) ? path : resolve(base, path)
}

/** What the trust-root variables ask for (`CERTUS_TRUST_TUF_*`, `CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS`). */
export interface TrustRootEnv {
  /** `CERTUS_TRUST_TRUSTED_ROOT`, absolute. */
  trustedRootPath?: string | undefined
  /** `CERTUS_TRUST_TUF_MIRROR` without a trailing slash. */
  mirror?: string | undefined
  /** `CERTUS_TRUST_TUF_ROOT`, absolute. */
  tufRootPath?: string | undefined
  /** `CERTUS_TRUST_TUF_CACHE_DIR`, absolute. */
  cacheDir?: string | undefined
  maxAgeDays?: number | undefined
}

/**
 * Reads the trust-root variables, as `certus verify` and `certus trust-root refresh` take them (flags may
 * complete them: `--tuf` without a mirror, `--tuf-root`); relative paths resolve against `cwd`.
 */
export function readTrustRootEnv(env: Env, options: { cwd: string }): EnvResult<TrustRootEnv> {
  const parsed = parseEnv(TrustRootEnvSchema, env)
  if (!parsed.ok) return parsed
  const raw = parsed.value
  const path = (value: string | undefined) => value && resolvePath(value, options.cwd)
  return {
    ok: true,
    value: {
      trustedRootPath: path(raw.CERTUS_TRUST_TRUSTED_ROOT),
      mirror: raw.CERTUS_TRUST_TUF_MIRROR?.replace(/\/+$/, ''),
      tufRootPath: path(raw.CERTUS_TRUST_TUF_ROOT),
      cacheDir: path(raw.CERTUS_TRUST_TUF_CACHE_DIR),
      maxAgeDays: raw.CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS,
    },
  }
}

/** Variables other Certus Trust programs read (the `certus` command): known, so never reported as unknown. */
const OTHER_KNOWN_VARIABLES = ['CERTUS_TRUST_KEY_PASSPHRASE']

/** Names people carry over from elsewhere, mapped to what we read instead. */
const RENAMED_VARIABLES: Record<string, string> = {
  CERTUS_TRUST_PUBLIC_URL: 'CERTUS_TRUST_LOG_BASE_URL',
  CERTUS_TRUST_REKOR_URL: 'CERTUS_TRUST_REKOR_ADDR',
  CERTUS_TRUST_FULCIO_URL: 'CERTUS_TRUST_FULCIO_ADDR',
  CERTUS_TRUST_TSA_ADDR: 'CERTUS_TRUST_TSA_URL',
}

/**
 * Warnings for `CERTUS_TRUST_*` variables of `env` that are not in `known` (a typo silently ignored would mislead),
 * each naming the variable meant: a known rename, else the closest known name.
 */
export function unknownVariableWarnings(env: Env, known: readonly string[]): string[] {
  const names = new Set([...known, ...OTHER_KNOWN_VARIABLES])
  return Object.keys(env)
    .filter((name) => name.startsWith('CERTUS_TRUST_') && !names.has(name))
    .sort()
    .map((name) => {
      const suggestion = RENAMED_VARIABLES[name] ?? closestName(name, [...names])
      return `${name} is not a Certus Trust variable and is ignored${suggestion ? `; did you mean ${suggestion}?` : ''}`
    })
}

function closestName(name: string, candidates: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate)
    if (!best || distance < best.distance) best = { name: candidate, distance }
  }
  // Beyond a third of the name, a "suggestion" is noise.
  return best && best.distance <= Math.max(3, Math.floor(name.length / 3)) ? best.name : undefined
}

/** Levenshtein distance (two rows). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution)
    }
    previous = current
  }
  return previous[b.length]!
}
