import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import cron from 'node-cron';
import { HANDLERS } from '../../jobs/handlers';
import { jobId, rankOf, StepName, STEP_NAMES, STEPS } from '../../jobs/pipeline';
import { describePipeline } from '../../jobs/pipeline-table';
import type { StepHandler } from '../../jobs/step-handler';
import { loadConfig } from '../../src/config/load-config';

const config = loadConfig();

describe('the pipeline declaration', () => {
  it('has a handler for every step and a step for every handler', () => {
    expect(Object.keys(HANDLERS).sort()).toEqual([...STEP_NAMES].sort());
    // The compiler says so first: these two do not type-check (tsc runs before the tests).
    // @ts-expect-error a declared step without a handler
    const missing: { [K in StepName]: StepHandler<K> } = { ...HANDLERS, ingest: undefined };
    const extra = {
      ...HANDLERS,
      // @ts-expect-error a handler without a declared step
      noop: async () => ({ result: null }),
    } satisfies { [K in StepName]: StepHandler<K> };
    expect([missing, extra]).toHaveLength(2);
  });

  it('names only declared steps in follows and triggers, without cycles', () => {
    for (const [name, spec] of Object.entries(STEPS)) {
      for (const other of [...spec.follows, ...spec.triggers]) expect(`${name} → ${other}: ${other in STEPS}`).toBe(`${name} → ${other}: true`);
      // Ranks are finite only without a cycle of follows.
      expect(Number.isFinite(rankOf(STEPS, name))).toBe(true);
    }
  });

  it('gives every step an example payload that passes its schema and a job id BullMQ takes', () => {
    for (const [name, spec] of Object.entries(STEPS)) {
      const data = spec.payload.parse(spec.example);
      expect(jobId(name, spec.slot(data as never))).toMatch(new RegExp(`^${name}-[^:]+$`));
      if (spec.order === 'day') expect(spec.day!(data as never)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      else expect(spec.day).toBeUndefined();
      if (spec.schedule) expect(cron.validate(spec.schedule.cron(config))).toBe(true);
      expect(spec.attempts(config)).toBeGreaterThan(0);
    }
  });

  it('refuses payloads a step cannot work on', () => {
    expect(() => STEPS.evaluate.payload.parse({ day: '2026-11-26' })).toThrow();
    expect(() => STEPS.letters.payload.parse({ week: '2026-W54' })).toThrow('不是有效的 ISO 周');
    expect(() => STEPS.deliver.payload.parse({ reason: 'a:b' })).toThrow();
  });

  it('is drawn in docs/architecture.md exactly as declared (UPDATE_DOCS=1 rewrites it)', () => {
    const file = path.join(__dirname, '..', '..', 'docs', 'architecture.md');
    const doc = readFileSync(file, 'utf8');
    const [start, end] = ['<!-- pipeline:start (generated from jobs/pipeline.ts; see test/unit/pipeline-declaration.test.ts) -->\n', '<!-- pipeline:end -->'];
    const from = doc.indexOf(start);
    const to = doc.indexOf(end);
    expect(from).toBeGreaterThanOrEqual(0);
    const generated = describePipeline(STEPS, config);
    if (process.env.UPDATE_DOCS === '1') writeFileSync(file, doc.slice(0, from + start.length) + generated + doc.slice(to));
    else expect(doc.slice(from + start.length, to)).toBe(generated);
  });
});
