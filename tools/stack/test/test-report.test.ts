import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFailedTasks, sumReports } from '../src/test-report.ts';

let reportDir: string | undefined;

afterEach(() => {
  if (reportDir !== undefined) rmSync(reportDir, { recursive: true, force: true });
  reportDir = undefined;
});

function writeReports(reports: Record<string, unknown>): string {
  reportDir = mkdtempSync(join(tmpdir(), 'platform-test-report-'));
  for (const [project, report] of Object.entries(reports)) writeFileSync(join(reportDir, `${project}.json`), JSON.stringify(report));
  return reportDir;
}

describe('test report', () => {
  it('parses failed tasks with colour codes', () => {
    const output = 'noise\n - not-a-task\n\u001b[2mFailed tasks:\u001b[22m\n\n\u001b[2m-\u001b[22m bench:test\n\u001b[2m-\u001b[22m token-validation:typecheck\n\n  Run duration: 1s\n';
    expect(parseFailedTasks(output)).toEqual(['bench:test', 'token-validation:typecheck']);
    expect(parseFailedTasks('all good')).toEqual([]);
  });

  it('sums passed, failed and skipped tests', () => {
    const totals = sumReports(writeReports({
      alpha: { numPassedTests: 3, numFailedTests: 1, numPendingTests: 2, numTodoTests: 1, numTotalTests: 7, success: false, testResults: [] },
      beta: { numPassedTests: 4, numFailedTests: 0, numTotalTests: 4, success: true, testResults: [] },
    }));
    expect(totals.passed).toBe(7);
    expect(totals.failed).toBe(1);
    expect(totals.skipped).toBe(3);
    expect([...totals.projectsWithFailures]).toEqual(['alpha']);
  });

  it('counts a file that failed to load', () => {
    const totals = sumReports(writeReports({ gamma: { numPassedTests: 2, numFailedTests: 0, numTotalTests: 2, success: false, testResults: [{ status: 'failed', assertionResults: [] }] } }));
    expect(totals.failed).toBe(1);
  });

  it('counts a run without test files', () => {
    const totals = sumReports(writeReports({ delta: { numPassedTests: 0, numFailedTests: 0, numTotalTests: 0, success: false, testResults: [] } }));
    expect(totals.failed).toBe(1);
    expect([...totals.projectsWithFailures]).toEqual(['delta']);
  });
});
