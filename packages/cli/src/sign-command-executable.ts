import { loadStandaloneScript } from './standalone-script.js'

// In the executable, `./sign-command.js` is this module (see tsup.config.ts): `certus sign` from its own CommonJS
// bundle beside the chunks, loaded with a code cache of the functions it runs.
export const { runSign } = loadStandaloneScript<typeof import('./commands/sign.js')>(
  new URL('./sign-command.cjs', import.meta.url),
)
