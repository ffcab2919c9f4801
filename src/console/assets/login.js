/* Sign in with a token (duban tokens create); each role lands on its own page. */
(function () {
  'use strict';
  var D = window.Duban;
  D.el('page').innerHTML =
    '<form id="login" class="card"><label for="token">令牌</label><input type="password" id="token" autocomplete="off" required>' +
    '<p class="muted">令牌由督查科用 duban tokens create 发放。责任单位也可直接打开交办函中的在线反馈链接，无需令牌。</p>' +
    '<div class="actions"><button type="submit">登录</button></div></form>';
  D.el('login').onsubmit = async function (e) {
    e.preventDefault();
    D.setToken(D.el('token').value.trim());
    try {
      var me = await D.api('/me', { quiet: true });
      location.href = D.HOME[me.role];
    } catch (err) {
      sessionStorage.clear();
      D.fail(err);
    }
  };
})();
