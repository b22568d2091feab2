// CoachBot dashboard shell: reads Telegram's initData and theme from the launch URL (the
// Mini App fragment #tgWebAppData=…&tgWebAppThemeParams=…), keeps initData for this tab,
// and loads each page from the server with initData in a header. No third-party script.
(function () {
  "use strict";
  var KEY = "coachbot.initData";
  var HEADER = "X-Telegram-Init-Data";
  var app = document.getElementById("app");

  function hashParams() {
    var h = window.location.hash.replace(/^#/, "");
    var out = {};
    h.split("&").forEach(function (kv) {
      if (!kv) return;
      var i = kv.indexOf("=");
      var k = i < 0 ? kv : kv.slice(0, i);
      var v = i < 0 ? "" : kv.slice(i + 1);
      try { out[decodeURIComponent(k)] = decodeURIComponent(v); } catch (e) { /* ignore */ }
    });
    return out;
  }

  var hp = hashParams();
  var tg = window.Telegram && window.Telegram.WebApp;
  var initData = (tg && tg.initData) || hp.tgWebAppData || sessionStorage.getItem(KEY) || "";
  if (initData) sessionStorage.setItem(KEY, initData);
  if (hp.tgWebAppData) {
    // Keep the signed data out of the address bar (and out of screenshots and history).
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }

  function applyTheme(p) {
    if (!p) return;
    var map = {
      bg_color: "--bg", text_color: "--text", hint_color: "--hint", link_color: "--link",
      button_color: "--accent", button_text_color: "--accent-text",
      secondary_bg_color: "--bg2", destructive_text_color: "--bad"
    };
    var root = document.documentElement.style;
    Object.keys(map).forEach(function (k) {
      if (typeof p[k] === "string" && /^#[0-9a-fA-F]{3,8}$/.test(p[k])) root.setProperty(map[k], p[k]);
    });
    if (typeof p.bg_color === "string") {
      var c = p.bg_color.replace("#", "");
      if (c.length === 6) {
        var l = 0.299 * parseInt(c.slice(0, 2), 16) + 0.587 * parseInt(c.slice(2, 4), 16) +
          0.114 * parseInt(c.slice(4, 6), 16);
        document.documentElement.dataset.scheme = l < 128 ? "dark" : "light";
      }
    }
  }
  var theme = null;
  try { theme = (tg && tg.themeParams) || (hp.tgWebAppThemeParams && JSON.parse(hp.tgWebAppThemeParams)); } catch (e) { theme = null; }
  if (theme) { sessionStorage.setItem(KEY + ".theme", JSON.stringify(theme)); }
  else { try { theme = JSON.parse(sessionStorage.getItem(KEY + ".theme") || "null"); } catch (e) { theme = null; } }
  applyTheme(theme);

  // Tell Telegram the app is ready and may take the full height (no-op in a plain browser).
  function postEvent(type, data) {
    var body = JSON.stringify(data || {});
    try {
      if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(type, body);
      else if (window.external && "notify" in window.external) window.external.notify(JSON.stringify({ eventType: type, eventData: data || {} }));
      else if (window.parent !== window) window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data || {} }), "https://web.telegram.org");
    } catch (e) { /* not inside Telegram */ }
  }
  window.addEventListener("message", function (ev) {
    try {
      var m = JSON.parse(ev.data);
      if (m.eventType === "theme_changed" && m.eventData) applyTheme(m.eventData.theme_params);
    } catch (e) { /* not ours */ }
  });
  if (window.Telegram && window.Telegram.WebView) {
    window.Telegram.WebView.onEvent && window.Telegram.WebView.onEvent("theme_changed", function () {});
  }

  // A direct Mini App link (t.me/<bot>?startapp=risk, used in group chats) names the page.
  var PAGES = ["home", "team", "branches", "person", "training", "risk"];
  var start = hp.tgWebAppStartParam || (tg && tg.initDataUnsafe && tg.initDataUnsafe.start_param);
  if (start && PAGES.indexOf(start) >= 0 && !new URLSearchParams(window.location.search).get("v")) {
    history.replaceState(null, "", window.location.pathname + "?v=" + start);
  }

  function view() {
    var q = new URLSearchParams(window.location.search);
    var v = q.get("v") || "home";
    q.delete("v");
    return { v: v, q: q.toString() };
  }

  function load() {
    var cur = view();
    document.body.classList.add("busy");
    return fetch("p/" + encodeURIComponent(cur.v) + (cur.q ? "?" + cur.q : ""), {
      headers: (function () { var h = {}; h[HEADER] = initData; return h; })(),
      credentials: "omit",
      cache: "no-store"
    }).then(function (r) {
      return r.text().then(function (html) {
        app.innerHTML = html;
        app.dataset.status = String(r.status);
        var lang = app.querySelector("[data-lang]");
        if (lang) document.documentElement.lang = lang.getAttribute("data-lang");
        document.body.classList.remove("busy");
        window.scrollTo(0, 0);
      });
    }).catch(function () {
      app.innerHTML = '<section class="refused" data-page="offline"><h1>⚠</h1><p>网络错误 / Network error</p></section>';
      document.body.classList.remove("busy");
    });
  }

  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a[data-nav]");
    if (a) {
      ev.preventDefault();
      history.pushState(null, "", a.getAttribute("href"));
      load();
      return;
    }
    var b = ev.target.closest && ev.target.closest("button[data-act]");
    if (b) {
      ev.preventDefault();
      b.disabled = true;
      var h = { "Content-Type": "application/json" };
      h[HEADER] = initData;
      fetch("api/risk/" + encodeURIComponent(b.dataset.emp) + "/" + encodeURIComponent(b.dataset.act), {
        method: "POST", headers: h, body: "{}", credentials: "omit"
      }).then(function (r) {
        return r.json().then(function (j) {
          var box = b.parentNode;
          var note = document.createElement("div");
          note.className = r.ok ? "done small" : "veto small";
          note.textContent = r.ok ? "✓ " + b.dataset.done + " · " + b.textContent : (j.message || b.dataset.failed);
          box.appendChild(note);
          b.disabled = false;
        });
      }).catch(function () { b.disabled = false; });
    }
  });
  window.addEventListener("popstate", load);
  load().then(function () { postEvent("web_app_ready"); postEvent("web_app_expand"); });
})();
