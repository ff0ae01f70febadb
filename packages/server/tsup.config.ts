import { defineConfig } from 'tsup'

export default defineConfig({
  // index: the library; main: the process entry point (`node dist/main.js`, the container CMD).
  entry: ['src/index.ts', 'src/main.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  // No source maps: the published JavaScript is unminified and readable, and maps were ~60 % of each tarball.
  sourcemap: false,
  clean: true,
  target: 'node22',
  tsconfig: 'tsconfig.build.json',
})
