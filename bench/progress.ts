import { Presets, SingleBar } from "cli-progress";

/** A progress bar on stderr when it is a terminal; otherwise a plain line every ~10% (and at most every 5 s). */
export interface Progress {
  update(done: number): void;
  stop(): void;
}

export function progress(label: string, total: number): Progress {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      stream: process.stderr, hideCursor: true, etaBuffer: 50,
      format: `  ${label} {bar} {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}`,
    }, Presets.shades_classic);
    const t0 = performance.now();
    bar.start(total, 0, { rate: 0 });
    return {
      update: (done) => bar.update(done, { rate: Math.round(done / Math.max(0.001, (performance.now() - t0) / 1000)) }),
      stop: () => bar.stop(),
    };
  }
  const t0 = performance.now();
  let lastPct = -1;
  let lastAt = 0;
  return {
    update(done) {
      const pct = Math.floor((done / total) * 10) * 10;
      const now = performance.now();
      if (done === total || pct > lastPct || now - lastAt > 5000) {
        if (pct === lastPct && done !== total && now - lastAt <= 5000) return;
        lastPct = pct;
        lastAt = now;
        const s = (now - t0) / 1000;
        process.stderr.write(`  ${label}: ${done}/${total} (${pct}%), ${Math.round(done / Math.max(0.001, s))}/s, ${s.toFixed(1)} s\n`);
      }
    },
    stop() {},
  };
}
