/* 核验销号: problems awaiting verification, with the reply and the data since; sign off, then close. */
(function () {
  'use strict';
  var D = window.Duban;

  async function load() {
    await D.me();
    var data = await D.api('/problems?state=pending_verification&limit=200');
    D.el('page').innerHTML = '<p class="muted">待核验 ' + data.problems.length + ' 项</p>' + (data.problems.map(card).join('') || '<p class="notice">没有待核验的问题。</p>');
    for (var p of data.problems) detail(p).catch(D.fail);
  }

  function card(p) {
    return '<section class="card" id="problem-' + p.id + '"><h2>问题 ' + p.id + '：' + D.esc(p.owner) + ' · ' + D.esc(p.unit) + ' ' + D.esc(p.indicator) + ' ' + D.stateLabel(p) + '</h2>' +
      '<p>最新值 ' + D.esc(p.latest_value === null ? '—' : p.latest_value + p.indicator_unit) + (p.alert === null ? '' : '，预警值 ' + D.esc(p.alert) + D.esc(p.indicator_unit)) +
      '；数据' + (p.data_confirmed ? '<span class="good">已确认恢复</span>' : '<span class="bad">尚未确认恢复</span>') + (p.signed_off_by ? '；核验人 ' + D.esc(p.signed_off_by) : '') + '</p>' +
      '<div id="reply-' + p.id + '" class="muted">读取反馈……</div>' +
      (p.kind === 'value' ? '<div class="chart" id="trend-' + p.id + '" role="img" aria-label="反馈以来的数据"></div>' : '') +
      '<form id="act-' + p.id + '"><label for="note-' + p.id + '">核验意见（退回时为退回原因）</label><input type="text" id="note-' + p.id + '">' +
      '<div class="actions"><button type="button" data-act="verify">核验签字</button><button type="button" class="secondary" data-act="close">销号</button>' +
      '<button type="button" class="secondary" data-act="send-back">退回整改</button></div></form></section>';
  }

  async function detail(p) {
    var story = await D.api('/problems/' + p.id);
    var replies = story.timeline.filter(function (e) { return e.type === 'problem_responded'; });
    var last = replies[replies.length - 1];
    D.el('reply-' + p.id).innerHTML = last
      ? '反馈（' + D.esc(last.actor) + '）：' + D.esc(last.description) + (story.evidence.length ? '；证据 ' + story.evidence.map(function (f) { return D.esc(f.file_name); }).join('、') : '')
      : '尚无反馈';
    if (p.kind === 'value') {
      // From a week before the latest breach through the days since (the reply's data).
      var s = await D.api('/units/' + encodeURIComponent(p.unit_code) + '/series?indicator=' + encodeURIComponent(p.indicator) + '&from=' + D.day(p.last_seen, -7) + '&to=' + D.day(p.last_seen, 30));
      D.line(D.el('trend-' + p.id), s.values, p.alert);
    }
    D.el('act-' + p.id).querySelectorAll('button').forEach(function (b) {
      b.onclick = async function () {
        try {
          D.ok();
          var note = D.el('note-' + p.id).value.trim();
          var act = b.getAttribute('data-act');
          if (act === 'send-back' && !note) throw new Error('退回整改须在“核验意见”中写明原因');
          var body = act === 'send-back' ? { reason: note } : note ? { note: note } : {};
          var moved = await D.api('/problems/' + p.id + '/' + act, { method: 'POST', body: body });
          await load();
          var done = document.createElement('p');
          done.className = 'notice';
          done.setAttribute('role', 'status');
          done.textContent = moved.message;
          D.el('page').prepend(done);
        } catch (err) {
          D.fail(err);
        }
      };
    });
  }

  load().catch(D.fail);
})();
