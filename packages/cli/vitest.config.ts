import { packageTestConfig } from '../../vitest.shared.ts'

// Tests run the built bin; opening PGlite takes seconds on a loaded 2-core machine.
export default packageTestConfig(import.meta.url, { testTimeout: 120_000 })
