/* 整改反馈: a unit's open problems from its letter, each with its data and a reply form (through the API's state machine). */
(function () {
  'use strict';
  var D = window.Duban;
  var LIVE = ['open', 'assigned', 'pending_verification'];

  async function load() {
    var me = await D.me();
    var data = await D.api('/problems?limit=200');
    var problems = data.problems.filter(function (p) { return LIVE.indexOf(p.state) >= 0; });
    var letters = (await D.api('/messages?kind=letter&limit=5')).messages;
    var html = '<p class="muted">' + D.esc(me.units.join('、')) + (me.period ? ' · ' + D.esc(me.period) : '') + ' · 未销号的问题 ' + problems.length + ' 项</p>';
    if (letters.length) {
      html += '<div class="actions">' + letters.map(function (m) {
        return '<button type="button" class="secondary" data-letter="' + m.id + '">打印 ' + D.esc(m.subject) + '</button>';
      }).join('') + '</div>';
    }
    html += problems.map(card).join('') || '<p class="notice">没有需要整改的问题。</p>';
    D.el('page').innerHTML = html;
    document.querySelectorAll('[data-letter]').forEach(function (b) { b.onclick = function () { printLetter(b.getAttribute('data-letter')).catch(D.fail); }; });
    for (var p of problems) {
      if (p.kind === 'value') trend(p).catch(function () { /* a chart is a help, not the page */ });
      if (p.state === 'pending_verification') lastReply(p).catch(function () { /* the form below still works */ });
      var form = D.el('reply-' + p.id);
      if (form) form.onsubmit = reply(p);
    }
  }

  function card(p) {
    var value = p.latest_value === null || p.latest_value === undefined ? '—' : D.esc(p.latest_value) + D.esc(p.indicator_unit);
    var alert = p.alert === null || p.alert === undefined ? '' : '，预警值 ' + D.esc(p.alert) + D.esc(p.indicator_unit);
    var canReply = p.state === 'assigned' || p.state === 'pending_verification';
    return '<section class="card" id="problem-' + p.id + '" aria-labelledby="title-' + p.id + '">' +
      '<h2 id="title-' + p.id + '">问题 ' + p.id + '：' + D.esc(p.unit) + ' ' + D.esc(p.indicator) + ' ' + D.stateLabel(p) + '</h2>' +
      '<p>最新值 <strong>' + value + '</strong>' + alert + '；最差 ' + D.esc(p.worst_value === null ? '—' : p.worst_value) + '；首次发现 ' + D.esc(p.first_seen) + '，最近 ' + D.esc(p.last_seen) + '</p>' +
      '<p class="muted">命中规则：' + D.esc((p.rules || []).join('、')) + '。' + D.deadlineText(p) + '</p>' +
      (p.kind === 'value' ? '<div class="chart" id="trend-' + p.id + '" role="img" aria-label="' + D.esc(p.indicator) + '近 30 天走势"></div>' : '') +
      '<p id="replied-' + p.id + '" class="muted"></p>' +
      (canReply ? form(p) : '<p class="muted">' + (p.state === 'open' ? '待交办后可反馈。' : '') + '</p>') +
      '</section>';
  }

  function form(p) {
    var id = p.id;
    return '<form id="reply-' + id + '" class="reply">' +
      '<label for="measures-' + id + '">整改措施</label><textarea id="measures-' + id + '" required></textarea>' +
      '<label for="progress-' + id + '">完成情况</label><textarea id="progress-' + id + '"></textarea>' +
      '<label for="evidence-' + id + '">佐证材料（PDF、图片、Word、Excel，可多个）</label><input type="file" id="evidence-' + id + '" multiple>' +
      '<label for="contact-' + id + '">联系人及电话</label><input type="text" id="contact-' + id + '" autocomplete="name">' +
      '<div class="actions"><button type="submit">提交反馈</button></div></form>';
  }

  function reply(p) {
    return async function (e) {
      e.preventDefault();
      try {
        D.ok();
        var files = Array.from(D.el('evidence-' + p.id).files || []);
        var evidence = [];
        for (var f of files) evidence.push({ fileName: f.name, contentType: f.type || 'application/octet-stream', contentBase64: await D.base64(f) });
        var progress = D.el('progress-' + p.id).value.trim();
        var contact = D.el('contact-' + p.id).value.trim();
        var body = { measures: D.el('measures-' + p.id).value.trim() };
        if (progress) body.note = '完成情况：' + progress;
        if (contact) body.contact = contact;
        if (evidence.length) body.evidence = evidence;
        var moved = await D.api('/problems/' + p.id + '/respond', { method: 'POST', body: body });
        await load();
        var done = document.createElement('p');
        done.className = 'notice';
        done.setAttribute('role', 'status');
        done.textContent = '已提交：' + moved.message;
        D.el('page').prepend(done);
      } catch (err) {
        D.fail(err);
      }
    };
  }

  /** What the unit last reported, shown while the checker has it. */
  async function lastReply(p) {
    var story = await D.api('/problems/' + p.id);
    var replies = story.timeline.filter(function (e) { return e.type === 'problem_responded'; });
    var last = replies[replies.length - 1];
    if (last) D.el('replied-' + p.id).textContent = '已反馈（' + last.actor + '）：' + last.description + '。待核验人核验；如有新的进展可再次反馈。';
  }

  async function trend(p) {
    // The 30 days up to the problem's latest breach, and what came after it.
    var s = await D.api('/units/' + encodeURIComponent(p.unit_code) + '/series?indicator=' + encodeURIComponent(p.indicator) + '&from=' + D.day(p.last_seen, -29) + '&to=' + D.day(p.last_seen, 14));
    D.line(D.el('trend-' + p.id), s.values, p.alert);
  }

  async function printLetter(id) {
    var blob = await D.api('/messages/' + id + '/html');
    window.open(URL.createObjectURL(blob), '_blank');
  }

  load().catch(D.fail);
})();
