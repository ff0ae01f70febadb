import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

export default defineConfig(
  packageBuild({
    entry: ['src/index.ts'],
    // `import.meta.url` locates migrations/*.sql next to dist/ in the CJS build too.
    shims: true,
  }),
)
