import { createHash } from 'node:crypto'
import { bytesEqual } from '@certus-trust/core'
import type { ResolvedArtifact } from './artifact.js'
import { fail } from './errors.js'
import type { VerificationResult } from './verifier.js'

/** For DSSE: the artifact must be a subject of the in-toto statement (or, for other payloads, the payload). */
export function matchDsseSubject(
  payloadType: string,
  payload: Buffer,
  artifact: ResolvedArtifact,
): VerificationResult['statement'] {
  if (payloadType !== 'application/vnd.in-toto+json') {
    const digest = createHash('sha256').update(payload).digest()
    if (!bytesEqual(digest, artifact.sha256))
      fail('VERIFIER_ARTIFACT_MISMATCH', 'the artifact is not the DSSE payload')
    return undefined
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(payload.toString('utf8'))
  } catch (error) {
    fail('VERIFIER_MALFORMED_BUNDLE', 'the in-toto statement is not JSON', error)
  }
  const subjects = (parsed as { subject?: unknown }).subject
  if (!Array.isArray(subjects)) fail('VERIFIER_MALFORMED_BUNDLE', 'the in-toto statement has no subject list')
  const clean: Array<{ name?: string; digest: Record<string, string> }> = []
  let matched = false
  for (const subject of subjects) {
    const digest = (subject as { digest?: unknown })?.digest
    if (typeof digest !== 'object' || digest === null) continue
    const entries = Object.entries(digest).filter(
      (pair): pair is [string, string] => typeof pair[1] === 'string',
    )
    const name = (subject as { name?: unknown }).name
    clean.push({ name: typeof name === 'string' ? name : undefined, digest: Object.fromEntries(entries) })
    for (const [algorithm, value] of entries) {
      const ours = artifact.digest(algorithm.toLowerCase())
      if (ours && /^[0-9a-fA-F]+$/.test(value) && ours.toString('hex') === value.toLowerCase()) matched = true
    }
  }
  if (!matched) fail('VERIFIER_ARTIFACT_MISMATCH', 'the artifact matches no subject of the in-toto statement')
  const predicateType = (parsed as { predicateType?: unknown }).predicateType
  return { predicateType: typeof predicateType === 'string' ? predicateType : undefined, subjects: clean }
}
