import { mainFileSchema } from '../../src/config/schema';
import { createLogger, inJobScope } from '../../src/logger';
import { EvaluateJobResult, ingestRowCounts, IngestJobResult, newAnomaliesBySeverity } from '../../src/ops/job-result-counts';
import { redactSecrets } from '../../src/ops/redact-secrets';
import { settlesWithin, TimeoutError, withTimeout } from '../../src/ops/timeouts';
import type { RuleOutcome } from '../../src/services/evaluation.service';

describe('the ops section of duban.yaml', () => {
  it('defaults to the loopback, port 9464 and a 30 s grace', () => {
    expect(mainFileSchema.parse({}).ops).toEqual({ host: '127.0.0.1', port: 9464, shutdownGraceMs: 30_000 });
    expect(mainFileSchema.parse({ ops: { port: 0 } }).ops).toEqual({ host: '127.0.0.1', port: 0, shutdownGraceMs: 30_000 });
  });

  it('refuses a port out of range and an unknown key', () => {
    const r = mainFileSchema.safeParse({ ops: { port: 70000, listen: '0.0.0.0' } });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['ops', 'ops.port']);
  });
});

describe('counts from job results', () => {
  it('sums an ingest job’s rows over its sources', () => {
    const result: IngestJobResult = [
      { source: 'demo', runId: 1, accepted: 80, revised: 2, unchanged: 5, duplicates: 0, rejected: 1, ignored: 0, cellsSeen: 88, inputs: [] },
      { source: 'csv', runId: 2, accepted: 10, revised: 0, unchanged: 3, duplicates: 2, rejected: 4, ignored: 6, cellsSeen: 25, inputs: [] },
    ];
    expect(ingestRowCounts(result)).toEqual({ accepted: 90, revised: 2, unchanged: 8, duplicates: 2, rejected: 5, ignored: 6 });
    expect(ingestRowCounts([])).toEqual({ accepted: 0, revised: 0, unchanged: 0, duplicates: 0, rejected: 0, ignored: 0 });
  });

  it('counts only the anomalies an evaluation newly recorded, by the severity of their rule', () => {
    const rule = (severity: RuleOutcome['severity'], found: number, fresh: number): RuleOutcome => ({
      ruleId: `r-${severity}-${found}`,
      version: 1,
      kind: 'threshold',
      severity,
      found,
      new: fresh,
      superseded: 0,
      durationMs: 1,
    });
    const result = {
      evaluation: { evaluationId: 1, day: '2026-11-26', rules: [rule('warning', 5, 3), rule('major', 2, 2), rule('warning', 4, 0)] },
    } as EvaluateJobResult;
    expect(newAnomaliesBySeverity(result)).toEqual({ warning: 3, major: 2 });
  });
});

describe('redactSecrets', () => {
  it('hides the user and password of connection strings and leaves the rest', () => {
    expect(redactSecrets('connect failed: smtp://duban:s3cret@mail.example.gov.cn:587 refused')).toBe(
      'connect failed: smtp://***@mail.example.gov.cn:587 refused',
    );
    expect(redactSecrets('postgres://u:p@db/duban and redis://:pw@127.0.0.1:6379')).toBe('postgres://***@db/duban and redis://***@127.0.0.1:6379');
    expect(redactSecrets('connect ECONNREFUSED 127.0.0.1:6379')).toBe('connect ECONNREFUSED 127.0.0.1:6379');
  });
});

describe('timeouts', () => {
  const after = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));

  it('withTimeout passes a prompt result through and gives up on a slow one', async () => {
    await expect(withTimeout(after(5, 'pong'), 1000)).resolves.toBe('pong');
    await expect(withTimeout(after(1000, 'late'), 20)).rejects.toBeInstanceOf(TimeoutError);
    await expect(withTimeout(Promise.reject(new Error('refused')), 1000)).rejects.toThrow('refused');
  });

  it('settlesWithin says whether a promise settled in time, failure included', async () => {
    expect(await settlesWithin(after(5, undefined), 1000)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error('closed')), 1000)).toBe(true);
    expect(await settlesWithin(after(1000, undefined), 20)).toBe(false);
  });
});

describe('log lines within a job', () => {
  it('name the job and slot, whichever logger writes them, nested jobs included', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger('duban', { LOG_LEVEL: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const service = logger.child({ day: '2026-11-26' });
    await inJobScope('digest', '2026-W48', async () => {
      logger.info('letters');
      await inJobScope('evaluate', '2026-11-26-r3', async () => service.info('judged'));
      await new Promise((r) => setTimeout(r, 1));
      service.info('after the missing day');
    });
    logger.info('outside');
    expect(lines.map(({ job, slot, msg }) => ({ job, slot, msg }))).toEqual([
      { job: 'digest', slot: '2026-W48', msg: 'letters' },
      { job: 'evaluate', slot: '2026-11-26-r3', msg: 'judged' },
      { job: 'digest', slot: '2026-W48', msg: 'after the missing day' },
      { job: undefined, slot: undefined, msg: 'outside' },
    ]);
  });
});
