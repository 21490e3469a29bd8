import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { atLeast, atMost, median, percentile, report } from '../src/report.ts';

describe('median', () => {
  it('takes the middle of an odd list', () => {
    expect(median([5, 1, 3])).toBe(3);
  });

  it('averages the middle pair of an even list', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
  });
});

describe('targets', () => {
  it('compare against their bound', () => {
    expect(atLeast('ratio', 1.5, 1.5).met).toBe(true);
    expect(atLeast('ratio', 1.49, 1.5).met).toBe(false);
    expect(atMost('p95 ms', 50, 50).met).toBe(true);
    expect(atMost('p95 ms', 50.1, 50).met).toBe(false);
  });
});

describe('report', () => {
  it('writes the results file and returns whether all targets are met', () => {
    vi.spyOn(console, 'table').mockImplementation(() => {});
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const met = report('report-selftest', [{ variant: 'a', rps: 10 }], [atLeast('x', 2, 1), atMost('y', 3, 1)]);
    expect(met).toBe(false);
    const written = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'results', 'report-selftest.json'), 'utf8')) as {
      benchmark: string;
      targets: Array<{ name: string; met: boolean; target: string }>;
    };
    expect(written.benchmark).toBe('report-selftest');
    expect(written.targets.map((target) => target.met)).toEqual([true, false]);
    expect(written.targets[1]?.target).toBe('<= 1');
  });
});
