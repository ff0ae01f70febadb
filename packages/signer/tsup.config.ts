import { defineConfig } from 'tsup'

export default defineConfig({
  // signing-worker: the body of the signing threads, loaded by path beside index.js (signing-threads.ts).
  entry: ['src/index.ts', 'src/signing-worker.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // No source maps: the published JavaScript is unminified and readable, and maps were ~60 % of each tarball.
  sourcemap: false,
  clean: true,
  target: 'node22',
  // `import.meta.url` locates dist/signing-worker.js in the CJS build too.
  shims: true,
  tsconfig: 'tsconfig.build.json',
})
