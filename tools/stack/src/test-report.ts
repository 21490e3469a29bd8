import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Reading the results of `npm test`: the tasks Nx lists as failed and the vitest JSON reports.

/** Extracts the `project:target` names under Nx's closing "Failed tasks:" list. */
export function parseFailedTasks(output: string): string[] {
  // Nx prints colour codes even when its output is not a terminal.
  const plain = output.replace(new RegExp(String.raw`\u001b\[[0-9;]*m`, 'g'), '');
  if (!plain.includes('Failed tasks:')) return [];
  const section = plain.slice(plain.lastIndexOf('Failed tasks:'));
  return [...section.matchAll(/^\s*-\s+([\w@/.-]+:[\w-]+)/gm)].map((match) => match[1]!);
}

export interface ReportTotals {
  passed: number;
  failed: number;
  skipped: number;
  projectsWithFailures: Set<string>;
  projects: Set<string>;
}

interface VitestReport {
  numPassedTests?: number;
  numFailedTests?: number;
  numPendingTests?: number;
  numTodoTests?: number;
  numTotalTests?: number;
  success?: boolean;
  testResults?: Array<{ name?: string; status?: string; assertionResults?: unknown[] }>;
}

/**
 * Sums the vitest JSON reports. A test file that failed without any test result counts as one
 * failure, and so does a run that failed with no test at all (vitest finding no test file).
 */
export function sumReports(reportDir: string): ReportTotals {
  const totals: ReportTotals = { passed: 0, failed: 0, skipped: 0, projectsWithFailures: new Set(), projects: new Set() };
  if (!existsSync(reportDir)) return totals;
  for (const file of readdirSync(reportDir).filter((name) => name.endsWith('.json'))) {
    const project = file.replace(/\.json$/, '');
    const report = JSON.parse(readFileSync(join(reportDir, file), 'utf8')) as VitestReport;
    totals.projects.add(project);
    totals.passed += report.numPassedTests ?? 0;
    let failed = report.numFailedTests ?? 0;
    for (const result of report.testResults ?? []) {
      if (result.status === 'failed' && (result.assertionResults ?? []).length === 0) failed += 1;
    }
    if (report.success === false && failed === 0 && (report.numTotalTests ?? 0) === 0) failed = 1;
    totals.failed += failed;
    totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    if (failed > 0) totals.projectsWithFailures.add(project);
  }
  return totals;
}

