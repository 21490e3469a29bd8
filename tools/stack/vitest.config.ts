import { projectTestConfig } from '../../vitest.shared.ts';

// The end-to-end test starts the whole platform, which takes tens of seconds on a busy machine.
export default projectTestConfig(import.meta.dirname, { timeoutMs: 300_000 });
