import { HttpProblem } from '@platform/service-kit';

/** A half-open time range [from, to) that every audit query requires. */
export interface TimeWindow {
  from: Date;
  to: Date;
}

/**
 * Checks a requested window: both ends valid times, `from` before `to`, and no longer than
 * `maxDays`, so that no query scans more than that many days of partitions.
 */
export function parseTimeWindow(from: string, to: string, maxDays: number): TimeWindow {
  const start = new Date(from);
  const end = new Date(to);
  if (Number.isNaN(start.getTime())) throw new HttpProblem(400, 'invalid_time_window', `from ${JSON.stringify(from)} is not a valid ISO 8601 time.`);
  if (Number.isNaN(end.getTime())) throw new HttpProblem(400, 'invalid_time_window', `to ${JSON.stringify(to)} is not a valid ISO 8601 time.`);
  if (start.getTime() >= end.getTime()) throw new HttpProblem(400, 'invalid_time_window', 'from must be earlier than to.');
  if (end.getTime() - start.getTime() > maxDays * 24 * 3600 * 1000) {
    throw new HttpProblem(400, 'time_window_too_long', `The time window may span at most ${maxDays} days; narrow from and to.`, { extensions: { maxDays } });
  }
  return { from: start, to: end };
}
