import { parseDay } from '../src/domain/day';
import type { JobDefinition } from './job-definition';

export interface EvaluateJobData {
  day: string;
  /** The newest ingest run of the day this evaluation follows: a later revision of the day is a new slot. */
  afterRun: number;
}

/** 日监测, part 2: judge a day once its values are in, and again whenever an ingest changes them. */
export const evaluateJob = {
  name: 'evaluate',
  slot: (data) => `${parseDay(data.day)}-r${data.afterRun}`,
  async handle(ctx, data) {
    return ctx.services.evaluation.evaluateDay(parseDay(data.day), { trigger: `ingest run ${data.afterRun}` });
  },
} satisfies JobDefinition<EvaluateJobData>;
