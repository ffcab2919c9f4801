/** The same-day alert of major anomalies (重大异常) to one unit: subject, plain text and HTML with the same content. */
export interface AlertItem {
  indicator: string;
  explanation: string;
  problemId: number | null;
}

export interface AlertMessage {
  subject: string;
  text: string;
  html: string;
}

export function composeAlert(a: { unitName: string; day: string; items: AlertItem[]; sender: string }): AlertMessage {
  const subject = `【重大异常】${a.unitName} ${a.day} 监测发现 ${a.items.length} 项重大异常，请即核查`;
  const lines = a.items.map((it, k) => `${k + 1}. ${it.explanation}${it.problemId ? `（问题编号 ${it.problemId}）` : ''}`);
  const text = [
    `${a.unitName}：`,
    '',
    `${a.day} 日监测发现贵单位以下重大异常：`,
    '',
    ...lines,
    '',
    '请第一时间核查原因、落实整改，并将整改措施反馈至市数据资源局。',
    '',
    a.sender,
  ].join('\n');
  const rows = a.items
    .map(
      (it, k) =>
        `<tr><td style="border:1px solid #ccc;padding:6px;text-align:center">${k + 1}</td><td style="border:1px solid #ccc;padding:6px">${escapeHtml(it.indicator)}</td><td style="border:1px solid #ccc;padding:6px">${escapeHtml(it.explanation)}</td><td style="border:1px solid #ccc;padding:6px;text-align:center">${it.problemId ?? ''}</td></tr>`,
    )
    .join('');
  const html = `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:16px;font-family:'Microsoft YaHei','PingFang SC',sans-serif;font-size:14px;color:#222">
<div style="max-width:600px">
<p>${escapeHtml(a.unitName)}：</p>
<p>${escapeHtml(a.day)} 日监测发现贵单位以下重大异常：</p>
<table style="border-collapse:collapse;width:100%" role="presentation">
<thead><tr><th style="border:1px solid #ccc;padding:6px;background:#f3f3f3">序号</th><th style="border:1px solid #ccc;padding:6px;background:#f3f3f3">指标</th><th style="border:1px solid #ccc;padding:6px;background:#f3f3f3">情况</th><th style="border:1px solid #ccc;padding:6px;background:#f3f3f3">问题编号</th></tr></thead>
<tbody>${rows}</tbody>
</table>
<p>请第一时间核查原因、落实整改，并将整改措施反馈至市数据资源局。</p>
<p>${escapeHtml(a.sender)}</p>
</div></body></html>`;
  return { subject, text, html };
}

/** Text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
