import { readFileSync } from 'node:fs'
import { defineConfig } from 'tsup'

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string
}
const define = { __CERTUS_CLI_VERSION__: JSON.stringify(version) }

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    // No source maps: the published JavaScript is unminified and readable, and maps were ~60 % of each tarball.
    sourcemap: false,
    clean: true,
    target: 'node22',
    tsconfig: 'tsconfig.build.json',
    define,
  },
  {
    // The executable: ESM only, with a shebang; subcommands stay separate chunks loaded on demand.
    entry: { bin: 'src/bin.ts' },
    format: ['esm'],
    splitting: true,
    // No source maps: the published JavaScript is unminified and readable, and maps were ~60 % of each tarball.
    sourcemap: false,
    clean: false,
    target: 'node22',
    tsconfig: 'tsconfig.build.json',
    banner: { js: '#!/usr/bin/env node' },
    define,
  },
])
