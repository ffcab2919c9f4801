#!/usr/bin/env node
/**
 * `npm run demo`: six simulated weeks of 日监测、周交办、对账销号 on this machine's PostgreSQL and Redis, in a database
 * of its own (duban_demo, made afresh each run) and a queue prefix of its own, with an in-process mail server that
 * keeps every message under demo-out/.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import path from 'node:path';
import pg from 'pg';
import { loadEnv } from '../config/env';
import { createLogger } from '../logger';
import { PROJECT_ROOT } from '../project-root';
import { describeAudit } from '../services/audit-report-text';
import { withDatabase } from '../db/database';
import { ESCALATION_LABELS } from '../domain/problem-deadline';
import { STATE_LABELS } from '../domain/problem-state';
import { setupRoles } from '../db/roles';
import { auditHolds } from '../services/audit.service';
import { runDemo } from './demo-scenario';

async function main(): Promise<void> {
  const env = loadEnv();
  const url = new URL(process.env.DEMO_DATABASE_URL ?? withDatabase(env.databaseUrl, 'duban_demo'));
  const outDir = path.resolve(process.env.DEMO_OUT ?? path.join(PROJECT_ROOT, 'demo-out'));
  const weeks = Number(process.env.DEMO_WEEKS ?? 6);
  await recreateDatabase(url);
  rmSync(outDir, { recursive: true, force: true });
  console.log(`演示：${weeks} 周（2026-10-19 起），数据库 ${url.pathname.slice(1)}，输出 ${outDir}`);
  const roles = await demoRoles(url);
  // The console after the demo (duban serve) answers here, and the letters' reply links point to it.
  const consolePort = Number(process.env.DEMO_CONSOLE_PORT ?? 8080);
  const linkSecret = randomBytes(32).toString('base64url');
  console.log(
    roles.split
      ? `  数据库角色：迁移用所有者角色 ${DEMO_ROLES.owner}，守护进程用只有应用权限的 ${DEMO_ROLES.app}（不能修改、删除台账）`
      : `  数据库角色：当前连接无权创建角色，演示以单一角色运行（--allow-owner）`,
  );
  const outcome = await runDemo({
    databaseUrl: roles.app,
    ...(roles.split ? { migrationDatabaseUrl: roles.owner } : { allowOwner: true }),
    redisUrl: env.redisUrl,
    queuePrefix: `duban-demo-${process.pid}`,
    outDir,
    weeks,
    logger: createLogger('duban-demo', { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }),
    progress: (line) => console.log(`  ${line}`),
    console: { port: consolePort, publicBaseUrl: `http://127.0.0.1:${consolePort}/`, linkSecret },
  });
  // The app role's password is the demo's own, made afresh: kept in a file for the commands below, never printed.
  const envFile = path.join(outDir, 'demo.env');
  writeFileSync(envFile, `DATABASE_URL=${roles.app}\nDUBAN_CHECKPOINT_KEY_FILE=${path.join(outDir, 'keys', 'ledger-checkpoint.key.pem')}\nDUBAN_LINK_SECRET=${linkSecret}\n`, { mode: 0o600 });
  const leadLink = await replyLinkOf(outcome.files.mail, '宁国市');
  const p = outcome.problems;
  const m = outcome.messages;
  console.log(`
演示完成：模拟 ${outcome.days} 天。
  问题：发现 ${p.opened} 个，已销号 ${p.closed} 个，重新打开过 ${p.reopened} 个，待核验 ${p.awaitingVerification} 个，逾期 ${p.overdue} 个
  升级：提醒 ${outcome.escalations.remind} 次，督办 ${outcome.escalations.supervise} 次，通报 ${outcome.escalations.notify} 次
  邮件：交办函 ${m.letters} 封，督办通知（重大异常）${m.alerts} 份，调度会材料 ${m.summaries} 份，台账检查点 ${m.checkpoints} 封（邮件服务器共收到 ${m.archived} 封）；同一单位同一周重复的交办函：${outcome.doubledLetters}
  销号依据：销号 ${outcome.closures.total} 次，其中在数据确认恢复的干净窗口之后的 ${outcome.closures.onCleanWindow} 次${outcome.closures.onCleanWindow === outcome.closures.total ? '（全部）' : '（有销号未经干净窗口确认！）'}
  台账核验（对照检查点文件和审计人员邮箱中的 ${outcome.checkpoints.items.length} 个检查点）：
${describeAudit(outcome.ledger).map((l) => `    ${l}`).join('\n')}

预设的问题：
${outcome.stories.map((s) => `  · ${s.story}\n    → 问题 ${s.problemId ?? '—'}：${s.state ? STATE_LABELS[s.state] : '未出现'}${s.reopenCount ? `，重新打开 ${s.reopenCount} 次` : ''}${s.escalation && s.escalation !== 'none' ? `，已${ESCALATION_LABELS[s.escalation]}` : ''}`).join('\n')}

去哪里看：
  邮件（.eml 用邮件客户端打开，.html 用浏览器打开）：${outcome.files.mail}
    截图（交办函、督办通知、调度会材料）：npm run screenshots → ${path.join(path.dirname(outcome.files.mail), 'screenshots')}
  问题台账：${outcome.files.ledger}
  台账检查点：${outcome.files.checkpoints}（公钥 ${outcome.files.publicKey}）
  演示配置：${outcome.files.config}
  数据库（应用角色的连接在 ${envFile}，仅本用户可读）：
    set -a; . ${envFile}; set +a
    npm run duban -- --config ${outcome.files.config} problems list
    npm run duban -- --config ${outcome.files.config} audit verify --checkpoints ${outcome.files.checkpoints} ${outcome.files.mail}
  控制台（先启动 API：set -a; . ${envFile}; set +a; npm run duban -- --config ${outcome.files.config} serve${roles.split ? '' : ' --allow-owner'}）：
    http://127.0.0.1:${consolePort}/ （用 duban tokens create 发放的令牌登录）
    宁国市最近一封交办函中的在线反馈链接：${leadLink ?? '（无）'}
`);
  if (!auditHolds(outcome.ledger) || outcome.checkpoints.items.length === 0 || outcome.doubledLetters > 0 || outcome.closures.onCleanWindow !== outcome.closures.total) process.exitCode = 1;
}

/** The reply link in the newest letter to `unit` the mail server received, as the lead would click it. */
async function replyLinkOf(mailDir: string, unit: string): Promise<string | undefined> {
  const letters = readdirSync(mailDir).filter((f) => f.endsWith('.eml')).sort();
  for (const f of letters.reverse()) {
    const mail = await simpleParser(readFileSync(path.join(mailDir, f)));
    if (!mail.subject?.includes(unit) || !mail.subject.includes('交办函')) continue;
    const link = /https?:\/\/\S+\/reply\?t=[\w.%-]+/.exec(mail.text ?? '')?.[0];
    if (link) return link;
  }
  return undefined;
}

