import { escapeHtml } from '../delivery/render-message';

interface Operation {
  summary?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string; schema?: { type?: string; enum?: unknown[] } }>;
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, { type?: string; description?: string }>; required?: string[] } }> };
}

/**
 * The API's reference as one self-contained page, made from its OpenAPI document: every route with what it does, its
 * parameters and its body. Nothing is loaded from elsewhere (intranets have no internet); the document itself is at
 * /api/v1/openapi.json for tools.
 */
export function docsPage(
  doc: { info?: { title?: string; description?: string }; paths?: Record<string, Record<string, Operation>> },
  /** Who may call a route (method, OpenAPI path), in words. */
  rolesOf: (method: string, path: string) => string,
): string {
  const rows = Object.entries(doc.paths ?? {}).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const params = (op.parameters ?? []).map((p) => `<li><code>${escapeHtml(p.name)}</code>（${p.in === 'path' ? '路径' : p.in === 'query' ? '查询' : escapeHtml(p.in)}${p.required ? '，必填' : ''}）${p.description ? `：${escapeHtml(p.description)}` : ''}${p.schema?.enum ? `，取值 ${p.schema.enum.map((v) => `<code>${escapeHtml(String(v))}</code>`).join(' ')}` : ''}</li>`);
      const body = op.requestBody?.content?.['application/json']?.schema;
      const fields = Object.entries(body?.properties ?? {}).map(([name, f]) => `<li><code>${escapeHtml(name)}</code>${body?.required?.includes(name) ? '（必填）' : ''}${f.description ? `：${escapeHtml(f.description)}` : ''}</li>`);
      return `<section><h2><span class="m">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h2><p>${escapeHtml(op.summary ?? '')}</p><p>可用角色：${escapeHtml(rolesOf(method.toUpperCase(), path))}</p>${params.length ? `<h3>参数</h3><ul>${params.join('')}</ul>` : ''}${fields.length ? `<h3>请求体（JSON）</h3><ul>${fields.join('')}</ul>` : ''}</section>`;
    }),
  );
  const description = escapeHtml(doc.info?.description ?? '').replace(/\n/g, '<br>');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(doc.info?.title ?? 'API')}</title>
<style>body{font-family:system-ui,"Microsoft YaHei",sans-serif;max-width:960px;margin:2em auto;padding:0 1em;line-height:1.6}section{border-top:1px solid #ddd;padding:.5em 0}h2{font-size:1.05em}.m{display:inline-block;min-width:3.5em;color:#b00}code{background:#f4f4f4;padding:0 .2em}</style></head>
<body><h1>${escapeHtml(doc.info?.title ?? 'API')}</h1><p>${description}</p><p>机器可读的文档：<a href="openapi.json">openapi.json</a>（OpenAPI 3）</p>${rows.join('\n')}</body></html>`;
}
