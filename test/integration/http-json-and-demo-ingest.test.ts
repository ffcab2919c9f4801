import http from 'node:http';
import type { AddressInfo } from 'node:net';
import iconv from 'iconv-lite';
import type { Catalogue } from '../../src/ingest/catalogue';
import { HttpJsonSource } from '../../src/ingest/http-json-source';
import { DemoSource } from '../../src/ingest/demo-source';
import type { RawRecord, SourceReadContext } from '../../src/ingest/source';
import { ingestFixture, IngestFixture } from '../helpers/ingest-fixture';

const DAY = '2026-11-26';
let f: IngestFixture;
let server: http.Server;
let base: string;
const seen: Array<{ url: string; auth?: string }> = [];
interface Step {
  status: number;
  /** A string or bytes go out as they are; anything else as JSON. */
  body?: unknown;
  delayMs?: number;
  contentType?: string;
  /** Answers the request itself (to send a body in pieces, or hold it back). */
  handle?: (res: http.ServerResponse) => void;
}
/** Per path: the responses to give, in order; the last one repeats. */
const script = new Map<string, Step[]>();

beforeAll(async () => {
  f = await ingestFixture('http');
  server = http.createServer((req, res) => {
    seen.push({ url: req.url!, auth: req.headers.authorization });
    const path = req.url!.split('?')[0]!;
    const steps = script.get(path) ?? [{ status: 404 }];
    const step = steps.length > 1 ? steps.shift()! : steps[0]!;
    if (step.handle) return step.handle(res);
    setTimeout(() => {
      res.writeHead(step.status, { 'content-type': step.contentType ?? 'application/json' });
      const body = step.body;
      res.end(body === undefined ? '' : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
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

/** A record's JSON text as a provincial interface writes it; `value` is put in as written (a number stays digits). */
function item(unit: string, indicator: string, value: string, day: string): string {
  return `{"org":{"code":${JSON.stringify(unit)}},"indexCode":${JSON.stringify(indicator)},"value":${value},"statDate":"${day}"}`;
}
const doc = (items: string[]) => `{"data":{"items":[${items.join(',')}]}}`;

/** Writes the pieces one by one, waiting for the client to take them whenever the socket is full, then ends. */
async function sendInPieces(res: http.ServerResponse, contentType: string, pieces: AsyncIterable<string | Buffer> | Iterable<string | Buffer>): Promise<void> {
  res.writeHead(200, { 'content-type': contentType });
  for await (const piece of pieces) {
    if (res.destroyed) return;
    if (!res.write(piece)) {
      await new Promise<void>((resume) => {
        const go = () => {
          res.off('drain', go).off('close', go);
          resume();
        };
        res.on('drain', go).on('close', go);
      });
    }
  }
  res.end();
}

function readCtx(day = DAY): SourceReadContext {
  return { day, catalogue: {} as Catalogue, inputs: [] };
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
    expect(forbidden!.error).toContain('已尝试 1 次');
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

describe('http-json source: counting attempts, and what the body holds', () => {
  it('counts the requests it made: a 404 is asked once, a 500 twice then a 200 succeeds', async () => {
    script.set('/missing', [{ status: 404 }]);
    let before = seen.length;
    const [missing] = await f.service.ingestDay(DAY, { trigger: 'test', sources: [source('/missing')] });
    expect(missing).toMatchObject({ status: 'failed' });
    expect(missing!.error).toContain('请求失败（已尝试 1 次）：HTTP 404');
    expect(seen.length - before).toBe(1);

    script.set('/recovering', [{ status: 500 }, { status: 500 }, { status: 200, body: doc([item('jingxian', 'full_online_rate', '99.1', DAY)]) }]);
    before = seen.length;
    const [recovered] = await f.service.ingestDay(DAY, { trigger: 'test', sources: [source('/recovering', { retries: 2 })] });
    expect(recovered).toMatchObject({ status: 'succeeded', accepted: 1 });
    expect(seen.length - before).toBe(3);
    expect((await f.observations(DAY))['jingxian/full_online_rate']).toBe('99.1');

    script.set('/always-500', [{ status: 500 }]);
    const [gaveUp] = await f.service.ingestDay(DAY, { trigger: 'test', sources: [source('/always-500', { retries: 1 })] });
    expect(gaveUp!.error).toContain('请求失败（已尝试 2 次）：HTTP 500');
  });

  it('stores numbers exactly as the body writes them: 99.99999999999999999 is not 100, 1e-7 is 0.0000001', async () => {
    const day = '2026-11-24';
    // on_time_completion_rate has 预警值 100: read as a float, 99.99999999999999999 would pass as 100.
    script.set('/exact', [{ status: 200, body: doc([item('langxi', 'on_time_completion_rate', '99.99999999999999999', day)]) }]);
    script.set('/tiny', [{ status: 200, body: doc([item('guangde', 'full_online_rate', '1e-7', day)]) }]);
    const [exact] = await f.service.ingestDay(day, { trigger: 'test', sources: [source('/exact')] });
    expect(exact).toMatchObject({ status: 'succeeded', accepted: 1, rejected: 0 });
    const [tiny] = await f.service.ingestDay(day, { trigger: 'test', sources: [source('/tiny', { percentScale: 'percent' })] });
    expect(tiny).toMatchObject({ status: 'succeeded', accepted: 1, rejected: 0 });
    const obs = await f.observations(day);
    expect(obs['langxi/on_time_completion_rate']).toBe('99.99999999999999999');
    expect(obs['guangde/full_online_rate']).toBe('0.0000001');

    // As the source hands them on: the value is the number's text, the raw record shows it as written.
    const records: RawRecord[] = [];
    for await (const r of source('/exact').read(readCtx(day))) records.push(r);
    expect(records).toEqual([
      {
        input: 0,
        line: 1,
        raw: item('langxi', 'on_time_completion_rate', '99.99999999999999999', day),
        unit: 'langxi',
        indicator: 'on_time_completion_rate',
        day,
        value: '99.99999999999999999',
      },
    ]);
  });

  it('reads GBK when the Content-Type says so, and a UTF-8 body that begins with a byte-order mark', async () => {
    const day = '2026-11-25';
    const gbkBody = iconv.encode(doc([item('宣州区', '好评率', '"99.85"', day), item('宁国市', '全程网办率', '99.4', day), item('郎溪县', '电子证照用证率', '61', day)]), 'gbk');
    script.set('/gbk', [{ status: 200, contentType: 'application/json; charset=GBK', body: gbkBody }]);
    const [gbk] = await f.service.ingestDay(day, { trigger: 'test', sources: [source('/gbk')] });
    expect(gbk).toMatchObject({ status: 'succeeded', accepted: 3, rejected: 0 });
    expect(gbk!.inputs[0]).toMatchObject({ encoding: 'gbk' });
    let obs = await f.observations(day);
    expect(obs['xuanzhou/satisfaction_rate']).toBe('99.85');
    expect(obs['ningguo/full_online_rate']).toBe('99.4');
    expect(obs['langxi/e_license_usage_rate']).toBe('61');

    const bomBody = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(doc([item('绩溪县', '好评率', '99.7', day)]), 'utf8')]);
    script.set('/bom', [{ status: 200, contentType: 'application/json', body: bomBody }]);
    const [bom] = await f.service.ingestDay(day, { trigger: 'test', sources: [source('/bom')] });
    expect(bom).toMatchObject({ status: 'succeeded', accepted: 1, rejected: 0 });
    expect(bom!.inputs[0]).toMatchObject({ encoding: 'utf-8' });
    obs = await f.observations(day);
    expect(obs['jixi/satisfaction_rate']).toBe('99.7');
  });

  it('fails invalid UTF-8 (GBK sent without a charset) and writes nothing, even after good records', async () => {
    const day = '2026-11-23';
    const good = Array.from({ length: 3000 }, (_, i) => item('jingde', 'full_online_rate', `99.${i % 10}`, day)).join(',');
    const head = Buffer.from(`{"data":{"items":[${good},`, 'utf8');
    const gbkTail = iconv.encode(`${item('宣州区', '好评率', '99.9', day)}]}}`, 'gbk');
    script.set('/gbk-unlabelled', [{ status: 200, handle: (res) => void sendInPieces(res, 'application/json', [head, gbkTail]) }]);
    const [r] = await f.service.ingestDay(day, { trigger: 'test', sources: [source('/gbk-unlabelled')] });
    expect(r).toMatchObject({ status: 'failed', accepted: 0 });
    const at = head.length + gbkTail.indexOf(0xd0) + 1;
    expect(r!.error).toBe(
      `${base}/gbk-unlabelled?date=${day}：返回内容不是有效的 UTF-8 编码（第 ${at} 字节起）。Content-Type 没有注明字符集，按 UTF-8 读取；若接口实际返回 GBK，应在 Content-Type 中注明 charset=gbk。`,
    );
    expect(await f.observations(day)).toEqual({});
    expect(await f.rejects(r!.runId)).toEqual([]);

    script.set('/big5', [{ status: 200, contentType: 'application/json; charset=big5', body: doc([]) }]);
    const [big5] = await f.service.ingestDay(day, { trigger: 'test', sources: [source('/big5')] });
    expect(big5).toMatchObject({ status: 'failed' });
    expect(big5!.error).toContain('返回内容的字符集“big5”不受支持');
  });

  it('fails a body over maxBytes, whether or not it says its length, and writes nothing', async () => {
    const day = '2026-11-22';
    const big = doc(Array.from({ length: 100 }, () => item('jingde', 'instant_item_ratio', '77', day)));
    expect(big.length).toBeGreaterThan(5000);
    script.set('/over-length', [{ status: 200, body: big }]);
    let before = seen.length;
    const [declared] = await f.service.ingestDay(day, { trigger: 'test', sources: [source('/over-length', { maxBytes: 5000 })] });
    expect(declared).toMatchObject({ status: 'failed' });
    expect(declared!.error).toBe(`${base}/over-length?date=${day}：返回内容超过 5000 字节上限（maxBytes）`);
    expect(seen.length - before).toBe(1);

    // Sent in pieces without a Content-Length: the bytes are counted as they come, after records were handed on.
    const pieces = big.match(/.{1,500}/g)!;
    script.set('/over-chunked', [{ status: 200, handle: (res) => void sendInPieces(res, 'application/json', pieces) }]);
    before = seen.length;
    const [chunked] = await f.service.ingestDay(day, { trigger: 'test', sources: [source('/over-chunked', { maxBytes: 5000 })] });
    expect(chunked).toMatchObject({ status: 'failed' });
    expect(chunked!.error).toBe(`${base}/over-chunked?date=${day}：返回内容超过 5000 字节上限（maxBytes）`);
    expect(seen.length - before).toBe(1);
    expect(await f.observations(day)).toEqual({});
  });

  it('rejects records that are not objects or lack fields, and fails a body without the records array', async () => {
    const day = '2026-11-21';
    script.set('/odd', [{ status: 200, body: `{"data":{"items":[5,"x",[1],{},{"org":{}},{"indexCode":"full_online_rate","value":1},null]}}` }]);
    const [odd] = await f.service.ingestDay(day, { trigger: 'test', sources: [source('/odd', { fields: { unit: 'org.code', indicator: 'indexCode', value: 'value' } })] });
    expect(odd).toMatchObject({ status: 'succeeded', accepted: 0, rejected: 7 });
    const rejects = await f.rejects(odd!.runId);
    expect(rejects.map((r) => r.raw)).toEqual(['5', '"x"', '[1]', '{}', '{"org":{}}', '{"indexCode":"full_online_rate","value":1}', 'null']);
    for (const r of rejects) expect(r.message).toMatch(/[\u4e00-\u9fff]/);

    script.set('/elsewhere', [{ status: 200, body: { data: { list: [] } } }]);
    const [elsewhere] = await f.service.ingestDay(day, { trigger: 'test', sources: [source('/elsewhere')] });
    expect(elsewhere!.error).toContain('在 JSON 的“data.items”处没有找到记录数组');

    script.set('/root', [{ status: 200, body: `[${item('jingde', 'zero_visit_ratio', '91', day)}]` }]);
    const [root] = await f.service.ingestDay(day, { trigger: 'test', sources: [source('/root', { recordsPath: '' })] });
    expect(root).toMatchObject({ status: 'succeeded', accepted: 1 });

    script.set('/cut', [{ status: 200, body: `{"data":{"items":[${item('jingde', 'zero_visit_ratio', '91', day)},{"org"` }]);
    const [cut] = await f.service.ingestDay(day, { trigger: 'test', sources: [source('/cut')] });
    expect(cut).toMatchObject({ status: 'failed' });
    expect(cut!.error).toContain('返回内容不是有效的 JSON：');
    expect(cut!.error).toContain('内容到此结束');
  });

  it('hands records on while the body is still arriving: 200,000 records, the end held back until the first is read', async () => {
    const total = 200_000;
    let firstRead!: () => void;
    const firstWasRead = new Promise<void>((r) => (firstRead = r));
    let serverFinished = false;
    async function* body(): AsyncGenerator<string> {
      yield '{"meta":{"note":"各县区政务服务指标"},"data":{"items":[';
      for (let i = 0; i < total; i += 1000) {
        // The rest of the body is sent only once the reader has the first record: a reader that waits for the whole
        // body before handing any on never gets it.
        if (i > 0) await firstWasRead;
        const items = [];
        for (let j = i; j < i + 1000; j++) items.push(item('ningguo', 'full_online_rate', j === total - 1 ? '99.99999999999999999' : `99.${j % 100}`, DAY));
        yield `${i > 0 ? ',' : ''}${items.join(',')}`;
      }
      yield ']}}';
      serverFinished = true;
    }
    script.set('/big', [{ status: 200, handle: (res) => void sendInPieces(res, 'application/json', body()) }]);
    const src = source('/big', { maxBytes: 64 * 1024 * 1024, timeoutMs: 30_000 });
    let count = 0;
    let last: RawRecord | undefined;
    for await (const r of src.read(readCtx())) {
      if (count === 0) {
        expect(serverFinished).toBe(false);
        firstRead();
      }
      count++;
      last = r;
    }
    expect(serverFinished).toBe(true);
    expect(count).toBe(total);
    expect(last).toMatchObject({ line: total, unit: 'ningguo', value: '99.99999999999999999' });
  });

  it('lets go of the connection when the reader stops early, and fails a body that stalls', async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((r) => (closed = r));
    script.set('/endless', [
      {
        status: 200,
        handle: (res) => {
          res.on('close', closed);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(`{"data":{"items":[${item('ningguo', 'full_online_rate', '99', DAY)},`);
          // …and nothing more, ever.
        },
      },
    ]);
    for await (const r of source('/endless').read(readCtx())) {
      expect(r.unit).toBe('ningguo');
      break;
    }
    await connectionClosed;

    script.set('/stalls', [
      {
        status: 200,
        handle: (res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"data":{"items":[');
        },
      },
    ]);
    const [stalled] = await f.service.ingestDay(DAY, { trigger: 'test', sources: [source('/stalls', { timeoutMs: 200 })] });
    expect(stalled).toMatchObject({ status: 'failed' });
    expect(stalled!.error).toContain('读取返回内容时 200 毫秒内没有收到数据');
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
