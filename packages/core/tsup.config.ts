import { defineConfig } from 'tsup'

export default defineConfig({
  // Subpaths, each loaded only by its users: `./x509` (certificate parsing and path validation), `./der` (DER reader
  // and writer), `./signature` (digest signatures, the one user of @noble/curves).
  entry: ['src/index.ts', 'src/x509.ts', 'src/der.ts', 'src/signature.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // No source maps: the published JavaScript is unminified and readable, and maps were ~60 % of each tarball.
  sourcemap: false,
  clean: true,
  target: 'node22',
  tsconfig: 'tsconfig.build.json',
})
