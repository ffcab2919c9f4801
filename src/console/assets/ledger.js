/* 台账查询: ledger events by business day, unit, indicator, problem, type, person; a problem's story; verification; download. */
(function () {
  'use strict';
  var D = window.Duban;
  var TYPES = { problem_opened: '发现问题', problem_assigned: '交办', problem_responded: '反馈整改', problem_verified: '核验签字', problem_sent_back: '退回整改', problem_closed: '销号', problem_reopened: '重新打开',
    problem_escalated: '升级', problem_dismissed: '撤销', problem_data_confirmed: '数据确认恢复', letter_issued: '发出交办函', message_sent: '邮件送达', rule_version_applied: '规则新版本',
    threshold_version_applied: '阈值新版本', values_recorded: '数据入库' };
  var cursor = null;

  async function load() {
    await D.me();
    var units = (await D.api('/units')).units;
    var indicators = (await D.api('/indicators')).indicators;
    var option = function (v, t) { return '<option value="' + D.esc(v) + '">' + D.esc(t) + '</option>'; };
    D.el('page').innerHTML =
      '<form id="filters" class="card"><div class="filters">' +
      '<div><label for="from">业务日起</label><input type="date" id="from"></div><div><label for="to">业务日止</label><input type="date" id="to"></div>' +
      '<div><label for="unit">单位</label><select id="unit">' + option('', '全部') + units.map(function (u) { return option(u.code, u.name); }).join('') + '</select></div>' +
      '<div><label for="indicator">指标</label><select id="indicator">' + option('', '全部') + indicators.map(function (i) { return option(i.code, i.name); }).join('') + '</select></div>' +
      '<div><label for="problem">问题编号</label><input type="number" id="problem" min="1"></div>' +
      '<div><label for="type">事件</label><select id="type">' + option('', '全部') + Object.keys(TYPES).map(function (k) { return option(k, TYPES[k]); }).join('') + '</select></div>' +
      '<div><label for="actor">操作人</label><input type="text" id="actor"></div></div>' +
      '<div class="actions"><button type="submit">查询</button><button type="button" class="secondary" id="csv">下载台账 CSV</button><button type="button" class="secondary" id="xlsx">下载台账 XLSX</button><button type="button" class="secondary" id="verify">核验台账</button></div></form>' +
      '<div id="verdict"></div><div id="story"></div><div class="table-wrap"><table id="events"><thead><tr><th>序号</th><th>记录时间</th><th>事件</th><th>操作人</th><th>问题</th><th>单位</th><th>内容</th></tr></thead><tbody></tbody></table></div>' +
      '<div class="actions"><button type="button" class="secondary" id="more" hidden>更多</button></div>';
    D.el('filters').onsubmit = function (e) { e.preventDefault(); search(true).catch(D.fail); };
    D.el('more').onclick = function () { search(false).catch(D.fail); };
    D.el('csv').onclick = function () { download('csv').catch(D.fail); };
    D.el('xlsx').onclick = function () { download('xlsx').catch(D.fail); };
    D.el('verify').onclick = function () { verify().catch(D.fail); };
    await search(true);
  }

  function query() {
    var q = new URLSearchParams();
    ['from', 'to', 'unit', 'indicator', 'problem', 'type', 'actor'].forEach(function (k) { var v = D.el(k).value.trim(); if (v) q.set(k, v); });
    return q;
  }

  async function search(fresh) {
    D.ok();
    var q = query();
    q.set('limit', '100');
    if (!fresh && cursor !== null) q.set('cursor', String(cursor));
    var page = await D.api('/ledger/events?' + q.toString());
    var body = D.el('events').querySelector('tbody');
    if (fresh) body.innerHTML = '';
    body.insertAdjacentHTML('beforeend', page.events.map(function (e) {
      return '<tr><td>' + e.seq + '</td><td>' + D.esc(new Date(e.recorded_at).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })) + '</td><td>' + D.esc(e.type_label) + '</td><td>' + D.esc(e.actor) + '</td><td>' +
        (e.problem_id ? '<a href="#" data-problem="' + e.problem_id + '">' + e.problem_id + '</a>' : '') + '</td><td>' + D.esc(e.unit || '') + '</td><td>' + D.esc(e.description) + '</td></tr>';
    }).join(''));
    body.querySelectorAll('[data-problem]').forEach(function (a) { a.onclick = function (ev) { ev.preventDefault(); story(a.getAttribute('data-problem')).catch(D.fail); }; });
    cursor = page.next_cursor;
    D.el('more').hidden = cursor === null;
    D.el('verdict').innerHTML = fresh ? '<p class="muted" id="count">共显示 ' + body.children.length + ' 条事件' + (cursor !== null ? '（还有更多）' : '') + '</p>' : D.el('verdict').innerHTML;
  }

  async function story(id) {
    var s = await D.api('/problems/' + id);
    D.el('story').innerHTML = '<section class="card"><h2>问题 ' + s.problem.id + ' 的经过：' + D.esc(s.problem.unit) + ' ' + D.esc(s.problem.indicator) + ' ' + D.stateLabel(s.problem) + '</h2><ol>' +
      s.timeline.map(function (e) { return '<li>' + D.esc(e.type_label) + '（' + D.esc(e.actor) + '）：' + D.esc(e.description) + '</li>'; }).join('') + '</ol></section>';
  }

  async function download(format) {
    var q = new URLSearchParams({ format: format });
    // The 台账 is narrowed by the filters it shares with the events: unit (as unit or 责任单位), indicator, days found.
    ['unit', 'indicator', 'from', 'to'].forEach(function (k) { var v = D.el(k).value.trim(); if (v) q.set(k, v); });
    await D.download('/ledger/export?' + q.toString(), '问题台账.' + format);
  }

  async function verify() {
    var r = await D.api('/audit/verify');
    D.el('verdict').innerHTML = '<section class="card" id="audit"><h2>' + (r.holds ? '<span class="good">台账可信</span>' : '<span class="bad">台账不可信</span>') + '</h2><ul>' +
      r.lines.map(function (l) { return '<li>' + D.esc(l) + '</li>'; }).join('') + '</ul></section>';
  }

  load().catch(D.fail);
})();
