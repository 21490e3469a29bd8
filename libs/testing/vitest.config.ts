import { mergeConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest.shared.ts';

export default mergeConfig(projectTestConfig(import.meta.dirname), { test: { globalSetup: ['./test/global-setup.ts'] } });
