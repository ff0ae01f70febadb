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
 * Presignatures per request to a thread: ~2 ms of its time, so a signing batch that shares its message waits
 * little.
 */
const REFILL_COUNT = 64
/**
 * Requests in flight at most: one per thread of a 2-core machine. A request waits behind the signing batches queued
 * on its thread, and one at a time fell behind a busy log (a profile at ~1,000 signings/s found ~45 % of SETs signed
 * whole).
 */
const REFILLS_IN_FLIGHT = 2
/** The stock (with what is on its way) below which more is asked for: ~100 ms of SETs at 2,500 signings a second. */
const REFILL_BELOW = 256

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
  let inFlight = 0
  const refill = () => {
    if (inFlight >= REFILLS_IN_FLIGHT || pool.running === 0) return
    if (stock.length + inFlight * REFILL_COUNT >= REFILL_BELOW) return
    inFlight += 1
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
        inFlight -= 1
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
