/** A progress bar on stderr: redrawn in place on a terminal, a line every 10 % otherwise (CI logs). */
export interface ProgressBar {
  update(done: number, total: number, extra?: string): void;
  finish(): void;
}

/** Creates a progress bar labelled `label` writing to `stream` (default stderr). */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  const started = performance.now();
  let lastDraw = 0;
  let lastDecile = -1;
  let drawn = false;
  return {
    update(done, total, extra = '') {
      const fraction = total > 0 ? Math.min(1, done / total) : 0;
      const seconds = (performance.now() - started) / 1000;
      const rate = seconds > 0 ? Math.round(done / seconds) : 0;
      const text = `${label} [${bar(fraction, 24)}] ${done}/${total} ${rate}/s${extra ? ` ${extra}` : ''}`;
      if (stream.isTTY) {
        const now = performance.now();
        if (now - lastDraw < 50 && done < total) return;
        lastDraw = now;
        stream.write(`\r${text}\u001b[K`);
        drawn = true;
      } else {
        const decile = Math.floor(fraction * 10);
        if (decile === lastDecile) return;
        lastDecile = decile;
        stream.write(`${text}\n`);
      }
    },
    finish() {
      if (drawn && stream.isTTY) stream.write('\n');
    },
  };
}

function bar(fraction: number, width: number): string {
  const full = Math.round(fraction * width);
  return '#'.repeat(full) + '.'.repeat(width - full);
}
