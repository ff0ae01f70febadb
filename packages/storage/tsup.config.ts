import { defineConfig } from 'tsup'

export default defineConfig({
  // `testing` is the contract suite (imports vitest, a peer dependency); `backend` holds helpers for backend authors.
  entry: ['src/index.ts', 'src/backend.ts', 'src/testing.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // No source maps: the published JavaScript is unminified and readable, and maps were ~60 % of each tarball.
  sourcemap: false,
  clean: true,
  target: 'node22',
  tsconfig: 'tsconfig.build.json',
  external: ['vitest'],
})
