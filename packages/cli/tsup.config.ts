import { readFileSync } from 'node:fs'
import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string
}
const define = { __CERTUS_CLI_VERSION__: JSON.stringify(version) }

export default defineConfig([
  packageBuild({ entry: ['src/index.ts'], define }),
  packageBuild({
    // The executable: ESM only, with a shebang; subcommands stay separate chunks loaded on demand.
    entry: { bin: 'src/bin.ts' },
    format: ['esm'],
    dts: false,
    splitting: true,
    clean: false,
    banner: { js: '#!/usr/bin/env node' },
    define,
  }),
])
