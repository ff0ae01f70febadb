import { defineConfig } from 'tsup'

export default defineConfig({
  // x509.ts: the `./x509` subpath (certificate parsing and path validation), loaded only by its users.
  entry: ['src/index.ts', 'src/x509.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // No source maps: the published JavaScript is unminified and readable, and maps were ~60 % of each tarball.
  sourcemap: false,
  clean: true,
  target: 'node22',
  tsconfig: 'tsconfig.build.json',
})
