// Public entry of @certus-trust/rekor: the Rekor v1 and v2 HTTP clients and the tlog-tiles reader. The protocol they
// speak (proofs, checkpoints, SETs, entry bodies) is @certus-trust/log-protocol; import it from there.

// The clients throw RekorError, which log-protocol owns (its offline checks throw it too); re-exported so code that
// catches a client's failure needs no second import. Every other protocol name is log-protocol's alone.
export type { RekorErrorCode } from '@certus-trust/log-protocol'
export { RekorError } from '@certus-trust/log-protocol'
export type {
  CallOptions,
  RekorClientOptions,
  RetrieveEntriesQuery,
  SearchIndexQuery,
} from './rekor-client.js'
export {
  createRekorClient,
  DEFAULT_REKOR_RETRIES,
  DEFAULT_REKOR_TIMEOUT,
  DEFAULT_REKOR_URL,
  RekorClient,
} from './rekor-client.js'
export type { RekorV2ClientOptions, V2EntryCreator } from './rekor-v2-client.js'
export { DEFAULT_REKOR_V2_TIMEOUT, RekorV2Client } from './rekor-v2-client.js'
export type { ConsistencyProofResponse, LogInfo, ShardInfo } from './schemas.js'
export type { TileInclusionProof, TilesClientOptions } from './tiles.js'
export { TilesClient } from './tiles.js'
