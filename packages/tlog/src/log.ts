// `@certus-trust/tlog/log`: the embedded log and timestamp authority without their HTTP APIs, so code that only
// appends and reads (the service behind `certus sign`) does not load hono and the API factories (start-up, issue 11).
// The main entry exports all of this too.
export type { TlogErrorCode } from './errors.js'
export { TlogError } from './errors.js'
export type { PresignatureSource } from './log-signature.js'
export type {
  LogCreateEntryOptions,
  TransparencyLog,
  TransparencyLogOptions,
} from './transparency-log.js'
export { createTransparencyLog } from './transparency-log.js'
export type {
  TimestampAuthority,
  TimestampAuthorityOptions,
  TsaMaterialSource,
} from './tsa/timestamp-authority.js'
export { createTimestampAuthority } from './tsa/timestamp-authority.js'
