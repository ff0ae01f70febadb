import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { defineConfig, type Options } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string
}
const define = { __CERTUS_CLI_VERSION__: JSON.stringify(version) }
// Start-up (issue 11): zod re-exports all ~45 of its error-message locales (`z.locales`, `z.core.locales`), about
// half of zod's code. No Certus code picks a locale (zod keeps English, its default, whichever way), so the
// executable gets empty `locales` namespaces and every command reads and compiles ~370 KB less.
const zodWithoutLocales: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'zod-without-locales',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core|mini)[\\/]/.test(args.importer)
        ? { path: 'zod-locales', namespace: 'zod-without-locales' }
        : undefined,
    )
    build.onLoad({ filter: /.*/, namespace: 'zod-without-locales' }, () => ({ contents: 'export {}' }))
  },
}
// Start-up (issue 11): a namespace object used as a value keeps every export of the namespace alive, so zod was
// bundled whole (~390 KB, every command that loads zod paying for it): @hono/zod-openapi hands zod's namespace to
// extendZodWithOpenApi, which only touches `ZodType.prototype` (to add `.openapi()`). Given an object holding
// `ZodType` alone it does the same, and esbuild keeps only the zod the bundled code uses (our packages import
// `* as z` and use members by name). Fails the build if @hono/zod-openapi no longer has that call.
const zodOpenApiWithoutNamespace: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'zod-openapi-without-namespace',
  setup(build) {
    build.onLoad({ filter: /[\\/]@hono[\\/]zod-openapi[\\/]dist[\\/]index\.mjs$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8')
      const call = 'extendZodWithOpenApi(z);'
      if (!source.includes(call)) throw new Error(`${args.path}: no "${call}" to narrow (see tsup.config.ts)`)
      // ZodType imported by name: a member of the `z` namespace import would keep the namespace object.
      return {
        contents: `import { ZodType as __certusZodType } from 'zod';\n${source.replace(call, 'extendZodWithOpenApi({ ZodType: __certusZodType });')}`,
        loader: 'js',
        resolveDir: dirname(args.path),
      }
    })
  },
}
// Start-up (issue 11): `certus sign` is the command people time. Split like the rest, its code is ~30 chunks (one per
// set of commands sharing a module), and Node's compile cache, written before a module runs, spares none of the
// functions it calls from being compiled on every run. So sign's code is also built on its own, as one CommonJS
// bundle (`sign-command.cjs`, below), which the executable loads through `vm.Script` with a code cache written after
// the command ran (see loadStandaloneScript): in the executable build `./sign-command.js` is the loader. The price: a
// second copy of the code sign shares with other commands (~1 MB). Errors cross the two copies safely: Certus errors
// are recognised by a global symbol, zod's settings live on globalThis.
const signCommandLoader: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'sign-command-loader',
  setup(build) {
    build.onResolve({ filter: /^\.\/sign-command\.js$/ }, (args) => ({
      path: join(args.resolveDir, 'sign-command-executable.ts'),
    }))
  },
}
// The signer starts its signing threads from `./signing-worker.js` beside the module that spawns them, and the verifier
// its verification threads from `./verify-worker.js`; bundled, that module is one of our chunks, so each thread body is
// an entry of the executable's build too.
const packageDir = (name: string) => dirname(createRequire(import.meta.url).resolve(`${name}/package.json`))
const signerDir = packageDir('@certus-trust/signer')
const verifierDir = packageDir('@certus-trust/verifier')

// Start-up (issue 11): the executable bundles the workspace packages and their ESM dependencies, so a command loads a
// few chunks instead of ~200 files (no per-file resolution; one compile-cache entry each). Kept external, hence
// dependencies of this package: the optional KMS plugins (loaded by name), storage-postgres (it reads its SQL
// migrations, and PGlite its wasm, beside their JavaScript), and the CommonJS packages our code loads with `import()`
// (sigstore-js, pg: esbuild would hand back only `default`). Shared by the executable's two builds.
const bundled = {
  dts: false,
  clean: false,
  removeNodeProtocol: false,
  noExternal: [/^(?!@certus-trust\/kms-|@certus-trust\/storage-postgres$|@sigstore\/|pg$|cli-progress$)/],
  define,
  esbuildPlugins: [zodWithoutLocales, zodOpenApiWithoutNamespace],
} satisfies Options

export default defineConfig([
  packageBuild({ entry: ['src/index.ts'], define }),
  packageBuild({
    // The executable: ESM only, with a shebang; subcommands stay separate chunks loaded on demand.
    entry: {
      bin: 'src/bin.ts',
      'signing-worker': join(signerDir, 'dist', 'signing-worker.js'),
      'verify-worker': join(verifierDir, 'dist', 'verify-worker.js'),
    },
    format: ['esm'],
    splitting: true,
    ...bundled,
    // The few CommonJS packages that stay bundled call `require`, which the banner provides to every chunk. It is
    // made on first call: createRequire costs ~0.1 ms, and one command loads dozens of chunks that never call it.
    banner: {
      js: [
        '#!/usr/bin/env node',
        "import { createRequire as __certusRequire } from 'node:module';",
        'let __certusRequireFn;',
        'function require(id) { return (__certusRequireFn ??= __certusRequire(import.meta.url))(id); }',
      ].join('\n'),
    },
    esbuildPlugins: [...bundled.esbuildPlugins, signCommandLoader],
  }),
  packageBuild({
    // `certus sign` in one CommonJS file (see signCommandLoader), bundled as the executable is; `shims` gives its
    // `import.meta.url` (the signing threads start beside it). No `import()` is left in it (a script run by `vm` has
    // none without an experimental flag): what stays external is loaded with `require`, which takes Node built-ins,
    // the CommonJS packages and, on Node 22.12+, ES modules.
    entry: { 'sign-command': 'src/sign-command.ts' },
    format: ['cjs'],
    shims: true,
    splitting: false,
    ...bundled,
    esbuildOptions(options) {
      options.supported = { ...options.supported, 'dynamic-import': false }
    },
  }),
])
