import { Command } from 'commander';
import { dayIn, parseDay } from '../domain/day';
import { changedFields, describeThresholds, fieldChangesText, formatThresholdChanges, scopeText, thresholdValueText } from '../domain/indicator-thresholds';
import { IndicatorVersion, thresholdsOf } from '../repositories/indicator-version.repository';
import { thresholdsFromConfig } from '../services/thresholds.service';
import { applyVersions, ApplyVersionsOptions, versionApplyOptions } from './apply-versions';
import { indicatorCode } from '../domain/names';
import { formatInstant, table } from './output';
import { withApp } from './with-app';

/**
 * 预警值, 先进值 and the other fields a verdict reads, governed like rules: indicators.yaml is the proposal, `apply`
 * stores it as versions with who, why and from when, `list` and `history` show what judges which day.
 */
export function thresholdsCommand(): Command {
  const cmd = new Command('thresholds').description('指标阈值（预警值、先进值、方向、类型、权重、适用范围）：查看现行版本和历史，把指标文件的变更存为新版本');

  versionApplyOptions(
    cmd
      .command('apply')
      .description('比较指标文件（indicators.yaml）与现行阈值，显示差异，确认后存为新版本（已存的版本从不修改）；生效日之前的日子仍按原版本判定'),
  ).action(async (opts: ApplyVersionsOptions, sub: Command) => {
    // No warning that the file differs: the diff is what this command shows.
    await withApp(sub, { prepare: true, warnUnappliedThresholds: false }, async (app) => {
      const next = thresholdsFromConfig(app.config.indicators);
      const changes = await app.services.thresholds.plan(next);
      await applyVersions(app, opts, {
        changes,
        shown: formatThresholdChanges(changes),
        noun: '指标的阈值',
        apply: async (o) => (await app.services.thresholds.apply(next, o)).stored.map((v) => `${v.name} 第 ${v.version} 版`),
      });
    });
  });

  cmd
    .command('list')
    .description('列出某天（默认今天）现行的阈值版本，以及已存、尚未生效的版本')
    .option('--day <YYYY-MM-DD>', '哪一天', parseDay)
    .action(async (opts: { day?: string }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const day = opts.day ?? dayIn(app.config.timezone, app.now());
        const inForce = await app.services.thresholds.inForceOn(day);
        if (inForce.length === 0) console.log(`${day} 没有现行的阈值版本（指标目录在首次启动或首次写入时登记，第 1 版自工作日历的第一年起生效）。`);
        else console.log(`${day} 现行的阈值：\n${versionTable(inForce, app.config.timezone)}`);
        const pending = await app.services.thresholds.pendingAfter(day);
        if (pending.length > 0) console.log(`\n已存、尚未生效：\n${versionTable(pending, app.config.timezone)}`);
      });
    });

  cmd
    .command('history')
    .description('一项指标阈值的全部版本（指标可写代码、名称或别名）')
    .argument('<indicator>', '指标')
    .action(async (typed: string, _opts: unknown, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const code = indicatorCode(app.config, typed);
        const rows = await app.services.thresholds.history(code);
        if (rows.length === 0) {
          console.log(`指标 ${code} 还没有阈值版本（首次启动或首次写入时登记）。`);
          return;
        }
        console.log(`${rows[0]!.name}（${code}）的阈值版本：`);
        let previous: IndicatorVersion | undefined;
        for (const r of rows) {
          console.log(`第 ${r.version} 版  ${r.effective_from} 起生效  ${r.created_by}  记录于 ${formatInstant(r.created_at, app.config.timezone)}  ${r.reason}`);
          console.log(`    ${describeThresholds(thresholdsOf(r))}${previous ? changedText(previous, r) : ''}`);
          previous = r;
        }
      });
    });
  return cmd;
}

function versionTable(rows: readonly IndicatorVersion[], timeZone: string): string {
  return table(
    ['指标', '版本', '类型', '方向', '预警值', '先进值', '权重', '适用范围', '生效日', '修改人', '记录时间', '原因'],
    rows.map((r) => {
      const t = thresholdsOf(r);
      return [r.name, r.version, thresholdValueText('kind', t.kind), thresholdValueText('direction', t.direction), t.alert, t.benchmark, t.weight, scopeText(t.scope), r.effective_from, r.created_by, formatInstant(r.created_at, timeZone), r.reason];
    }),
  );
}

/** What a version changed from the one before it, e.g. "（较上一版：预警值 99 → 99.6）". */
function changedText(before: IndicatorVersion, after: IndicatorVersion): string {
  const fields = changedFields(thresholdsOf(before), thresholdsOf(after));
  return fields.length === 0 ? '' : `（较上一版：${fieldChangesText(fields)}）`;
}
