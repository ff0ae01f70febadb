// `certus sign` as its own entry: the executable also builds it as one CommonJS bundle, loaded with a code cache of
// what it ran (tsup.config.ts, ADR 0017); the library build and the tests import it as usual.
export { runSign } from './commands/sign.js'
