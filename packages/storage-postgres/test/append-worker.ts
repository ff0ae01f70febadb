// Child process of the concurrency test: appends `batches` batches of `perBatch` leaves to one tree,
// each batch under the tree lock, then prints a JSON summary. Run with `node --import tsx`.
import { createHash } from 'node:crypto'
import { createPostgresStorage } from '../src/index.js'

const [url, treeId, worker, batches, perBatch] = process.argv.slice(2)
const storage = await createPostgresStorage({ connectionString: url!, maxConnections: 2 })
const starts: number[] = []
// Barrier: report readiness (connected), then wait for the parent's "go" so all writers start together.
await storage.getLeafCount(treeId!)
process.stdout.write('ready\n')
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()))
try {
  for (let batch = 0; batch < Number(batches); batch++) {
    starts.push(
      await storage.withTreeLock(treeId!, async (tx) => {
        const count = await tx.getLeafCount(treeId!)
        await tx.appendLeaves(
          Array.from({ length: Number(perBatch) }, (_, i) => {
            const body = Buffer.from(`${worker}:${batch}:${i}`)
            return {
              treeId: treeId!,
              leafIndex: count + i,
              leafHash: createHash('sha256')
                .update(Buffer.concat([Buffer.from([0]), body]))
                .digest(),
              body,
              integratedTime: 1_700_000_000,
              signedEntryTimestamp: Buffer.from([1]),
              searchKeys: [`worker:${worker}`],
            }
          }),
        )
        return count
      }),
    )
  }
  process.stdout.write(`${JSON.stringify({ worker, starts })}\n`)
} finally {
  await storage.close()
}
