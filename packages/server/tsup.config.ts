import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

export default defineConfig(
  packageBuild({
    // index: the library; main: the process entry point (`node dist/main.js`, the container CMD).
    entry: ['src/index.ts', 'src/main.ts'],
    dts: { entry: 'src/index.ts' },
  }),
)
