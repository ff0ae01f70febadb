import { CertusError } from '@certus-trust/core'

/** A failed item of a batch, as `--json` prints it. */
export interface ItemError {
  code: string
  message: string
}

/** The closing summary of a batch (`sign` and `verify`): counts for `--json`, and a line for people. */
export interface Summary {
  total: number
  succeeded: number
  failed: number
  /** e.g. "3 verified / 1 failed" (printed on stderr in text mode when more than one item ran). */
  line: string
}

/** Counts a batch's outcomes; `verb` names success ("verified", "signed"). */
export function batchSummary(total: number, failed: number, verb: string): Summary {
  const succeeded = total - failed
  return { total, succeeded, failed, line: `${succeeded} ${verb} / ${failed} failed` }
}

/** A thrown value as an item's `{ code, message }` (unknown errors are `CLI_INTERNAL`). */
export function itemError(error: unknown): ItemError {
  return {
    code: CertusError.isCertusError(error) ? error.code : 'CLI_INTERNAL',
    message: error instanceof Error ? error.message : String(error),
  }
}
