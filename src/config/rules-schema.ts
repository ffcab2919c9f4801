import { z } from 'zod';
import './schema'; // sets the Chinese messages

const ruleId = z.string().regex(/^[a-z][a-z0-9_]*$/, '规则 id 只能用小写字母、数字和下划线，且以字母开头');

const scopeSchema = z
  .union([
    z.literal('all'),
    z.object({ kinds: z.array(z.enum(['city', 'county', 'department'])).min(1) }).strict(),
    z.object({ units: z.array(z.string().min(1)).min(1) }).strict(),
  ])
  .default('all');

const common = {
  id: ruleId,
  name: z.string().min(1),
  indicators: z.union([z.literal('all'), z.array(z.string().min(1)).min(1)]).default('all'),
  scope: scopeSchema,
  severity: z.enum(['warning', 'major']).default('warning'),
  /** Consecutive working days the condition must hold before it is an anomaly. */
  for: z.number().int().min(1).max(60).default(1),
};

export const ruleSchema = z.discriminatedUnion('kind', [
  z
    .object({
      ...common,
      kind: z.literal('threshold'),
      /** below / above; by default the bad side of the indicator's direction. */
      op: z.enum(['below', 'above']).optional(),
      /** By default the indicator's 预警值. */
      value: z.number().optional(),
    })
    .strict(),
  z
    .object({
      ...common,
      kind: z.literal('change'),
      compare: z.enum(['previous_working_day', 'same_weekday_last_week']).default('previous_working_day'),
      /** The bad move (a drop for higher-is-better indicators) that fires. */
      by: z.number().positive(),
      unit: z.enum(['points', 'percent']).default('points'),
      /** Below this reference value a change is not judged: tiny bases swing wildly. */
      minBase: z.number().nonnegative().default(0),
    })
    .strict(),
  z
    .object({
      ...common,
      kind: z.literal('baseline'),
      window: z.number().int().min(3).max(120).default(20),
      sameWeekday: z.boolean().default(false),
      /** Robust z-score (0.6745·(x − median)/MAD) beyond which a value is anomalous. */
      z: z.number().positive().default(3.5),
      /** Fewer days with data than this in the window: no judgement. */
      minHistory: z.number().int().min(3).default(10),
      /** A deviation smaller than this (in the indicator's unit) never fires, even when the window is flat. */
      minDeviation: z.number().nonnegative().default(0.5),
    })
    .strict(),
  z
    .object({
      ...common,
      kind: z.literal('missing'),
      /**
       * A series is expected on a working day when it had a value on at least `minReported` of the `ofLast` working
       * days before it: one never reported, or long stopped, raises nothing.
       */
      minReported: z.number().int().min(1).default(3),
      ofLast: z.number().int().min(1).max(60).default(10),
    })
    .strict()
    .refine((r) => r.minReported <= r.ofLast, { message: 'minReported 不能大于 ofLast', path: ['minReported'] }),
  z
    .object({
      ...common,
      kind: z.literal('rank'),
      bottom: z.number().int().min(1),
      /** Fewer peers than this: no ranking. */
      minPeers: z.number().int().min(2).default(3),
    })
    .strict(),
]);

export const rulesFileSchema = z.object({ rules: z.array(ruleSchema) }).strict();

export type RuleDefinition = z.infer<typeof ruleSchema>;
export type RuleKind = RuleDefinition['kind'];
