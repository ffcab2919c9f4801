/* 决策驾驶舱: the week's indicators as tiles, counts, who is overdue and who is at 通报, rankings and trends. */
(function () {
  'use strict';
  var D = window.Duban;
  var charts = [];

  async function load(week) {
    await D.me();
    var c = await D.api('/cockpit' + (week ? '?week=' + encodeURIComponent(week) : ''));
    var units = (await D.api('/units')).units.filter(function (u) { return u.kind !== 'city'; });
    var t = c.totals;
    D.el('page').innerHTML =
      '<form id="pick" class="filters"><div><label for="week">周</label><input type="week" id="week" value="' + D.esc(c.week) + '"></div><div><button type="submit">查看</button></div></form>' +
      '<p class="muted">' + D.esc(c.weekLabel) + '（' + D.esc(c.period) + '）· 数据日期 ' + D.esc(c.dataDay || '—') + (c.city ? ' · 全市值为' + D.esc(c.city) : '') + '</p>' +
      '<div class="grid" id="counts">' +
      count('本周新增', t.fresh) + count('本周销号', t.closed) + count('逾期', t.overdue, t.overdue > 0) + count('未销号', t.live) + count('待核验', t.awaiting) + count('交办函', t.letters) +
      '</div><h2>指标</h2><div class="grid" id="tiles">' + c.tiles.map(tile).join('') + '</div>' +
      '<h2>趋势</h2><div class="card"><div class="filters"><div><label for="trend-pick">指标</label><select id="trend-pick">' +
      c.trends.map(function (x, k) { return '<option value="' + k + '">' + D.esc(x.indicator) + '</option>'; }).join('') +
      '</select></div><div><label for="trend-unit">单位</label><select id="trend-unit"><option value="">' + D.esc(c.city || '全市') + '</option>' +
      units.map(function (u) { return '<option value="' + D.esc(u.code) + '">' + D.esc(u.name) + '</option>'; }).join('') +
      '</select></div></div><div class="chart big" id="trend" role="img" aria-label="指标近 30 天走势"></div></div>' +
      '<h2>逾期排名</h2>' + overdue(c.overdueRanking) +
      '<h2>通报</h2>' + (c.notified.length ? '<ul>' + c.notified.map(function (n) { return '<li>' + D.esc(n.owner) + ' · ' + D.esc(n.indicator) + '（问题 ' + n.id + '，期限 ' + D.esc(n.deadline) + '）</li>'; }).join('') + '</ul>' : '<p class="muted">本周无通报。</p>') +
      '<h2>各指标排名</h2><div class="card"><label for="rank-pick">指标</label><select id="rank-pick">' +
      c.indicatorRankings.map(function (x, k) { return '<option value="' + k + '">' + D.esc(x.indicator) + '</option>'; }).join('') +
      '</select><div class="chart big" id="ranking" role="img" aria-label="各单位排名"></div></div>';
    D.el('pick').onsubmit = function (e) { e.preventDefault(); load(D.el('week').value).catch(D.fail); };
    charts.forEach(function (x) { x.dispose(); });
    charts = [];
    // The city's trend comes with the cockpit; a unit's is read when picked.
    var showTrend = async function () {
      var x = c.trends[Number(D.el('trend-pick').value)];
      if (!x) return;
      var alert = (c.tiles.find(function (t) { return t.indicator === x.indicator; }) || {}).alert;
      var unit = D.el('trend-unit').value;
      var points = x.points;
      if (unit && c.dataDay) points = (await D.api('/units/' + encodeURIComponent(unit) + '/series?indicator=' + encodeURIComponent(x.indicator) + '&from=' + D.day(c.dataDay, -29) + '&to=' + c.dataDay)).values;
      charts.forEach(function (ch) { if (ch.getDom() === D.el('trend')) ch.dispose(); });
      charts.push(D.line(D.el('trend'), points, alert, x.indicator + (unit ? ' · ' + D.el('trend-unit').selectedOptions[0].text : '')));
    };
    var showRanking = function () { var x = c.indicatorRankings[Number(D.el('rank-pick').value)]; if (x) charts.push(bars(D.el('ranking'), x)); };
    D.el('trend-pick').onchange = function () { showTrend().catch(D.fail); };
    D.el('trend-unit').onchange = function () { showTrend().catch(D.fail); };
    D.el('rank-pick').onchange = showRanking;
    await showTrend();
    showRanking();
  }

  function count(name, n, bad) {
    return '<div class="tile"><div class="name">' + D.esc(name) + '</div><div class="value' + (bad ? ' bad' : '') + '">' + n + '</div></div>';
  }

  function tile(t) {
    var value = t.cityValue === null ? '—' : t.cityValue + t.measure;
    var change = t.change === null ? '' : '<span class="' + (t.worse ? 'bad' : 'good') + '">较上周 ' + (t.change > 0 ? '+' : '') + t.change + '</span>';
    var below = t.below.length ? '<span class="bad">' + t.below.length + ' 个单位低于预警值</span>：' + D.esc(t.below.slice(0, 5).map(function (b) { return b.unit; }).join('、')) + (t.below.length > 5 ? '等' : '') : '<span class="good">无单位低于预警值</span>';
    return '<div class="tile indicator-tile"><div class="name">' + D.esc(t.indicator) + '</div><div class="value">' + D.esc(value) + '</div>' +
      '<div class="muted">预警值 ' + D.esc(t.alert === null ? '—' : t.alert + t.measure) + ' ' + change + '</div><div class="muted">' + below + '</div></div>';
  }

  function overdue(rows) {
    if (!rows.length) return '<p class="muted">没有逾期的单位。</p>';
    return '<div class="table-wrap"><table><thead><tr><th>名次</th><th>责任单位</th><th>逾期问题</th><th>最长逾期（工作日）</th><th>其中提醒</th><th>督办</th><th>通报</th></tr></thead><tbody>' +
      rows.map(function (r) { return '<tr><td>' + r.rank + '</td><td>' + D.esc(r.unit) + '</td><td>' + r.overdue + '</td><td>' + r.maxOverdue + '</td><td>' + r.remind + '</td><td>' + r.supervise + '</td><td>' + r.notify + '</td></tr>'; }).join('') +
      '</tbody></table></div>';
  }

  function bars(node, x) {
    var chart = echarts.init(node, null, { renderer: 'canvas' });
    var units = x.units.filter(function (u) { return u.value !== null; });
    chart.setOption({
      animation: false,
      grid: { left: 90, right: 20, top: 10, bottom: 20 },
      tooltip: {},
      xAxis: { type: 'value', scale: true },
      yAxis: { type: 'category', inverse: true, data: units.map(function (u) { return u.unit; }) },
      series: [{ type: 'bar', data: units.map(function (u) { return { value: u.value, itemStyle: { color: u.breach ? '#c00000' : '#4a7bb7' } }; }) }],
    });
    return chart;
  }

  load().catch(D.fail);
})();
