/* What every console page shares: the person's token (this tab only), the API, and small helpers. */
(function () {
  'use strict';
  var KEY = 'duban.token';
  var ROLE = { operator: '操作员', checker: '核验人员', lead: '责任单位负责人', director: '局领导', auditor: '审计人员' };
  var HOME = { operator: '/operator', checker: '/checker', lead: '/lead', director: '/cockpit', auditor: '/ledger' };
  var D = (window.Duban = { ROLE: ROLE, HOME: HOME });

  D.token = function () { return sessionStorage.getItem(KEY); };
  D.setToken = function (t) { sessionStorage.setItem(KEY, t); };
  D.logout = function () { sessionStorage.removeItem(KEY); location.href = '/'; };
  D.el = function (id) { return document.getElementById(id); };
  D.esc = function (s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  };

  /** A request to the API with the person's token; JSON back, or a Blob for files. Errors carry the API's Chinese message. */
  D.api = async function (path, opts) {
    opts = opts || {};
    var headers = { authorization: 'Bearer ' + D.token() };
    if (opts.body) headers['content-type'] = 'application/json';
    var r = await fetch('/api/v1' + path, { method: opts.method || 'GET', headers: headers, body: opts.body ? JSON.stringify(opts.body) : undefined });
    var type = r.headers.get('content-type') || '';
    var data = type.indexOf('application/json') === 0 ? await r.json() : await r.blob();
    if (r.status === 401 && !opts.quiet) { sessionStorage.removeItem(KEY); throw new Error(data.message || '未登录'); }
    if (!r.ok) throw new Error((data && data.message) || '请求失败（' + r.status + '）');
    return data;
  };

  D.fail = function (err) { var box = D.el('error'); box.textContent = err.message || String(err); box.hidden = false; };
  D.ok = function () { D.el('error').hidden = true; };

  /** Who is signed in, shown in the header; the page is left if nobody is. */
  D.me = async function () {
    if (!D.token()) { location.href = '/'; throw new Error('未登录'); }
    var me = await D.api('/me');
    D.el('who').textContent = me.person + '（' + ROLE[me.role] + '）';
    var out = D.el('logout');
    out.hidden = false;
    out.onclick = D.logout;
    return me;
  };

  /** Downloads a file the API returns, under `name`. */
  D.download = async function (path, name) {
    var blob = await D.api(path);
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
  };

  D.base64 = function (file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(String(reader.result).split(',')[1] || ''); };
      reader.onerror = function () { reject(new Error('无法读取文件 ' + file.name)); };
      reader.readAsDataURL(file);
    });
  };

  D.day = function (d, n) { var t = new Date(d + 'T00:00:00Z'); t.setUTCDate(t.getUTCDate() + n); return t.toISOString().slice(0, 10); };
  D.today = function () { return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai' }).format(new Date()); };

  /** A small line chart of values against a 预警值 line (ECharts, bundled). */
  D.line = function (node, points, alert, title) {
    if (!window.echarts) return;
    var chart = echarts.init(node, null, { renderer: 'canvas' });
    chart.setOption({
      animation: false,
      title: title ? { text: title, textStyle: { fontSize: 13 } } : undefined,
      grid: { left: 40, right: 10, top: title ? 30 : 10, bottom: 20 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: points.map(function (p) { return p.day.slice(5); }) },
      yAxis: { type: 'value', scale: true },
      series: [{ type: 'line', data: points.map(function (p) { return Number(p.value); }), showSymbol: false,
        markLine: alert === null || alert === undefined ? undefined : { symbol: 'none', label: { formatter: '预警值 ' + alert }, lineStyle: { color: '#c00000', type: 'dashed' }, data: [{ yAxis: alert }] } }],
    });
    return chart;
  };

  D.stateLabel = function (p) { return '<span class="state">' + D.esc(p.state_label) + '</span>'; };
  D.deadlineText = function (p) {
    if (p.deadline_working_days === null || p.deadline_working_days === undefined) return p.deadline ? '期限 ' + D.esc(p.deadline) : '';
    return p.deadline_working_days < 0
      ? '<span class="bad">已逾期 ' + (-p.deadline_working_days) + ' 个工作日（期限 ' + D.esc(p.deadline) + '）</span>'
      : '距期限 ' + p.deadline_working_days + ' 个工作日（' + D.esc(p.deadline) + '）';
  };
})();
