/* A letter's reply link: keep its token for this tab, take it out of the address, and open the lead's page. */
(function () {
  'use strict';
  var D = window.Duban;
  var t = new URLSearchParams(location.search).get('t');
  if (!t) { D.fail(new Error('链接不完整：缺少令牌')); return; }
  D.setToken(t);
  history.replaceState(null, '', '/reply');
  location.replace('/lead');
})();
