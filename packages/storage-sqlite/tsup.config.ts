import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

export default defineConfig(
  packageBuild({
    entry: ['src/index.ts'],
    // `node:sqlite` exists only with its prefix (there is no bare `sqlite` builtin): keep `node:` as written.
    removeNodeProtocol: false,
  }),
)
