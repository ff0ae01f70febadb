/** The one warning dropped: Node 22 calls `node:sqlite` experimental (Node 24 does not) and says so on first use. */
const SQLITE_EXPERIMENTAL = /^SQLite is an experimental feature/

type EmitWarning = typeof process.emitWarning

/**
 * Drops Node 22's "SQLite is an experimental feature" warning (engines allows Node ≥ 22.22.2; Node 24, the target,
 * does not emit it), which every `certus` command that opens a data directory, and the server at start-up, printed.
 * Every other warning — experimental or not — still goes to `process.emitWarning` as before. For entry points (the
 * `certus` executable, the server's `dist/main.js`), before `node:sqlite` loads; a library leaves `process` alone.
 */
export function dropSqliteExperimentalWarning(target: { emitWarning: EmitWarning } = process): void {
  const emit = target.emitWarning
  target.emitWarning = function emitWarning(this: unknown, warning: string | Error, ...rest: unknown[]) {
    const first = rest[0]
    const type = typeof first === 'string' ? first : (first as { type?: unknown } | undefined)?.type
    const message = typeof warning === 'string' ? warning : warning?.message
    if (type === 'ExperimentalWarning' && SQLITE_EXPERIMENTAL.test(String(message))) return
    return (emit as (...args: unknown[]) => void).call(this, warning, ...rest)
  } as EmitWarning
}
