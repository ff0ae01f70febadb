/*
 * Node/V8 flags for a long-running server process (issue 11: `certus serve` RSS). V8 sizes its young generation
 * and its compiler threads when the isolate starts, so they cannot be changed from inside a running process
 * (`v8.setFlagsFromString` is too late): the server's entry points re-execute themselves with the flags instead,
 * before loading anything else. This module imports nothing, so an entry point can call it first at almost no cost.
 * The other process-wide set-up an entry point does first lives here too (dropSqliteExperimentalWarning).
 */
export { dropSqliteExperimentalWarning } from './sqlite-warning.js'

/** The variable that replaces the flags (`none` turns the re-execution off). */
export const NODE_FLAGS_VARIABLE = 'CERTUS_TRUST_NODE_FLAGS'

/**
 * The small-server profile: the flags `certus serve` runs with unless {@link NODE_FLAGS_VARIABLE} says otherwise
 * (the production entry point, `dist/main.js`, runs with none by default: they cost throughput at high concurrency).
 * See ADR 0015 for the measurements behind each value.
 * - `--max-semi-space-size=4`: caps each young-generation semi-space at 4 MB (V8 grows it to 16–32 MB under load,
 *   and that memory stays resident).
 * - `--no-maglev`: no mid-tier optimising compiler. Its concurrent compile jobs left 20–35 MB of freed malloc memory
 *   in their threads' arenas; TurboFan still optimises hot code (concurrently), so only warm-up is slower.
 */
export const SMALL_SERVER_NODE_FLAGS: readonly string[] = Object.freeze([
  '--max-semi-space-size=4',
  '--no-maglev',
])

/** What {@link restartWithNodeFlags} needs of `process` (a parameter, so tests pass a plain object). */
export interface RestartableProcess {
  readonly execPath: string
  readonly execArgv: readonly string[]
  readonly argv: readonly string[]
  readonly env: Record<string, string | undefined>
  /** Node ≥ 22.15 / 23.11: replaces the process image, keeping its pid. Absent on older versions. */
  readonly execve?: (
    file: string,
    args?: readonly string[],
    env?: Record<string, string | undefined>,
  ) => never
}

/** The flag's name: `--max-semi-space-size=8` → `--max-semi-space-size`; `_` and `-` are the same to Node. */
function flagName(flag: string): string {
  return (flag.split('=', 1)[0] ?? flag).replaceAll('_', '-')
}

/**
 * The flags {@link NODE_FLAGS_VARIABLE} asks for: unset or empty → the entry point's `defaults`, `none` → no flags,
 * otherwise its whitespace-separated `--flags`. Anything else is ignored with `undefined` returned, so the caller can
 * say so (a server should still start when the variable has a typo).
 */
export function requestedNodeFlags(
  value: string | undefined,
  defaults: readonly string[] = SMALL_SERVER_NODE_FLAGS,
): readonly string[] | undefined {
  const text = value?.trim() ?? ''
  if (text === '') return defaults
  if (text === 'none') return []
  const flags = text.split(/\s+/)
  return flags.every((flag) => /^--[a-z0-9][a-z0-9_-]*(=\S+)?$/i.test(flag)) ? flags : undefined
}

/**
 * The flags still missing from this process: those whose name is neither in `execArgv` nor in `NODE_OPTIONS`
 * (the operator's choice wins, and after the re-execution every flag is present, so it happens at most once).
 */
export function missingNodeFlags(flags: readonly string[], target: RestartableProcess): string[] {
  const present = new Set(
    [...target.execArgv, ...(target.env.NODE_OPTIONS ?? '').split(/\s+/)]
      .filter((arg) => arg.startsWith('--'))
      .map(flagName),
  )
  return flags.filter((flag) => !present.has(flagName(flag)))
}

/**
 * Re-executes this process with the server's Node flags ({@link NODE_FLAGS_VARIABLE}, else `defaults`) when some
 * are missing and the running Node can (`process.execve`); otherwise returns and the caller continues with the flags
 * it has. Call it first thing in an entry point, before any other module is loaded, output written or handle opened:
 * a successful call never returns. Returns a warning to print when {@link NODE_FLAGS_VARIABLE} is malformed (the
 * process continues without flags).
 */
export function restartWithNodeFlags(
  target: RestartableProcess = process,
  defaults: readonly string[] = SMALL_SERVER_NODE_FLAGS,
): string | undefined {
  const flags = requestedNodeFlags(target.env[NODE_FLAGS_VARIABLE], defaults)
  if (flags === undefined) {
    return `${NODE_FLAGS_VARIABLE}: expected "none" or space-separated --flags; starting without extra Node flags`
  }
  const missing = missingNodeFlags(flags, target)
  if (missing.length === 0 || typeof target.execve !== 'function') return undefined
  // argv[0] is the node binary and argv[1] the entry script: the new image runs the same script and arguments.
  target.execve(target.execPath, [target.execPath, ...target.execArgv, ...missing, ...target.argv.slice(1)], {
    ...target.env,
  })
}
