import { defineConfig } from 'tsup'

export default defineConfig({
  // offline.ts: the lean `./offline` subpath (no ky, zod or noble at load time).
  entry: ['src/index.ts', 'src/offline.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // No source maps: the published JavaScript is unminified and readable, and maps were ~60 % of each tarball.
  sourcemap: false,
  clean: true,
  target: 'node22',
  tsconfig: 'tsconfig.build.json',
})
