/**
 * Screenshots of the messages as a reader's mail client shows them: a 交办函, a 督办通知 and the director's 调度会材料,
 * rendered by Debian's headless Chromium with the network cut off, so a picture also proves the mail loads nothing
 * from outside (intranets have no internet).
 *
 *   npm run screenshots                  after `npm run demo`: the demo's mail (demo-out/mail) → demo-out/screenshots
 *   npm run screenshots -- DIR [OUT]     the newest letter, alert and summary .html in DIR
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { PROJECT_ROOT } from '../src/project-root';

export const MESSAGE_KINDS = ['letter', 'alert', 'summary'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export interface Shot {
  kind: MessageKind;
  source: string;
  file: string;
  width: number;
  height: number;
}

/**
 * The message of each kind to show from a folder of saved .html messages: a 宁国市 letter when there is one (the demo's
 * stories run there), else the last by name, which for the demo's names (…-2026-W48-…, …-2026-11-20-…) is the newest.
 */
export function pickMessages(dir: string): Partial<Record<MessageKind, string>> {
  const html = readdirSync(dir).filter((f) => f.endsWith('.html')).sort();
  const out: Partial<Record<MessageKind, string>> = {};
  for (const kind of MESSAGE_KINDS) {
    const of = html.filter((f) => f.startsWith(`${kind}-`));
    const newestWeek = of.at(-1)?.split('-').slice(1, 3).join('-');
    const preferred = of.filter((f) => f.includes('ningguo') && (kind !== 'letter' || f.includes(newestWeek ?? '')));
    const chosen = preferred.at(-1) ?? of.at(-1);
    if (chosen) out[kind] = path.join(dir, chosen);
  }
  return out;
}

/** Full-page PNGs of the messages; refuses (throws) if a page asked for anything but its own file. */
export async function screenshotMessages(messages: Partial<Record<MessageKind, string>>, outDir: string): Promise<Shot[]> {
  mkdirSync(outDir, { recursive: true });
  const profile = mkdtempSync(path.join(os.tmpdir(), 'duban-shots-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 760, height: 900 },
  });
  const outside: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    outside.push(url);
    return route.abort();
  });
  try {
    const shots: Shot[] = [];
    for (const kind of MESSAGE_KINDS) {
      const source = messages[kind];
      if (!source) continue;
      const page = await context.newPage();
      await page.goto(pathToFileURL(source).href, { waitUntil: 'load' });
      const file = path.join(outDir, `${kind}.png`);
      const png = await page.screenshot({ path: file, fullPage: true });
      // The PNG's own header (IHDR): what was drawn, not what the page claims.
      shots.push({ kind, source, file, width: png.readUInt32BE(16), height: png.readUInt32BE(20) });
      await page.close();
    }
    if (outside.length > 0) throw new Error(`邮件页面试图加载外部资源：${outside.join('、')}`);
    return shots;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [dirArg, outArg] = process.argv.slice(2);
  const dir = path.resolve(dirArg ?? path.join(PROJECT_ROOT, 'demo-out', 'mail'));
  const outDir = path.resolve(outArg ?? path.join(dir, '..', 'screenshots'));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    process.stderr.write(`没有找到邮件目录 ${dir}：请先运行 npm run demo，或指定保存了 .html 邮件的目录。\n`);
    process.exit(2);
  }
  const picked = pickMessages(dir);
  const missing = MESSAGE_KINDS.filter((k) => !picked[k]);
  if (missing.length > 0) process.stderr.write(`目录中没有这些邮件：${missing.join('、')}\n`);
  for (const s of await screenshotMessages(picked, outDir)) {
    process.stdout.write(`${s.kind}: ${path.relative(process.cwd(), s.source)} → ${path.relative(process.cwd(), s.file)}（${s.width}×${s.height}）\n`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
}
