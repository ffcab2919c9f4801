import { alerts } from './alerts.job';
import { checkpoint } from './checkpoint.job';
import { deliver } from './deliver.job';
import { evaluate } from './evaluate.job';
import { ingest } from './ingest.job';
import { letters } from './letters.job';
import { AnyStepSpec, StepName, STEPS } from './pipeline';
import { reconcile } from './reconcile.job';
import type { AnyStepHandler, StepHandler } from './step-handler';
import { summary } from './summary.job';
import { sweep } from './sweep.job';

/** Every declared step's handler: a step without one, or one here without a step, fails to compile. */
export const HANDLERS = { ingest, evaluate, reconcile, alerts, letters, summary, checkpoint, deliver, sweep } satisfies { [K in StepName]: StepHandler<K> };

/** What a step's handler returns as its result. */
export type ResultOf<K extends StepName> = Awaited<ReturnType<(typeof HANDLERS)[K]>>['result'];

/** The declaration and the handlers together: what the runtime (queue, runner, order, sweep, cron) is built from. */
export interface Pipeline {
  steps: Record<string, AnyStepSpec>;
  handlers: Record<string, AnyStepHandler>;
}

export const PIPELINE: Pipeline = { steps: STEPS, handlers: HANDLERS as unknown as Record<string, AnyStepHandler> };
