import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

export default defineConfig(
  packageBuild({
    // `testing` is the contract suite (imports vitest, a peer dependency); `backend` holds helpers for backend authors.
    entry: ['src/index.ts', 'src/backend.ts', 'src/testing.ts'],
    external: ['vitest'],
  }),
)
