import { basename } from 'node:path';
import { defineConfig } from 'vitest/config';

// Shared vitest settings. Every project writes a JSON report into .stack/test-results so that
// `npm test` can print one closing line with the totals over all projects.
export function projectTestConfig(projectRoot: string, options: { timeoutMs?: number } = {}) {
  const name = basename(projectRoot);
  const reportDir = process.env['TEST_REPORT_DIR'];
  return defineConfig({
    test: {
      name,
      root: projectRoot,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: options.timeoutMs ?? 30_000,
      hookTimeout: 60_000,
      fileParallelism: false,
      reporters: reportDir ? ['default', 'json'] : ['default'],
      outputFile: reportDir ? { json: `${reportDir}/${name}.json` } : undefined,
    },
  });
}
