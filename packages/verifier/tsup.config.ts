import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

export default defineConfig(
  packageBuild({
    // threads: verification on worker threads (subpath, loaded only by its users); verify-worker: their body,
    // loaded by path beside the module that spawns it (threads.ts).
    entry: ['src/index.ts', 'src/threads.ts', 'src/verify-worker.ts'],
    // `import.meta.url` locates dist/verify-worker.js in the CJS build too.
    shims: true,
  }),
)
