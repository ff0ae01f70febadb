import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// offline.ts: the lean `./offline` subpath (no ky, zod or noble at load time).
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/offline.ts'] }))
