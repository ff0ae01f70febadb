// `@certus-trust/signer/in-toto`: in-toto Statement v1 builders and constants for `attest()` (which also takes a
// plain `{ subjects, predicateType, predicate }` input, so most callers never need this subpath).
export type { SlsaProvenanceV1, Statement, StatementInput, Subject } from './statement.js'
export {
  createStatement,
  cycloneDxStatement,
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  PREDICATE_TYPES,
  slsaProvenanceStatement,
  spdxStatement,
} from './statement.js'
