import { type EcdsaPresignature, readEcdsaPresignatures } from '@certus-trust/core/signing'
import type { ThreadPool } from '@certus-trust/core/thread-pool'

/** A stock of ECDSA presignatures (see `createEcdsaPresignatures` in `@certus-trust/core/signing`). */
export interface EcdsaPresignatureSupply {
  /**
   * A presignature no one was handed before (it is the caller's to use once), or `undefined` when the stock is
   * empty — sign the usual way then. Taking one tops the stock up in the background while the threads run.
   */
  take(): EcdsaPresignature | undefined
}

/**
 * Presignatures per request to a thread: ~1 ms of its time, so a signing batch that shares its message waits
 * little; one request in flight at a time makes ~10,000 a second, above what the log commits.
 */
const REFILL_COUNT = 32
/** The stock at which a refill is asked for: ~50 ms of SETs at 2,500 signings a second. */
const REFILL_BELOW = 128

/**
 * @internal A supply that asks `pool` for more only while its threads run: a process at rest starts no thread
 * for presignatures, and its SETs are signed the usual way.
 */
export function createPresignatureSupply(
  algorithm: 'ecdsa-p256' | 'ecdsa-p384',
  pool: Pick<
    ThreadPool<{ algorithm: 'ecdsa-p256' | 'ecdsa-p384'; presign: number }, Uint8Array>,
    'run' | 'running'
  >,
): EcdsaPresignatureSupply {
  const stock: EcdsaPresignature[] = []
  let refilling = false
  const refill = () => {
    if (refilling || stock.length >= REFILL_BELOW || pool.running === 0) return
    refilling = true
    pool
      .run({ algorithm, presign: REFILL_COUNT })
      .then(
        (packed) => {
          for (const presignature of readEcdsaPresignatures(algorithm, packed)) stock.push(presignature)
        },
        // A thread that stopped or failed: the next take() asks again; until then SETs are signed the usual way.
        () => {},
      )
      .finally(() => {
        refilling = false
      })
  }
  return {
    take() {
      const presignature = stock.pop()
      refill()
      return presignature
    },
  }
}
