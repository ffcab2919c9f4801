import type { DubanConfig } from '../src/config/load-config';
import { AnyStepSpec, jobId, rankOf } from './pipeline';

const ORDER_TEXT: Record<AnyStepSpec['order'], (rank: number) => string> = {
  day: (rank) => `day, rank ${rank}`,
  'after-days': () => 'after the days',
  none: () => '—',
};

/**
 * The pipeline as docs/architecture.md shows it, made from the declaration (a test keeps the document equal to this):
 * a flow of what sets off what, and a table of every step.
 */
export function describePipeline(steps: Record<string, AnyStepSpec>, config: DubanConfig): string {
  const names = Object.keys(steps);
  const edges = names.flatMap((n) => steps[n]!.triggers.map((t) => `  ${n} --> ${t}`));
  const clockStarted = names.filter((n) => steps[n]!.schedule).map((n) => `  clock((clock)) -.-> ${n}`);
  const swept = names.filter((n) => steps[n]!.due).map((n) => `  sweep -.-> ${n}`);
  const flow = ['```mermaid', 'flowchart LR', ...clockStarted, ...edges, ...swept, '```'].join('\n');

  const code = (s: string) => `\`${s}\``;
  const list = (xs: readonly string[]) => (xs.length ? xs.map(code).join(', ') : '—');
  const rows = names.map((n) => {
    const s = steps[n]!;
    return [
      code(n),
      s.label,
      s.summary,
      code(jobId(n, s.slot(s.example))),
      list(s.follows),
      list(s.triggers),
      ORDER_TEXT[s.order](rankOf(steps, n)),
      s.schedule ? code(s.schedule.cron(config)) : '—',
      s.due ? 'yes' : '—',
      s.current ? 'yes' : '—',
      s.runs === 'queue' ? `queue, ${s.attempts(config)} attempt${s.attempts(config) === 1 ? '' : 's'}${s.priority ? `, priority ${s.priority}` : ''}` : 'each daemon',
    ];
  });
  const header = ['step', '名称', 'does', 'job id (example)', 'follows', 'triggers', 'order', 'clock (default config)', 'swept', 'overtaken check', 'runs'];
  const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  return `${flow}\n\n${table}\n`;
}
