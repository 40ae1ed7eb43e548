/* The booking widget's loader: a small classic script a venue adds to its page.
 *   <script src="https://EDGE/widget.js" data-organisation="acme-spa" async></script>
 * Inline (the default), it reserves the widget's space with a skeleton and starts its downloads at once: the
 * glue, the wasm, the organisation's catalog and, when the page preselects a service and a day, that day's
 * times, which it reads in full and hands to the widget so that the first view needs no second round trip and
 * is drawn in one pass. The popup,
 * floating-button and iframe modes, and the edge's embed page, live in modes.js, loaded only when used.
 * JS API: window.BookingWidget.mount(element, options) -> Promise, BookingWidget.open(element) for a popup or
 * floating button, BookingWidget.unmount(element).
 * A page that carries a booking's manage token (?booking=…, or the manage option) gets the manage view's
 * wasm instead of the booking flow's: a first visit never downloads it.
 * __GLUE__, __WASM__, __MANAGE_GLUE__, __MANAGE_WASM__ and __MODES__ are replaced by the build with hashed
 * file names. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(".", script && script.src ? script.src : location.href);
  var KEYS = ["organisation", "token", "api", "mode", "locale", "theme", "resourceType", "resource", "date",
    "name", "email", "phone", "returnUrl", "manage", "position", "label", "memberToken"];
  // A booking's manage link on the venue's own page: ?booking=<token>.
  var MANAGE = /[?&]booking=([0-9a-f]{64}\.[a-z0-9-]{2,64})(?:&|#|$)/;
  // The booking flow's files and the manage view's, each loaded once, when first needed.
  var BUNDLES = { booking: ["__GLUE__", "__WASM__"], manage: ["__MANAGE_GLUE__", "__MANAGE_WASM__"] };
  var loading = {};
  var modes = null;
  var modesModule = null;
  var mounted = new WeakMap();
  var pending = new WeakMap();

  function url(name) { return new URL(name, base).href; }

  // `manage`: the manage view's files rather than the booking flow's.
  function load(manage) {
    var which = manage ? "manage" : "booking";
    if (!loading[which]) {
      // The wasm's download starts now, beside the glue's, not after it.
      var wasm = fetch(url(BUNDLES[which][1]));
      var ready = import(url(BUNDLES[which][0])).then(function (glue) {
        return glue.default({ module_or_path: wasm }).then(function () { return glue; });
      });
      ready.catch(function () { loading[which] = null; });
      loading[which] = ready;
    }
    return loading[which];
  }

  function withModes() {
    if (!modes) {
      modes = import(url("__MODES__")).then(function (m) { modesModule = m; return m; });
      modes.catch(function () { modes = null; });
    }
    return modes;
  }

  function sheet(css) {
    try { var s = new CSSStyleSheet(); s.replaceSync(css); return [s]; } catch (e) { return []; }
  }

  function normalise(options) {
    var opts = {};
    KEYS.forEach(function (k) { if (options && options[k] != null) opts[k] = String(options[k]); });
    opts.api = (opts.api || base.origin).replace(/\/+$/, "");
    var manage = MANAGE.exec(location.search);
    if (manage && !opts.manage) opts.manage = manage[1];
    // Unset: the widget takes the organisation's locale, then the browser's.
    // (Inside the edge's embed page its own <html lang> says nothing of the customer.)
    opts.locale = opts.locale || (script && script.dataset.embed ? "" : document.documentElement.lang) || "";
    return opts;
  }

  // The first view's answers, fetched while the wasm loads: the catalog, and with a service and a day chosen
  // by the page that day's times and month. Each is read in full here ({ok, text}); the widget takes it as
  // its own first call to that path.
  function early(opts) {
    var who = opts.organisation ? "organisations/" + encodeURIComponent(opts.organisation) : opts.token && encodeURIComponent(opts.token);
    var answers = {};
    if (!who) return answers;
    function ask(rest) {
      var init = { headers: { Accept: "application/json" } };
      if (window.AbortSignal && AbortSignal.timeout) init.signal = AbortSignal.timeout(15000);
      var answer = fetch(opts.api + "/api/public/booking/" + who + rest, init).then(function (r) {
        return r.text().then(function (text) { return { ok: r.ok, text: text }; });
      });
      answer.catch(function () {});
      answers[rest] = answer;
    }
    ask("");
    if (!opts.manage && opts.resourceType && /^\d{4}-\d{2}-\d{2}$/.test(opts.date || "")) {
      // The day's times, and its month for the day picker shown beside them.
      var which = "&resourceTypeId=" + encodeURIComponent(opts.resourceType) +
        (opts.resource ? "&resourceId=" + encodeURIComponent(opts.resource) : "");
      ask("/availability?date=" + opts.date + which);
      ask("/calendar?month=" + opts.date.slice(0, 7) + which);
    }
    // A page's first date and price formatters load the browser's time zone and number data (tens of
    // milliseconds on a phone): made now, while the files download, so that the widget's first dates and
    // prices cost what later ones do. The same kinds as the widget's: the visitor's zone, a day in en-CA.
    setTimeout(function () {
      try {
        var zone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
        new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(0);
        new Intl.DateTimeFormat(opts.locale || undefined, { timeZone: zone, hour: "numeric", minute: "2-digit" }).format(0);
        new Intl.NumberFormat(opts.locale || undefined, { style: "currency", currency: "EUR" }).format(1);
      } catch (e) {}
    }, 0);
    return answers;
  }

  // The early answers in, or a second gone: the widget then draws its first view at once, in one paint,
  // rather than the catalog first and the preselected day's times in a second pass.
  function answered(answers) {
    var all = Object.keys(answers).map(function (k) { return answers[k].catch(function () {}); });
    return Promise.race([Promise.all(all), new Promise(function (done) { setTimeout(done, 1000); })]);
  }

  function mount(host, options) {
    var opts = normalise(options);
    unmount(host);
    if (opts.mode === "popup" || opts.mode === "floating" || opts.mode === "iframe") {
      // Unmounted (or mounted again) before modes.js arrived: this mount is void.
      var ticket = {};
      pending.set(host, ticket);
      return withModes().then(function (m) {
        if (pending.get(host) !== ticket) return null;
        pending.delete(host);
        return m.mount(host, opts, lent);
      });
    }
    host.setAttribute("data-booking-widget", "");
    var root = host.shadowRoot || host.attachShadow({ mode: "open" });
    root.adoptedStyleSheets = sheet(":host{display:block}.skeleton{font:15px system-ui,sans-serif;color:#6b7280;" +
      "min-height:320px;border:1px solid #e5e7eb;border-radius:10px;padding:20px;box-sizing:border-box}");
    root.innerHTML = '<div class="skeleton" aria-busy="true">…</div>';
    var entry = { handle: null };
    mounted.set(host, entry);
    opts.early = early(opts);
    return load(!!opts.manage).then(function (glue) {
      return answered(opts.early).then(function () { return glue; });
    }).then(function (glue) {
      if (mounted.get(host) !== entry) return null;
      entry.handle = glue.mount(host, root, opts);
      return entry.handle;
    }, function (err) {
      root.innerHTML = '<p class="skeleton" role="alert">The booking widget could not be loaded. Please reload the page.</p>';
      host.dispatchEvent(new CustomEvent("booking:failed", { bubbles: true, composed: true, detail: { stage: "load" } }));
      throw err;
    });
  }

  // After the mounts already asked for (a popup mounted just before opens once it exists).
  function open(host) {
    if (modes) modes.then(function (m) { m.open(host); });
  }

  function unmount(host) {
    pending.delete(host);
    if (modesModule && modesModule.unmount(host, lent)) return;
    var entry = mounted.get(host);
    if (!entry) return;
    mounted.delete(host);
    if (entry.handle) entry.handle.unmount();
    if (host.shadowRoot) host.shadowRoot.innerHTML = "";
  }

  // What modes.js needs of the loader.
  var lent = { mount: mount, unmount: unmount, load: load, sheet: sheet };
  window.BookingWidget = { mount: mount, open: open, unmount: unmount };

  if (script && script.dataset.embed) {
    withModes().then(function (m) { return m.embedded(document.querySelector(script.dataset.target), lent); })
      .catch(function (err) { console.error("booking widget:", err); });
  } else if (script && (script.dataset.organisation || script.dataset.token)) {
    var target = script.dataset.target && document.querySelector(script.dataset.target);
    var host = target || document.createElement("div");
    if (!target) script.parentNode.insertBefore(host, script);
    mount(host, script.dataset).catch(function (err) { console.error("booking widget:", err); });
  }
})();
