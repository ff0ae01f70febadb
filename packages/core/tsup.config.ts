import { defineConfig } from 'tsup'

export default defineConfig({
  // x509.ts: the `./x509` subpath (certificate parsing and path validation), loaded only by its users.
  entry: ['src/index.ts', 'src/x509.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  tsconfig: 'tsconfig.build.json',
})
