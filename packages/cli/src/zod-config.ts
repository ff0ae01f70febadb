/** Where zod keeps its global configuration: one object on `globalThis`, shared by every copy of zod (zod 4). */
const ZOD_GLOBAL_CONFIG = '__zod_globalConfig'

/**
 * Start-up (issue 11): a one-shot command parses each schema once or twice, so zod's JIT — which compiles a
 * specialised parser with `new Function` the first time an object schema parses — costs more than it saves
 * (~8 ms of `certus sign`). Every command but `serve` turns it off (`jitless`, zod's documented switch); the server
 * keeps it, because it parses the same request and row shapes thousands of times. Must run before zod loads: zod
 * reads the flag when a schema is built. Merges into an existing configuration, whoever created it.
 * @internal
 */
export function configureZodForCommand(
  command: string | undefined,
  target: Record<string, unknown> = globalThis as unknown as Record<string, unknown>,
): void {
  if (command === 'serve') return
  const existing = target[ZOD_GLOBAL_CONFIG]
  const config = (typeof existing === 'object' && existing !== null ? existing : {}) as Record<
    string,
    unknown
  >
  config.jitless = true
  target[ZOD_GLOBAL_CONFIG] = config
}
