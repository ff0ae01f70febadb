#!/usr/bin/env bash
# Scaffolds packages/<name> with the standard package.json fields, tsup, tsconfig and vitest config.
# usage: scripts/new-package.sh <name> "<description>"
set -euo pipefail
name=$1; desc=$2
dir=packages/$name
mkdir -p "$dir/src" "$dir/test"
[ -f "$dir/LICENSE" ] || cp LICENSE "$dir/LICENSE"   # Apache-2.0, shipped in the tarball ("files")
[ -f "$dir/package.json" ] || cat > "$dir/package.json" <<JSON
{
  "name": "@certus-trust/$name",
  "version": "0.1.0",
  "description": "$desc",
  "license": "Apache-2.0",
  "type": "module",
  "sideEffects": false,
  "main": "./dist/index.cjs",
  "module": "./dist/index.js",
  "types": "./dist/index.d.cts",
  "exports": {
    ".": {
      "import": { "types": "./dist/index.d.ts", "default": "./dist/index.js" },
      "require": { "types": "./dist/index.d.cts", "default": "./dist/index.cjs" }
    },
    "./package.json": "./package.json"
  },
  "files": ["dist", "LICENSE"],
  "engines": { "node": ">=22.22.2" },
  "publishConfig": { "access": "public", "provenance": true },
  "repository": { "type": "git", "url": "git+https://github.com/certus-trust/certus-trust.git", "directory": "packages/$name" },
  "scripts": {
    "build": "tsup",
    "test": "vitest run",
    "typecheck": "tsc -p tsconfig.json --noEmit",
    "lint": "biome check .",
    "publint": "publint"
  },
  "dependencies": {},
  "devDependencies": {}
}
JSON
[ -f "$dir/tsup.config.ts" ] || cat > "$dir/tsup.config.ts" <<'TS'
import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

export default defineConfig(packageBuild({ entry: ['src/index.ts'] }))
TS
[ -f "$dir/tsconfig.json" ] || cat > "$dir/tsconfig.json" <<'TS'
{
  "extends": "../../tsconfig.base.json",
  "include": ["src", "test", "bench"]
}
TS
[ -f "$dir/tsconfig.build.json" ] || cat > "$dir/tsconfig.build.json" <<'TS'
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "noEmit": false },
  "include": ["src"],
  "exclude": ["src/**/*.test.ts"]
}
TS
[ -f "$dir/vitest.config.ts" ] || cat > "$dir/vitest.config.ts" <<'TS'
import { packageTestConfig } from '../../vitest.shared.ts'

export default packageTestConfig(import.meta.url)
TS
echo "scaffolded $dir"
