import path from 'node:path';
import { Command } from 'commander';
import type { AppContext } from '../app-context';
import { ConfigError, ConfigProblem } from '../config/config-error';
import { readRules } from '../config/load-config';
import { dayIn, parseDay } from '../domain/day';
import { formatRuleChanges } from '../domain/rule-diff';
import { compareBy } from '../services/backtest.service';
import type { RuleDefinition } from '../config/rules-schema';
import type { RuleVersionRow } from '../db/schema';
import { applyVersions, ApplyVersionsOptions, versionApplyOptions } from './apply-versions';
import { formatInstant, table } from './output';
import { describeRule } from './rule-text';
import { withApp } from './with-app';

export function rulesCommand(): Command {
  const cmd = new Command('rules').description('监测规则：查看现行规则和历史版本，把规则文件的变更存为新版本');

  versionApplyOptions(
    cmd
      .command('apply')
      .description('比较规则文件与现行规则，显示差异，确认后存为新版本（已存的版本从不修改）')
      .option('--file <path>', '规则文件（默认：主配置中的 rules）'),
  ).action(async (opts: ApplyVersionsOptions & { file?: string }, sub: Command) => {
    await withApp(sub, { prepare: true }, async (app) => {
      const next = rulesFrom(app, opts.file);
      const changes = await app.services.rules.plan(next);
      await applyVersions(app, opts, {
        changes,
        shown: formatRuleChanges(changes),
        noun: '规则',
        apply: async (o) => (await app.services.rules.apply(next, o)).stored.map((v) => `${v.rule_id} 第 ${v.version} 版`),
      });
    });
  });

  cmd
    .command('test')
    .description('回测：用拟议规则重新评估历史数据，与现行规则对比每条规则、每个单位会产生多少异常；不写入任何数据')
    .option('--file <path>', '拟议的规则文件（默认：主配置中的 rules）')
    .option('--rule <id>', '只看这条规则')
    .requiredOption('--from <YYYY-MM-DD>', '从哪天', parseDay)
    .requiredOption('--to <YYYY-MM-DD>', '到哪天', parseDay)
    .action(async (opts: { file?: string; rule?: string; from: string; to: string }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const proposed = rulesFrom(app, opts.file);
        const report = await app.services.backtest.run(proposed, opts.from, opts.to, opts.rule);
        console.log(`回测 ${opts.from} 至 ${opts.to}（现行规则 → 拟议规则；“问题”指不同的事实：一个单位的一项指标，或一个单位的缺报，多条规则命中也只算一个）`);
        const rows = (k: 'ruleId' | 'unit') =>
          compareBy(report, k).map((r) => [r.key, r.current.anomalies, r.proposed.anomalies, signed(r.proposed.anomalies - r.current.anomalies), r.current.facts, r.proposed.facts]);
        console.log(table(['规则', '现行异常', '拟议异常', '变化', '现行问题', '拟议问题'], rows('ruleId')));
        console.log('');
        console.log(table(['单位', '现行异常', '拟议异常', '变化', '现行问题', '拟议问题'], rows('unit')));
      });
    });

  cmd
    .command('list')
    .description('列出某天（默认今天）现行的规则版本，以及已存、尚未生效的版本')
    .option('--day <YYYY-MM-DD>', '哪一天', parseDay)
    .action(async (opts: { day?: string }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const day = opts.day ?? dayIn(app.config.timezone, app.now());
        const rows = await app.services.rules.inForceOn(day);
        const pending = await app.services.rules.pendingAfter(day);
        if (rows.length === 0) {
          console.log(`${day} 没有现行规则。先运行：duban rules apply --reason "初始规则"（要让过去的日子也适用，加 --effective YYYY-MM-DD）`);
        } else {
          console.log(`${day} 现行的规则：\n${versionTable(rows, app)}`);
        }
        if (pending.length > 0) console.log(`\n已存、尚未生效：\n${versionTable(pending, app)}`);
      });
    });

  cmd
    .command('history')
    .description('一条规则的全部版本')
    .argument('<id>', '规则 id')
    .action(async (id: string, _opts: unknown, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const rows = await app.services.rules.history(id);
        if (rows.length === 0) throw new Error(`没有规则“${id}”`);
        for (const r of rows) {
          console.log(`第 ${r.version} 版  ${r.effective_from} 起生效  ${r.created_by}  记录于 ${formatInstant(r.created_at, app.config.timezone)}  ${r.reason}`);
          console.log(`    ${r.definition === null ? '（停用）' : `${(r.definition as RuleDefinition).name}：${describeRule(r.definition as RuleDefinition, indicatorName(app))}`}`);
        }
      });
    });
  return cmd;
}

/** The rules of `file` (default: the configured rules file), checked against the catalogue like the config itself. */
function rulesFrom(app: AppContext, file: string | undefined) {
  const problems: ConfigProblem[] = [];
  const rules = readRules(file ? path.resolve(file) : app.config.rulesFile, app.config.indicators, app.config.units, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return rules;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

function versionTable(rows: readonly RuleVersionRow[], app: AppContext): string {
  return table(
    ['规则', '版本', '名称', '内容', '生效日', '修改人', '原因'],
    rows.map((r) => {
      if (r.definition === null) return [r.rule_id, r.version, '', '（停用）', r.effective_from, r.created_by, r.reason];
      const d = r.definition as RuleDefinition;
      return [r.rule_id, r.version, d.name, describeRule(d, indicatorName(app)), r.effective_from, r.created_by, r.reason];
    }),
  );
}

function indicatorName(app: AppContext): (code: string) => string | undefined {
  const names = new Map(app.config.indicators.map((i) => [i.code, i.name]));
  return (code) => names.get(code);
}
