import type { BackgroundTask } from '../background.ts';

/** Background work of the audit trail (ingestion worker, partition maintenance). */
export const auditBackgroundTasks: BackgroundTask[] = [];
