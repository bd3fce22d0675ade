import os from 'node:os';
/**
 * Latency bookkeeping: every timed call lands in one named bucket (one per request type);
 * a phase result is computed from one or more buckets and the phase's wall-clock time.
 */
export interface PhaseResult {
  name: string;
  requests: number;
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  errors: number;
}

/** Nearest-rank percentile of an ascending array (0 when empty). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export class Recorder {
  private readonly latencies = new Map<string, number[]>();
  private readonly errorCounts = new Map<string, number>();
  /** The first few failures, verbatim enough to debug (status + body, or the exception). */
  readonly errorSamples: string[] = [];
  constructor(private readonly maxSamples = 5) {}

  /** Runs `fn`, records its latency under `op`; a throw counts as an error and yields undefined. */
  async time<T>(op: string, fn: () => Promise<T>): Promise<T | undefined> {
    const started = performance.now();
    try {
      const value = await fn();
      this.add(op, performance.now() - started);
      return value;
    } catch (error) {
      this.add(op, performance.now() - started);
      this.errorCounts.set(op, (this.errorCounts.get(op) ?? 0) + 1);
      if (this.errorSamples.length < this.maxSamples)
        this.errorSamples.push(`${op}: ${(error as Error)?.message ?? String(error)}`);
      return undefined;
    }
  }

  private add(op: string, ms: number) {
    let list = this.latencies.get(op);
    if (!list) this.latencies.set(op, (list = []));
    list.push(ms);
  }

  errors(op?: string): number {
    if (op) return this.errorCounts.get(op) ?? 0;
    let total = 0;
    for (const n of this.errorCounts.values()) total += n;
    return total;
  }

  /** One phase row over the buckets `ops`, with requests/s measured against `elapsedMs`. */
  result(name: string, ops: string[], elapsedMs: number): PhaseResult {
    const all = Float64Array.from(ops.flatMap((op) => this.latencies.get(op) ?? [])).sort();
    return {
      name,
      requests: all.length,
      rps: elapsedMs > 0 ? round((all.length * 1000) / elapsedMs, 1) : 0,
      p50Ms: round(percentile(all, 50)),
      p95Ms: round(percentile(all, 95)),
      p99Ms: round(percentile(all, 99)),
      errors: ops.reduce((n, op) => n + this.errors(op), 0),
    };
  }
}

/** Runs `work(item)` over `items` with `concurrency` async workers pulling from one queue. */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

/** A small deterministic PRNG (mulberry32), so SCIM and raw runs pick the same users. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** The machine's 1-minute load average now; `end()` answers it with the one at the end, for a report. */
export function loadAverageWatch(): { end(): { cpus: number; before: number; after: number } } {
  const round = (n: number) => Math.round(n * 100) / 100;
  const before = round(os.loadavg()[0]);
  return { end: () => ({ cpus: os.cpus().length, before, after: round(os.loadavg()[0]) }) };
}
