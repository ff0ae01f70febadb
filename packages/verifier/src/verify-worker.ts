// The body of a verification thread (see threads.ts): builds its verifier once from the trusted root it was started
// with, verifies each batch it is posted and answers with one verdict per item, in order. Online entry lookups are
// questions to the calling thread, which holds the log. Nothing here is reachable from a request: the thread only
// ever sees what its pool, inside this process, posts to it.
import { workerData } from 'node:worker_threads'
import { type AskCallingThread, serveThreadPool } from '@certus-trust/core/thread-pool'
import { VerifierError } from './errors.js'
import type { EntryQuestion, VerifyTask, VerifyThreadData, VerifyVerdict } from './threads.js'
import { createVerifier, type Verifier } from './verifier.js'

const data = workerData as VerifyThreadData
let verifier: Verifier | undefined

function buildVerifier(ask: AskCallingThread): Verifier {
  const online = data.online
    ? {
        getEntry: async (uuid: string) =>
          (await ask({ uuid } satisfies EntryQuestion)) as { body: string } | null,
      }
    : undefined
  return createVerifier({ trustedRoot: data.trustedRoot, ...data.options, ...(online ? { online } : {}) })
}

async function verdictOf(task: VerifyTask): Promise<VerifyVerdict> {
  try {
    return { ok: true, result: await verifier!.verify(task.bundle, task.artifact, task.policy) }
  } catch (error) {
    // The verifier only throws VerifierErrors; the code and message cross, never the cause (it may hold key or
    // bundle internals and need not be cloneable).
    const typed = VerifierError.is(error)
      ? error
      : new VerifierError({ code: 'VERIFIER_MALFORMED_BUNDLE', message: 'bundle could not be verified' })
    return { ok: false, code: typed.code, message: typed.message }
  }
}

serveThreadPool(async (body, ask) => {
  verifier ??= buildVerifier(ask)
  // A batch's verifications overlap: one waiting on an online lookup does not hold up the others.
  return { body: await Promise.all((body as VerifyTask[]).map(verdictOf)) }
})
