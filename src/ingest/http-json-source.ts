import type { HttpJsonSourceConfig } from '../config/schema';
import { compactDay } from '../domain/day';
import { IngestSource, InputError, RawRecord, SourceReadContext } from './source';

type HttpOptions = Omit<HttpJsonSourceConfig, 'type'>;

/**
 * GETs one URL per day and maps fields of each JSON record to unit, indicator, (day) and value. The body is read up to
 * `maxBytes`: provincial interfaces return a day's values in one document, and a runaway response must not take the
 * daemon's memory with it.
 */
export class HttpJsonSource implements IngestSource {
  readonly name: string;
  readonly percentScale: HttpOptions['percentScale'];

  constructor(
    private readonly options: HttpOptions,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly retryDelayMs = 500,
  ) {
    this.name = options.name;
    this.percentScale = options.percentScale;
  }

  async *read(ctx: SourceReadContext): AsyncIterable<RawRecord> {
    const url = this.options.url.replaceAll('{day}', ctx.day).replaceAll('{yyyymmdd}', compactDay(ctx.day));
    const input = ctx.inputs.length;
    ctx.inputs.push({ name: url });
    const body = await this.fetchWithRetries(url);
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch (err) {
      throw new InputError(url, `返回内容不是有效的 JSON：${(err as Error).message}`);
    }
    const records = pick(doc, this.options.recordsPath);
    if (!Array.isArray(records)) {
      throw new InputError(url, `在 JSON 的“${this.options.recordsPath || '(根)'}”处没有找到记录数组`);
    }
    const f = this.options.fields;
    for (let i = 0; i < records.length; i++) {
      const rec: unknown = records[i];
      yield {
        input,
        line: i + 1,
        raw: JSON.stringify(rec),
        unit: text(pick(rec, f.unit)),
        indicator: text(pick(rec, f.indicator)),
        day: f.day ? text(pick(rec, f.day)) : null,
        value: text(pick(rec, f.value)),
      };
    }
  }

  private async fetchWithRetries(url: string): Promise<string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.tokenEnv) {
      const token = this.env[this.options.tokenEnv];
      if (!token) throw new InputError(url, `环境变量 ${this.options.tokenEnv} 未设置（接口令牌）`);
      headers.authorization = `Bearer ${token}`;
    }
    let lastProblem = '';
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.retryDelayMs * 2 ** (attempt - 1)));
      try {
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(this.options.timeoutMs) });
        if (res.ok) return await readCapped(res, this.options.maxBytes, url);
        lastProblem = `HTTP ${res.status} ${res.statusText}`;
        await res.body?.cancel();
        // A client error will not change by asking again; rate limits and server errors may.
        if (res.status < 500 && res.status !== 429 && res.status !== 408) break;
      } catch (err) {
        if (err instanceof InputError) throw err;
        const e = err as Error;
        lastProblem = e.name === 'TimeoutError' ? `${this.options.timeoutMs} 毫秒内没有响应` : `网络错误：${causeOf(e)}`;
      }
    }
    throw new InputError(url, `请求失败（已尝试 ${this.options.retries + 1} 次）：${lastProblem}`);
  }
}

async function readCapped(res: Response, maxBytes: number, url: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > maxBytes) throw new InputError(url, `返回内容超过 ${maxBytes} 字节上限（maxBytes）`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function pick(value: unknown, dotted: string): unknown {
  if (!dotted) return value;
  let cur = value;
  for (const key of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function causeOf(e: Error): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? e.message;
}
