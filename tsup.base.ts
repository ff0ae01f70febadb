import type { Options } from 'tsup'

/**
 * The settings every package's tsup build shares. A package's `tsup.config.ts` passes only its differences (entries,
 * externals, a second executable build) to {@link packageBuild}.
 */
export const BASE_OPTIONS = {
  format: ['esm', 'cjs'],
  dts: true,
  // No source maps: the published JavaScript is unminified and readable, and maps were ~60 % of each tarball.
  sourcemap: false,
  clean: true,
  target: 'node22',
  tsconfig: 'tsconfig.build.json',
} satisfies Options

/**
 * One tsup build: {@link BASE_OPTIONS} with the package's own options on top.
 *
 * @example
 * export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/x509.ts'] }))
 */
export function packageBuild(options: Options): Options {
  return { ...BASE_OPTIONS, ...options }
}
