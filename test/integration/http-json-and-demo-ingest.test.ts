import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpJsonSource } from '../../src/ingest/http-json-source';
import { DemoSource } from '../../src/ingest/demo-source';
import { ingestFixture, IngestFixture } from '../helpers/ingest-fixture';

const DAY = '2026-11-26';
let f: IngestFixture;
let server: http.Server;
let base: string;
const seen: Array<{ url: string; auth?: string }> = [];
/** Per path: the responses to give, in order; the last one repeats. */
const script = new Map<string, Array<{ status: number; body?: unknown; delayMs?: number }>>();

beforeAll(async () => {
  f = await ingestFixture('http');
  server = http.createServer((req, res) => {
    seen.push({ url: req.url!, auth: req.headers.authorization });
    const path = req.url!.split('?')[0]!;
    const steps = script.get(path) ?? [{ status: 404 }];
    const step = steps.length > 1 ? steps.shift()! : steps[0]!;
    setTimeout(() => {
      res.writeHead(step.status, { 'content-type': 'application/json' });
      res.end(step.body === undefined ? '' : typeof step.body === 'string' ? step.body : JSON.stringify(step.body));
    }, step.delayMs ?? 0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await f.close();
});

function source(path: string, overrides: Partial<ConstructorParameters<typeof HttpJsonSource>[0]> = {}, env: NodeJS.ProcessEnv = {}) {
  return new HttpJsonSource(
    {
      name: 'province',
      url: `${base}${path}?date={day}`,
      recordsPath: 'data.items',
      fields: { unit: 'org.code', indicator: 'indexCode', value: 'value', day: 'statDate' },
      timeoutMs: 2000,
      retries: 2,
      maxBytes: 1_000_000,
      percentScale: 'auto',
      tokenEnv: undefined,
      ...overrides,
    },
    env,
    10,
  );
}

describe('http-json source', () => {
  it('GETs the day, sends the bearer token from the environment, maps nested fields and rejects bad records', async () => {
    script.set('/ok', [
      {
        status: 200,
        body: {
          data: {
            items: [
              { org: { code: 'ningguo' }, indexCode: 'full_online_rate', value: 99.6, statDate: DAY },
              { org: { code: '宣州区' }, indexCode: '好评率', value: '0.999', statDate: DAY },
              { org: { code: 'ningguo' }, indexCode: 'evaluation_rate', value: null, statDate: DAY },
            ],
          },
        },
      },
    ]);
    const [r] = await f.service.ingestDay(DAY, {
      trigger: 'test',
      sources: [source('/ok', { tokenEnv: 'PROVINCE_TOKEN' }, { PROVINCE_TOKEN: 's3cret' })],
    });
    expect(r).toMatchObject({ status: 'succeeded', accepted: 2, rejected: 1 });
    expect(seen.at(-1)).toEqual({ url: `/ok?date=${DAY}`, auth: 'Bearer s3cret' });
    const obs = await f.observations(DAY);
    expect(obs['ningguo/full_online_rate']).toBe('99.6');
    expect(obs['xuanzhou/satisfaction_rate']).toBe('99.9');
    const [reject] = await f.rejects(r!.runId);
    expect(reject).toMatchObject({ line_no: 3, reason: 'empty_value', input: `${base}/ok?date=${DAY}` });
    expect(JSON.parse(reject!.raw)).toMatchObject({ indexCode: 'evaluation_rate', value: null });
  });

  it('retries server errors and then succeeds', async () => {
    script.set('/flaky', [{ status: 503 }, { status: 502 }, { status: 200, body: { data: { items: [{ org: { code: 'jixi' }, indexCode: 'full_online_rate', value: 99.2, statDate: DAY }] } } }]);
    const before = seen.length;
    const [r] = await f.service.ingestDay(DAY, { trigger: 'test', sources: [source('/flaky')] });
    expect(r).toMatchObject({ status: 'succeeded', accepted: 1 });
    expect(seen.length - before).toBe(3);
  });

  it('fails the run, naming the URL, after its retries, on a timeout, on a 4xx at once, and without its token', async () => {
    script.set('/down', [{ status: 500 }]);
    script.set('/slow', [{ status: 200, body: { data: { items: [] } }, delayMs: 500 }]);
    script.set('/forbidden', [{ status: 403 }]);
    script.set('/notjson', [{ status: 200, body: '<html>维护中</html>' }]);

    let before = seen.length;
    const [down] = await f.service.ingestDay(DAY, { trigger: 'test', sources: [source('/down')] });
    expect(down).toMatchObject({ status: 'failed' });
    expect(down!.error).toContain(`${base}/down?date=${DAY}`);
    expect(down!.error).toContain('已尝试 3 次');
    expect(seen.length - before).toBe(3);

    const [slow] = await f.service.ingestDay(DAY, { trigger: 'test', sources: [source('/slow', { timeoutMs: 100, retries: 0 })] });
    expect(slow!.error).toContain('100 毫秒内没有响应');

    before = seen.length;
    const [forbidden] = await f.service.ingestDay(DAY, { trigger: 'test', sources: [source('/forbidden')] });
    expect(forbidden!.error).toContain('HTTP 403');
    expect(seen.length - before).toBe(1);

    const [notJson] = await f.service.ingestDay(DAY, { trigger: 'test', sources: [source('/notjson')] });
    expect(notJson!.error).toContain('不是有效的 JSON');

    const [noToken] = await f.service.ingestDay(DAY, { trigger: 'test', sources: [source('/ok', { tokenEnv: 'MISSING_TOKEN' })] });
    expect(noToken!.error).toContain('环境变量 MISSING_TOKEN 未设置');
  });

  it('a failing source does not take the good one of the same day down', async () => {
    const file = f.writeCsv('good.csv', ['unit,indicator,value', 'jingde,instant_item_ratio,77']);
    const results = await f.service.ingestDay(DAY, { trigger: 'test', sources: [source('/down'), f.csvSource(file)] });
    expect(results.map((r) => r.status)).toEqual(['failed', 'succeeded']);
    expect((await f.observations(DAY))['jingde/instant_item_ratio']).toBe('77');
  });
});

describe('demo source', () => {
  it('yields the same values for the same day every time: a second run changes nothing', async () => {
    const demo = () => new DemoSource({ name: 'demo', seed: 42, anomalyRate: 0.05, missingRate: 0.02 });
    const day = '2026-11-20';
    const [first] = await f.service.ingestDay(day, { trigger: 'test', sources: [demo()] });
    const expected = f.config.units.length * f.config.indicators.length;
    expect(first!.status).toBe('succeeded');
    expect(first!.rejected).toBe(0);
    // A few values are planted as missing, the rest arrive.
    expect(first!.accepted).toBeLessThan(expected);
    expect(first!.accepted).toBeGreaterThan(expected * 0.9);
    const values = await f.observations(day);
    const [second] = await f.service.ingestDay(day, { trigger: 'test', sources: [demo()] });
    expect(second).toMatchObject({ accepted: 0, revised: 0, unchanged: first!.accepted, rejected: 0 });
    expect(await f.observations(day)).toEqual(values);
    // Planted anomalies are there to be found: some values sit under the alert value.
    const alerts = new Map(f.config.indicators.map((i) => [i.code, i.alert!]));
    const under = Object.entries(values).filter(([key, v]) => Number(v) < alerts.get(key.split('/')[1]!)!);
    expect(under.length).toBeGreaterThan(0);
  });
});
