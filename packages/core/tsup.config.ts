import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// x509.ts: the `./x509` subpath (certificate parsing and path validation), loaded only by its users.
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/x509.ts'] }))
