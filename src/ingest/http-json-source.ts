import type { HttpJsonSourceConfig } from '../config/schema';
import { compactDay } from '../domain/day';
import { bodyDecoder } from './http-body-decoding';
import { jsonFieldText, JsonRecordStream, JsonSyntaxError, JsonValue, pickJson, toJsonText } from './json-records';
import { IngestSource, InputError, RawRecord, SourceReadContext } from './source';

type HttpOptions = Omit<HttpJsonSourceConfig, 'type'>;

/**
 * GETs one URL per day and maps fields of each JSON record to unit, indicator, (day) and value. The body is read as it
 * arrives and its records handed on one by one, so memory holds a record, not a day's document; at most `maxBytes` of
 * it are read, so a runaway response fails the input instead of running on. Numbers are passed on as written
 * (99.99999999999999999 is not 100), in the charset the Content-Type names.
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
    for await (const batch of this.readBatches(ctx)) yield* batch;
  }

  /** The same records as `read`, as many at a time as a piece of the body completes. */
  async *readBatches(ctx: SourceReadContext): AsyncGenerator<RawRecord[]> {
    const url = this.options.url.replaceAll('{day}', ctx.day).replaceAll('{yyyymmdd}', compactDay(ctx.day));
    const input = ctx.inputs.length;
    const info: SourceReadContext['inputs'][number] = { name: url };
    ctx.inputs.push(info);
    const { response, abort } = await this.fetchWithRetries(url);
    const body = response.body!.getReader();
    try {
      const decoder = bodyDecoder(response.headers.get('content-type'), url);
      const records = new JsonRecordStream(this.options.recordsPath);
      const f = this.options.fields;
      let line = 0;
      const toRaw = (rec: JsonValue): RawRecord => ({
        input,
        line: ++line,
        raw: toJsonText(rec),
        unit: jsonFieldText(pickJson(rec, f.unit)),
        indicator: jsonFieldText(pickJson(rec, f.indicator)),
        day: f.day ? jsonFieldText(pickJson(rec, f.day)) : null,
        value: jsonFieldText(pickJson(rec, f.value)),
      });
      const parse = (text: string, last: boolean): RawRecord[] => {
        try {
          const done = records.write(text);
          return (last ? [...done, ...records.end()] : done).map(toRaw);
        } catch (err) {
          if (err instanceof JsonSyntaxError) throw new InputError(url, `返回内容不是有效的 JSON：${err.message}`);
          throw err;
        }
      };
      let size = 0;
      for (;;) {
        const chunk = await this.nextChunk(body, abort, url);
        if (chunk === undefined) break;
        size += chunk.length;
        if (size > this.options.maxBytes) throw tooLarge(url, this.options.maxBytes);
        const text = decoder.write(chunk);
        if (info.encoding === undefined && decoder.encoding !== undefined) info.encoding = decoder.encoding;
        const batch = parse(text, false);
        if (batch.length > 0) yield batch;
      }
      const batch = parse(decoder.end(), true);
      info.encoding ??= decoder.encoding;
      if (!records.found) {
        throw new InputError(url, `在 JSON 的“${this.options.recordsPath || '(根)'}”处没有找到记录数组`);
      }
      if (batch.length > 0) yield batch;
    } finally {
      // Read to the end, failed, or abandoned by the reader: let go of the connection either way.
      await body.cancel().catch(() => undefined);
    }
  }

  /**
   * The response, once it has come with a success status. Network errors, timeouts, 5xx, 408 and 429 are tried again
   * (`retries` times, waiting twice as long each time); another 4xx will not change by asking again.
   */
  private async fetchWithRetries(url: string): Promise<{ response: Response; abort: Deadline }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.tokenEnv) {
      const token = this.env[this.options.tokenEnv];
      if (!token) throw new InputError(url, `环境变量 ${this.options.tokenEnv} 未设置（接口令牌）`);
      headers.authorization = `Bearer ${token}`;
    }
    let lastProblem = '';
    let attempts = 0;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.retryDelayMs * 2 ** (attempt - 1)));
      attempts++;
      const deadline = new Deadline(this.options.timeoutMs);
      try {
        const response = await deadline.run(() => fetch(url, { headers, signal: deadline.signal }));
        if (response.ok && response.body) {
          const length = Number(response.headers.get('content-length'));
          if (length > this.options.maxBytes) {
            await response.body.cancel();
            throw tooLarge(url, this.options.maxBytes);
          }
          return { response, abort: deadline };
        }
        lastProblem = response.ok ? '返回内容为空' : `HTTP ${response.status} ${response.statusText}`;
        await response.body?.cancel();
        if (response.ok || (response.status < 500 && response.status !== 429 && response.status !== 408)) break;
      } catch (err) {
        if (err instanceof InputError) throw err;
        lastProblem = deadline.expired ? `${this.options.timeoutMs} 毫秒内没有响应` : `网络错误：${causeOf(err as Error)}`;
      }
    }
    throw new InputError(url, `请求失败（已尝试 ${attempts} 次）：${lastProblem}`);
  }

  /**
   * The next piece of the body, or undefined at its end. Waiting for it is bounded by `timeoutMs`; the time the reader
   * of the records takes between pieces (writing them to the database) is not counted.
   */
  private async nextChunk(body: ReadableStreamDefaultReader<Uint8Array>, deadline: Deadline, url: string): Promise<Uint8Array | undefined> {
    try {
      const { done, value } = await deadline.run(() => body.read());
      return done ? undefined : value;
    } catch (err) {
      throw new InputError(
        url,
        deadline.expired
          ? `读取返回内容时 ${this.options.timeoutMs} 毫秒内没有收到数据`
          : `读取返回内容时连接中断：${causeOf(err as Error)}`,
      );
    }
  }
}

/** Aborts a request when one wait (for the response, or for the next piece of its body) takes longer than `ms`. */
class Deadline {
  private readonly controller = new AbortController();
  expired = false;

  constructor(private readonly ms: number) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  async run<T>(wait: () => Promise<T>): Promise<T> {
    const timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new DOMException(`no response in ${this.ms} ms`, 'TimeoutError'));
    }, this.ms);
    try {
      return await wait();
    } finally {
      clearTimeout(timer);
    }
  }
}

function tooLarge(url: string, maxBytes: number): InputError {
  return new InputError(url, `返回内容超过 ${maxBytes} 字节上限（maxBytes）`);
}

function causeOf(e: Error): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? e.message;
}
