import type { DubanConfig } from '../src/config/load-config';
import type { Logger } from '../src/logger';
import type { AppServices } from '../src/services';
import type { StepData, StepName, TriggersOf } from './pipeline';

/** What a handler may use. Handlers stay thin: they call a service and name the slots their work sets off. */
export interface StepContext {
  config: DubanConfig;
  logger: Logger;
  services: AppServices;
  /** The sweep, for the step that is it; given by the daemon, which alone has a queue to sweep into. */
  sweep?: () => Promise<string[]>;
}

/** A slot of a step the finished one sets off; only the steps its declaration `triggers`. */
export type FollowUp<K extends StepName> = { [T in TriggersOf<K>]: { step: T; data: StepData<T> } }[TriggersOf<K>];

export interface StepResult<K extends StepName, R = unknown> {
  /** Kept in job_runs and logged; what metrics and the CLI report read. */
  result: R;
  /** Started after this run succeeds: queued by a daemon, run in turn by the CLI. */
  next?: Array<FollowUp<K>>;
}

export type StepHandler<K extends StepName, R = unknown> = (ctx: StepContext, data: StepData<K>) => Promise<StepResult<K, R>>;

/** A handler as the runtime calls it, whatever its step. */
export type AnyStepHandler = (ctx: StepContext, data: never) => Promise<{ result: unknown; next?: Array<{ step: string; data: unknown }> }>;
