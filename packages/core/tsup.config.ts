import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

export default defineConfig(
  packageBuild({
    // Subpaths, each loaded only by its users: `./x509` (certificate parsing and path validation), `./der` (DER
    // reader and writer), `./signature` (digest signatures, the one user of @noble/curves), `./signing` (its
    // node:crypto-only part: signing over a digest, checks over a message), `./thread-pool` (the worker-thread pool the signing
    // and verification threads share).
    entry: [
      'src/index.ts',
      'src/x509.ts',
      'src/der.ts',
      'src/signature.ts',
      'src/signing.ts',
      'src/thread-pool.ts',
    ],
  }),
)
