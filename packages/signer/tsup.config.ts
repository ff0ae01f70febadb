import { defineConfig } from 'tsup'

export default defineConfig({
  // Subpaths: in-toto statement builders and the full SigningConfig API, loaded only by their users.
  entry: ['src/index.ts', 'src/in-toto.ts', 'src/signing-config.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // No source maps: the published JavaScript is unminified and readable, and maps were ~60 % of each tarball.
  sourcemap: false,
  clean: true,
  target: 'node22',
  tsconfig: 'tsconfig.build.json',
})
