/**
 * Progress for long loops (scoring 15,625 cells, bootstrap resamples).
 *
 * On a terminal (stderr is a TTY) it draws a cli-progress bar with the count, the rate and the
 * ETA. Anywhere else (CI, a log file, a pipe) a redrawn bar would fill the log with hundreds of
 * lines, so it stays silent while running and writes one summary line at done(): how many, in how
 * long, at what rate (pass `summary: false` to silence that line too).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Record n more items done (default 1). Ignored after done(). */
  tick(n?: number): void;
  /** Finish: stop the bar (TTY) or write the summary line (not a TTY). Idempotent. */
  done(): void;
}

/** The part of a stream progress uses; process.stderr by default. */
export interface ProgressStream extends NodeJS.WritableStream {
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  stream?: ProgressStream;
  /** Write one summary line at done() when not on a TTY (default true). */
  summary?: boolean;
}

export function createProgress(label: string, total: number, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const summary = options.summary ?? true;
  const started = Date.now();
  let count = 0;
  let finished = false;

  const rate = (): number => {
    const seconds = (Date.now() - started) / 1000;
    return seconds > 0 ? count / seconds : 0;
  };

  if (stream.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} | {rate}/s | ETA {eta_formatted}`,
        stream,
        // Never install SIGINT/SIGTERM handlers: they would stop Ctrl-C from ending the process.
        gracefulExit: false,
        hideCursor: false,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0.0' });
    return {
      tick(n = 1) {
        if (finished) return;
        count += n;
        bar.update(count, { rate: formatRate(rate()) });
      },
      done() {
        if (finished) return;
        finished = true;
        bar.update(count, { rate: formatRate(rate()) });
        bar.stop();
      },
    };
  }

  return {
    tick(n = 1) {
      if (!finished) count += n;
    },
    done() {
      if (finished) return;
      finished = true;
      if (!summary) return;
      const seconds = (Date.now() - started) / 1000;
      stream.write(`${label}: ${count}/${total} in ${seconds.toFixed(1)} s (${formatRate(rate())}/s)\n`);
    },
  };
}

function formatRate(r: number): string {
  return r >= 100 ? r.toFixed(0) : r.toFixed(1);
}
