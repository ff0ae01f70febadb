import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// Subpaths: in-toto statement builders and the full SigningConfig API, loaded only by their users.
export default defineConfig(
  packageBuild({ entry: ['src/index.ts', 'src/in-toto.ts', 'src/signing-config.ts'] }),
)
