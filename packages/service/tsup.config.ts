import { defineConfig } from 'tsup'

export default defineConfig({
  // One entry per subpath export (package.json "exports"); see src/index.ts for what each holds.
  entry: {
    index: 'src/index.ts',
    'data-dir': 'src/entries/data-dir.ts',
    env: 'src/env.ts',
    layout: 'src/layout.ts',
    schemas: 'src/schemas.ts',
    storage: 'src/entries/storage.ts',
    'trust-root': 'src/trust-root.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  // No source maps: the published JavaScript is unminified and readable, and maps were ~60 % of each tarball.
  sourcemap: false,
  clean: true,
  target: 'node22',
  tsconfig: 'tsconfig.build.json',
})
