/* 运行管理: rules and thresholds in force and pending, the day's ingest runs and their rejects, failed mail to retry. */
(function () {
  'use strict';
  var D = window.Duban;

  async function load() {
    await D.me();
    var day = D.today();
    var rules = await D.api('/rules');
    var thresholds = await D.api('/thresholds');
    D.el('page').innerHTML =
      '<h2>现行规则</h2>' + table(['规则', '版本', '生效日', '修改人', '原因'], rules.inForce.map(function (r) { return [r.rule_id + '（' + (r.definition ? r.definition.name : '停用') + '）', r.version, r.effective_from, r.created_by, r.reason]; })) +
      (rules.pending.length ? '<h2>待生效的规则</h2>' + table(['规则', '版本', '生效日', '修改人', '原因'], rules.pending.map(function (r) { return [r.rule_id, r.version, r.effective_from, r.created_by, r.reason]; })) : '') +
      '<h2>现行阈值</h2>' + table(['指标', '版本', '预警值', '先进值', '方向', '生效日', '修改人', '原因'], thresholds.inForce.map(function (t) { return [t.name, t.version, t.alert, t.benchmark, t.direction === 'higher' ? '越高越好' : '越低越好', t.effective_from, t.created_by, t.reason]; })) +
      (thresholds.pending.length ? '<h2>待生效的阈值</h2>' + table(['指标', '版本', '预警值', '生效日', '修改人', '原因'], thresholds.pending.map(function (t) { return [t.name, t.version, t.alert, t.effective_from, t.created_by, t.reason]; })) : '') +
      '<h2>回测规则文件</h2><form id="backtest-form" class="filters"><div><label for="bt-from">从</label><input type="date" id="bt-from" value="' + D.day(day, -28) + '"></div>' +
      '<div><label for="bt-to">到</label><input type="date" id="bt-to" value="' + D.day(day, -1) + '"></div><div><button type="submit">回测（不写入数据）</button></div></form><div id="backtest"></div>' +
      '<h2>采集批次</h2><form id="runs-form" class="filters"><div><label for="day">日期</label><input type="date" id="day" value="' + day + '"></div><div><button type="submit">查看</button></div></form><div id="runs"></div><div id="rejects"></div>' +
      '<h2>发送失败的邮件</h2><div id="failed"></div>';
    D.el('backtest-form').onsubmit = function (e) { e.preventDefault(); backtest().catch(D.fail); };
    D.el('runs-form').onsubmit = function (e) { e.preventDefault(); runs(D.el('day').value).catch(D.fail); };
    await runs(day);
    await failed();
  }

  function table(headers, rows) {
    if (!rows.length) return '<p class="muted">无</p>';
    return '<div class="table-wrap"><table><thead><tr>' + headers.map(function (h) { return '<th>' + D.esc(h) + '</th>'; }).join('') + '</tr></thead><tbody>' +
      rows.map(function (r) { return '<tr>' + r.map(function (c) { return '<td>' + D.esc(c) + '</td>'; }).join('') + '</tr>'; }).join('') + '</tbody></table></div>';
  }

  /** What the rules file would raise over past days, next to the rules in force: before anyone applies it. */
  async function backtest() {
    D.el('backtest').innerHTML = '<p class="muted">回测中……</p>';
    var r = await D.api('/rules/backtest?from=' + D.el('bt-from').value + '&to=' + D.el('bt-to').value);
    var rows = function (list) { return list.map(function (x) { return [x.key, x.currentAnomalies, x.proposedAnomalies, x.proposedAnomalies - x.currentAnomalies, x.currentFacts, x.proposedFacts]; }); };
    D.el('backtest').innerHTML = '<p class="muted">' + D.esc(r.from) + ' 至 ' + D.esc(r.to) + '：现行规则 → 规则文件</p>' +
      table(['规则', '现行异常', '拟议异常', '变化', '现行问题', '拟议问题'], rows(r.byRule)) + table(['单位', '现行异常', '拟议异常', '变化', '现行问题', '拟议问题'], rows(r.byUnit));
  }

  async function runs(day) {
    var r = await D.api('/ingest/runs?day=' + day);
    D.el('runs').innerHTML = r.runs.length
      ? '<div class="table-wrap"><table><thead><tr><th>批次</th><th>数据源</th><th>状态</th><th>新增</th><th>修订</th><th>未变</th><th>重复</th><th>拒收</th><th>忽略</th><th></th></tr></thead><tbody>' +
        r.runs.map(function (x) {
          return '<tr><td>' + x.id + '</td><td>' + D.esc(x.source) + '</td><td>' + D.esc({ succeeded: '成功', failed: '失败', running: '进行中' }[x.status]) + (x.error ? '：' + D.esc(x.error) : '') + '</td><td>' + x.accepted + '</td><td>' + x.revised + '</td><td>' + x.unchanged + '</td><td>' + x.duplicates + '</td><td>' + x.rejected + '</td><td>' + x.ignored + '</td><td>' +
            (x.rejected + x.ignored > 0 ? '<button type="button" class="secondary" data-run="' + x.id + '">查看拒收</button>' : '') + '</td></tr>';
        }).join('') + '</tbody></table></div>'
      : '<p class="muted">' + D.esc(day) + ' 没有采集批次。</p>';
    D.el('runs').querySelectorAll('[data-run]').forEach(function (b) { b.onclick = function () { rejects(b.getAttribute('data-run')).catch(D.fail); }; });
  }

  async function rejects(id) {
    var r = await D.api('/ingest/runs/' + id + '/rejects');
    D.el('rejects').innerHTML = '<h2>批次 ' + id + ' 拒收的单元格</h2>' + table(['文件', '行', '列', '原因', '原文'], r.rejects.map(function (x) { return [x.input, x.line_no, x.column_name, x.message, x.raw]; })) +
      (r.ignoredColumns.length ? '<h2>未读取的列</h2>' + table(['文件', '列', '单元格'], r.ignoredColumns.map(function (x) { return [x.input, x.column_name, x.cells]; })) : '');
  }

  async function failed() {
    var r = await D.api('/messages?limit=100');
    var bad = r.messages.filter(function (m) { return m.status === 'failed'; });
    D.el('failed').innerHTML = bad.length
      ? '<ul>' + bad.map(function (m) { return '<li>' + D.esc(m.kind_label) + ' ' + D.esc(m.subject) + ' <button type="button" class="secondary" data-retry="' + m.id + '">重新发送</button></li>'; }).join('') + '</ul>'
      : '<p class="muted">没有发送失败的邮件。</p>';
    D.el('failed').querySelectorAll('[data-retry]').forEach(function (b) {
      b.onclick = async function () { try { await D.api('/messages/' + b.getAttribute('data-retry') + '/retry', { method: 'POST', body: {} }); await failed(); } catch (err) { D.fail(err); } };
    });
  }

  load().catch(D.fail);
})();
