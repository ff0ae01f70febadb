import { packageTestConfig } from '../../vitest.shared.ts'

// The PGlite backend starts a database in beforeEach: give a cold start room on a busy 2-core machine.
export default packageTestConfig(import.meta.url, { hookTimeout: 60_000 })
