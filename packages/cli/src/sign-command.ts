// `certus sign`, built on its own (see tsup.config.ts): the executable loads this one file for the command instead of
// the ~30 shared chunks its code would otherwise be split into.
export { runSign } from './commands/sign.js'
