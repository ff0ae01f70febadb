import type { EntryLookup } from './verifier.js'

/** The part of `@certus-trust/rekor`'s RekorClient the online check uses. */
export interface RekorEntryReader {
  getEntryByUuid(uuid: string, options?: { signal?: AbortSignal }): Promise<{ body: string }>
}

/**
 * Adapts a Rekor client (e.g. `createRekorClient({ baseUrl })` from `@certus-trust/rekor`) to the
 * verifier's {@link EntryLookup}: a `REKOR_NOT_FOUND` answer means "the entry is gone"; any other
 * failure propagates and fails the check with `VERIFIER_ONLINE_CHECK_FAILED`.
 *
 * @example
 * const verifier = createVerifier({ online: rekorEntryLookup(createRekorClient({ baseUrl: DEFAULT_REKOR_URL })) })
 */
export function rekorEntryLookup(client: RekorEntryReader): EntryLookup {
  return {
    async getEntry(uuid, options) {
      try {
        return await client.getEntryByUuid(uuid, options)
      } catch (error) {
        // Duck-typed so this package need not load the HTTP client: RekorError carries `code`.
        if ((error as { code?: unknown })?.code === 'REKOR_NOT_FOUND') return undefined
        throw error
      }
    },
  }
}
