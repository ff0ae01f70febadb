import { defineConfig } from 'tsup'

export default defineConfig({
  // index: the library; main: the process entry point (`node dist/main.js`, the container CMD).
  entry: ['src/index.ts', 'src/main.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node22',
  tsconfig: 'tsconfig.build.json',
})
