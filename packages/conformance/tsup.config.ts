import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

export default defineConfig(
  packageBuild({
    // Executables only (ESM, no types): the conformance client and the bench:verify benchmark.
    entry: ['src/bin.ts', 'src/bench-cli.ts'],
    format: ['esm'],
    dts: false,
    // The verifier stays external (loaded from its dist/): inlining it would also inline the @sigstore/core and
    // @sigstore/tuf it loads lazily, and a second copy of @sigstore/core breaks RFC 3161 verification (the
    // conformance test caught it: 26 of 140 checks).
  }),
)
