/** One problem in one configuration file, located as precisely as the file allows. */
export interface ConfigProblem {
  file: string;
  /** Key path such as `units[3].kind`; empty for the file as a whole. */
  path: string;
  line?: number;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      ['配置有误，duban 未启动：', ...problems.map((p) => `  ${p.file}${p.line ? `:${p.line}` : ''}${p.path ? ` (${p.path})` : ''}: ${p.message}`)].join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`))
    .join('');
}
