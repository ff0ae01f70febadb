import type { Output } from './output.js'

/** A progress display for batches; a no-op unless stderr is a terminal and output is for people. */
export interface Progress {
  tick(label?: string): void
  stop(): void
}

const NO_PROGRESS: Progress = { tick() {}, stop() {} }

/**
 * A cli-progress bar on stderr for `total` items. Shown only on a TTY, without `--json`, for more than
 * one item — so pipes, CI logs and machine output never get control characters.
 */
export async function createProgress(out: Output, total: number, what: string): Promise<Progress> {
  if (out.json || total < 2 || out.io.stderr.isTTY !== true || out.io.env.CI) return NO_PROGRESS
  const { SingleBar, Presets } = await import('cli-progress')
  const bar = new SingleBar(
    {
      format: `${what} [{bar}] {value}/{total} {label}`,
      stream: out.io.stderr as NodeJS.WritableStream,
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  )
  bar.start(total, 0, { label: '' })
  return {
    tick(label = '') {
      bar.increment(1, { label })
    },
    stop() {
      bar.stop()
    },
  }
}
