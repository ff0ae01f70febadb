import { defineConfig } from 'tsup'

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    // No source maps: the published JavaScript is unminified and readable, and maps were ~60 % of each tarball.
    sourcemap: false,
    clean: false, // two configs share dist/: the build script cleans once, before both (avoids a clean racing the other build)
    target: 'node22',
    tsconfig: 'tsconfig.build.json',
  },
  {
    // Executables: ESM only, no types. Separate so the conformance bin loads only the verify path.
    entry: ['src/bin.ts', 'src/bench-cli.ts'],
    format: ['esm'],
    dts: false,
    // No source maps: the published JavaScript is unminified and readable, and maps were ~60 % of each tarball.
    sourcemap: false,
    clean: false,
    target: 'node22',
    tsconfig: 'tsconfig.build.json',
  },
])
