import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

export default defineConfig(
  packageBuild({
    // One entry per subpath export (package.json "exports"); see src/index.ts for what each holds.
    entry: {
      index: 'src/index.ts',
      'data-dir': 'src/entries/data-dir.ts',
      env: 'src/env.ts',
      layout: 'src/layout.ts',
      'node-flags': 'src/node-flags.ts',
      schemas: 'src/schemas.ts',
      storage: 'src/entries/storage.ts',
      'trust-root': 'src/trust-root.ts',
    },
  }),
)
