import { writeSync } from 'node:fs';

/**
 * Named places where a daemon dying hurts most: inside a transaction, between a commit and the record that it
 * happened, between sending a message and marking it sent. The crash test (test/integration/crash-recovery.test.ts)
 * arms them through DUBAN_CRASH_AT and checks that a restart loses and doubles nothing.
 */
export const CRASH_POINTS = [
  'ingest.staged',
  'ingest.committed',
  'evaluate.judged',
  'evaluate.absorbed',
  'alerts.written',
  'reconcile.uncommitted',
  'reconcile.committed',
  'job.recorded',
  'letters.uncommitted',
  'letters.committed',
  'summary.written',
  'relay.sent',
  'relay.settled',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/**
 * Read once: a test arms points for the whole life of a daemon process, as `point` or `point@n` (die the n-th time the
 * point is reached, e.g. in the third day's ingest rather than the first). Unset in production: every call is a no-op.
 */
const armed = new Map(
  (process.env.DUBAN_CRASH_AT ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((spec) => {
      const [point, nth] = spec.split('@');
      return [point, Number(nth ?? 1)] as const;
    }),
);

/**
 * Dies here, at once and without cleanup, if the point is armed: SIGKILL to itself, the same signal an OOM killer or
 * `kill -9` sends, so no finally block, no shutdown hook and no buffered write runs.
 */
export function crashPoint(point: CrashPoint): void {
  const left = armed.get(point);
  if (left === undefined) return;
  if (left > 1) {
    armed.set(point, left - 1);
    return;
  }
  writeSync(2, `duban: crash point ${point}\n`);
  process.kill(process.pid, 'SIGKILL');
}
