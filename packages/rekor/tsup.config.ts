import { defineConfig } from 'tsup'

export default defineConfig({
  // offline.ts: the lean `./offline` subpath (no ky, zod or noble at load time).
  entry: ['src/index.ts', 'src/offline.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  tsconfig: 'tsconfig.build.json',
})
