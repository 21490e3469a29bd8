import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchTarget {
  name: string;
  value: number;
  /** The target as written, such as ">= 1.5" or "<= 50". */
  target: string;
  met: boolean;
}

export function atLeast(name: string, value: number, minimum: number): BenchTarget {
  return { name, value, target: `>= ${minimum}`, met: value >= minimum };
}

export function atMost(name: string, value: number, maximum: number): BenchTarget {
  return { name, value, target: `<= ${maximum}`, met: value <= maximum };
}

/**
 * Prints measurements and targets as tables and writes the targets to
 * tools/bench/results/<benchmark>.json. Returns true when every target is met.
 */
export function report(benchmark: string, measurements: Array<Record<string, string | number>>, targets: BenchTarget[]): boolean {
  if (measurements.length > 0) console.table(measurements);
  console.table(targets.map((target) => ({ target: target.name, value: round(target.value), wanted: target.target, met: target.met ? 'yes' : 'NO' })));
  const directory = join(import.meta.dirname, '..', 'results');
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `${benchmark}.json`);
  writeFileSync(file, `${JSON.stringify({ benchmark, targets: targets.map((target) => ({ ...target, value: round(target.value) })) }, null, 2)}\n`);
  console.log(`wrote ${file}`);
  return targets.every((target) => target.met);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Median of a non-empty list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Percentile (0-100) of a non-empty list, nearest-rank method. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(0, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[rank]!;
}
