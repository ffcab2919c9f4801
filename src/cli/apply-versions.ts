import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { AppContext } from '../app-context';
import { Day, dayIn, parseDay } from '../domain/day';
import { createInterface } from 'node:readline/promises';

export interface ApplyVersionsOptions {
  reason: string;
  by: string;
  effective?: string;
  yes?: boolean;
}

/** The options every `apply` of versions takes (rules, thresholds): why, who, from when, and --yes. */
export function versionApplyOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--reason <text>', '为什么改（记入每个新版本和台账）')
    .option('--by <name>', '谁改的（默认：当前系统用户）', userInfo().username)
    .option('--effective <YYYY-MM-DD>', '从哪天起生效（默认：今天）', parseDay)
    .option('--yes', '不询问，直接应用');
}

/**
 * One way to store versions from a file: show the diff, ask (or take --yes), store with who, why and from when, name
 * what was stored, and say which days already judged keep their verdicts.
 */
export async function applyVersions<C>(
  app: AppContext,
  opts: ApplyVersionsOptions,
  steps: {
    changes: C[];
    /** The diff, as printed before asking. */
    shown: string;
    /** What is being changed, for the question: "规则" or "指标的阈值". */
    noun: string;
    /** Stores them; returns how each stored version is named ("全程网办率 第 2 版"). */
    apply(opts: { by: string; reason: string; effectiveFrom: string }): Promise<string[]>;
  },
): Promise<void> {
  console.log(steps.shown);
  if (steps.changes.length === 0) return;
  const effectiveFrom = opts.effective ?? dayIn(app.config.timezone, app.now());
  if (!opts.yes && !(await confirm(`以上 ${steps.changes.length} 项${steps.noun}变更自 ${effectiveFrom} 起生效，确认应用？[y/N] `))) {
    console.log('未应用。');
    return;
  }
  const stored = await steps.apply({ by: opts.by, reason: opts.reason, effectiveFrom });
  console.log(`已存为新版本：${stored.join('、')}（${opts.by}，自 ${effectiveFrom} 起）`);
  const hint = rejudgeHint(await app.services.evaluation.judgedDaysFrom(effectiveFrom));
  if (hint) console.log(hint);
}

/**
 * The days already judged from a new version's effective day on keep their verdicts (with the versions they were
 * judged by) until judged again, which an operator does on purpose.
 */
export function rejudgeHint(judged: readonly Day[]): string | undefined {
  if (judged.length === 0) return undefined;
  const judgedText = judged.length === 1 ? `${judged[0]} 已评估过，` : `${judged[0]} 至 ${judged.at(-1)} 已评估过的 ${judged.length} 天`;
  return `${judgedText}仍保留原判定（按当时的版本）。要按新版本重新判定，逐日运行：duban evaluate --day ${judged[0]}`;
}

/** Asks a yes/no question at a terminal; elsewhere (a script, CI) refuses, asking for --yes instead. */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new Error('非交互环境中请加 --yes 确认应用');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
