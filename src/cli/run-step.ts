import { rerunTag, StepData, StepName, STEPS } from '../../jobs/pipeline';
import type { AppContext } from '../app-context';
import type { JobOutcome } from '../queue/job-runner';

/**
 * When a command runs a step whose slot has already succeeded: `never` reports that it did (the week's letters go out
 * once); `if-done` runs it again as a rerun, a slot of its own (re-judging a day); `always` runs a rerun in any case
 * (a partial ingest of one source or file must never fill the day's own slot, or the daemon would skip the others).
 */
export type Rerun = 'never' | 'if-done' | 'always';

/** Runs a step here, and what it sets off, with exactly the daemon's handlers, job_runs and slot locks. */
export async function runStep<K extends StepName>(app: AppContext, step: K, data: StepData<K>, rerun: Rerun): Promise<JobOutcome> {
  const spec = STEPS[step] as unknown as { slot(d: StepData<K>): string };
  const done = async () => (await app.pipelineView().succeeded(step, [spec.slot(data)])).size > 0;
  // Tagged by the wall clock, not DUBAN_NOW, so that two reruns at one rehearsed moment are still two.
  const again = rerun === 'always' || (rerun === 'if-done' && (await done()));
  return app.inlineRunner().run(step, again ? { ...data, rerun: rerunTag(new Date()) } : data);
}
