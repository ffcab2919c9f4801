import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { escapeHtml } from '../delivery/render-message';
import { PROJECT_ROOT } from '../project-root';

/**
 * The web console (控制台): pages served by duban itself, each a shell whose script reads the API with the person's
 * token (kept in the tab's sessionStorage) or a letter's reply link. Every asset comes from here, ECharts included:
 * bureau intranets have no internet, and the pages' Content-Security-Policy allows nothing from elsewhere.
 */
const ASSETS = path.join(PROJECT_ROOT, 'src', 'console', 'assets');

const PAGES = {
  '/': { title: '登录', script: 'login', nav: false },
  '/lead': { title: '整改反馈', script: 'lead', nav: true },
  '/checker': { title: '核验销号', script: 'checker', nav: true },
  '/cockpit': { title: '决策驾驶舱', script: 'cockpit', nav: true },
  '/ledger': { title: '台账查询', script: 'ledger', nav: true },
  '/operator': { title: '运行管理', script: 'operator', nav: true },
} as const;

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-src blob:; form-action 'self'; base-uri 'none'";

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

export async function consoleRoutes(http: FastifyInstance): Promise<void> {
  // Read once: the assets ship with the code.
  const files = new Map<string, Buffer>();
  for (const name of ['console.css', 'console.js', ...Object.values(PAGES).map((p) => `${p.script}.js`), 'reply.js']) files.set(name, readFileSync(path.join(ASSETS, name)));
  files.set('echarts.min.js', readFileSync(require.resolve('echarts/dist/echarts.min.js')));

  for (const [url, page] of Object.entries(PAGES)) {
    http.get(url, { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).send(shell(page.title, page.script, page.nav)));
  }
  // A letter's link: the token moves from the address into the tab's storage, and the lead's page opens.
  http.get('/reply', { schema: { hide: true } }, async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', CSP)
      .header('referrer-policy', 'no-referrer')
      .send(shell('整改反馈', 'reply', false)),
  );
  http.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (req, reply) => {
    const body = files.get(req.params.file);
    if (!body) return reply.code(404).send({ code: 'not_found', message: '没有这个文件' });
    return reply.type(TYPES[path.extname(req.params.file)] ?? 'application/octet-stream').header('cache-control', 'no-cache').send(body);
  });
}

function shell(title: string, script: string, nav: boolean): string {
  const links = nav
    ? `<nav aria-label="主导航"><a href="/lead">整改反馈</a><a href="/checker">核验销号</a><a href="/cockpit">决策驾驶舱</a><a href="/ledger">台账查询</a><a href="/operator">运行管理</a></nav>`
    : '';
  const charts = ['lead', 'checker', 'cockpit'].includes(script) ? '<script src="/assets/echarts.min.js"></script>' : '';
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · 督办</title>
<link rel="stylesheet" href="/assets/console.css">
</head>
<body>
<header><span class="brand">督办 · 政务服务指标日监测、周交办、对账销号</span>${links}<span id="who" class="who"></span><button type="button" id="logout" hidden>退出</button></header>
<main id="main">
<h1>${escapeHtml(title)}</h1>
<p id="error" class="error" role="alert" hidden></p>
<div id="page"></div>
</main>
${charts}<script src="/assets/console.js"></script>
<script src="/assets/${script}.js"></script>
</body>
</html>
`;
}
