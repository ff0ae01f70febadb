import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONFIG_VARIABLES, loadConfig } from './config.js'

describe('.env.example and README', () => {
  const root = join(__dirname, '..')
  const example = readFileSync(join(root, '.env.example'), 'utf8')
  const readme = readFileSync(join(root, 'README.md'), 'utf8')

  it('list every variable the server reads, and nothing else', () => {
    const inExample = [...example.matchAll(/^(CERTUS_TRUST_[A-Z0-9_]+)=/gm)].map((match) => match[1])
    expect([...inExample].sort()).toEqual([...CONFIG_VARIABLES].sort())
    for (const name of CONFIG_VARIABLES) expect(readme).toContain(`\`${name}\``)
  })

  it('is itself a valid configuration', () => {
    const env = Object.fromEntries(
      [...example.matchAll(/^(CERTUS_TRUST_[A-Z0-9_]+)=(.*)$/gm)].map((match) => [match[1]!, match[2]!]),
    )
    expect(() => loadConfig(env, { cwd: '/tmp' })).not.toThrow()
  })
})