/** The demo's own two roles (roles are cluster-wide: these names are the demo's alone). */
const DEMO_ROLES = { owner: 'duban_demo_owner', app: 'duban_demo_app' } as const;

/**
 * The two roles a bureau's DBA sets up (docs/operations.md), made by the demo's connection with fresh passwords: the
 * owner migrates, the daemon runs as the app role. A connection that may not create roles runs the demo as one role.
 */
async function demoRoles(url: URL): Promise<{ split: boolean; app: string; owner: string }> {
  const passwords = { owner: randomBytes(12).toString('hex'), app: randomBytes(12).toString('hex') };
  try {
    await setupRoles(url.toString(), { ...DEMO_ROLES, ownerPassword: passwords.owner, appPassword: passwords.app });
  } catch (err) {
    if ((err as { code?: string }).code !== '42501') throw err;
    return { split: false, app: url.toString(), owner: url.toString() };
  }
  const as = (role: string, password: string) => {
    const u = new URL(url);
    u.username = role;
    u.password = password;
    return u.toString();
  };
  return { split: true, app: as(DEMO_ROLES.app, passwords.app), owner: as(DEMO_ROLES.owner, passwords.owner) };
}

/** The demo's own database, made afresh; nothing else on the server is touched. */
async function recreateDatabase(url: URL): Promise<void> {
  const name = url.pathname.slice(1);
  if (!/^duban_demo[a-z0-9_]*$/.test(name)) throw new Error(`演示只使用名为 duban_demo… 的数据库，以免误删：${name}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  if (process.env.LOG_LEVEL === 'debug') console.error(err);
  process.exitCode = 1;
});
