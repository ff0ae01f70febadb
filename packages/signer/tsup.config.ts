import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

export default defineConfig(
  packageBuild({
    // Subpaths: in-toto statement builders and the full SigningConfig API, loaded only by their users.
    // signing-worker: the body of the signing threads, loaded by path beside index.js (signing-threads.ts).
    entry: ['src/index.ts', 'src/in-toto.ts', 'src/signing-config.ts', 'src/signing-worker.ts'],
    // `import.meta.url` locates dist/signing-worker.js in the CJS build too.
    shims: true,
  }),
)
