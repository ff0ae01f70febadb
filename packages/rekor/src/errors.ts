import { RekorError, type RekorErrorCode } from '@certus-trust/log-protocol'

// RekorError (and its codes) belongs to @certus-trust/log-protocol, where the offline checks throw it; the clients
// here throw the same class, so one `RekorError.is()` covers a refused upload and a bad proof alike.

/** Throws a RekorError; keeps call sites one line. */
export const fail: typeof RekorError.fail = RekorError.fail

export type { RekorErrorCode }
export { RekorError }
