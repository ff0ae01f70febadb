// Child process of the concurrency tests: appends batches of leaves to one tree of a SQLite file, each batch
// with a tree head chained to the previous one, and prints `ack <start> <size>` after each commit (an
// acknowledged batch). `batches` = 0 appends until killed. Run with `node --import tsx`.
import { createSqliteStorage } from '../src/index.js'
import { chainRoot, leafHashOf } from './chain.js'

const [path, treeId, worker, batches, perBatch] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
]

{
  const storage = await createSqliteStorage({ path, busyTimeoutMs: 30_000 })
  await storage.getLeafCount(treeId)
  process.stdout.write('ready\n')
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()))
  try {
    for (let batch = 0; Number(batches) === 0 || batch < Number(batches); batch++) {
      const [start, size] = await storage.withTreeLock(treeId, async (tx) => {
        const count = await tx.getLeafCount(treeId)
        const head = await tx.getLatestTreeHead(treeId)
        // The head always describes exactly the stored leaves: anything else would be a forked log.
        if ((head?.treeSize ?? 0) !== count) throw new Error(`head ${head?.treeSize} != leaves ${count}`)
        const leaves = Array.from({ length: Number(perBatch) }, (_, i) => {
          const body = `${worker}:${batch}:${i}`
          return {
            treeId,
            leafIndex: count + i,
            leafHash: leafHashOf(body),
            body: Buffer.from(body),
            integratedTime: 1_700_000_000,
            signedEntryTimestamp: Buffer.from([1]),
            searchKeys: [`worker:${worker}`],
          }
        })
        await tx.appendLeaves(leaves)
        const size = count + leaves.length
        await tx.putTreeHead({
          treeId,
          treeSize: size,
          rootHash: chainRoot(
            head?.rootHash ?? new Uint8Array(32),
            leaves.map((leaf) => leaf.leafHash),
          ),
          checkpoint: `${worker}:${batch}`,
          createdAt: new Date(),
        })
        return [count, size] as const
      })
      process.stdout.write(`ack ${start} ${size}\n`)
    }
    process.stdout.write('done\n')
  } finally {
    await storage.close()
  }
}
