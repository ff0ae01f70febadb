import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

export default defineConfig(
  packageBuild({
    // entries.ts: the `./entries` subpath (loads zod and core's digest signatures; the main entry loads neither).
    entry: ['src/index.ts', 'src/entries.ts'],
  }),
)
