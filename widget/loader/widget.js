/* The booking widget's loader: a small classic script a venue adds to its page.
 *   <script src="https://EDGE/widget.js" data-organisation="acme-spa" async></script>
 * It reserves the widget's space with a skeleton, then loads the wasm and its glue from the same origin and
 * mounts the widget into a shadow root. With data-mode="popup" it shows a button instead and loads the
 * widget on first hover, focus or click, into a dialog. With data-mode="iframe" the widget runs in a frame
 * served by the edge (for hosts whose CSP allows only frame-src EDGE); its events arrive by postMessage,
 * checked for origin and source, and are dispatched again on the host element; the customer's details go
 * to the frame by postMessage too, never in its URL. JS API: window.BookingWidget.mount(element, options)
 * -> Promise, BookingWidget.open(element) for a popup, BookingWidget.unmount(element).
 * __GLUE__ and __WASM__ are replaced by the build with hashed file names. */
(function () {
  "use strict";
  var GLUE = "__GLUE__";
  var WASM = "__WASM__";
  var script = document.currentScript;
  var base = new URL(".", script && script.src ? script.src : location.href);
  var KEYS = ["organisation", "token", "api", "mode", "locale", "theme", "resourceType", "resource", "date",
    "name", "email", "phone", "returnUrl", "manage"];
  var SKELETON = ":host{display:block}.skeleton{font:15px system-ui,sans-serif;color:#6b7280;min-height:320px;" +
    "border:1px solid #e5e7eb;border-radius:10px;padding:20px;box-sizing:border-box}";
  var POPUP = ":host{display:inline-block}.open{font:600 15px system-ui,sans-serif;padding:10px 18px;" +
    "border-radius:var(--booking-radius,10px);border:0;cursor:pointer;color:#fff;background:var(--booking-accent,#2563eb)}" +
    "dialog{border:0;border-radius:12px;padding:0;width:min(680px,96vw);max-height:92vh}" +
    "dialog::backdrop{background:rgba(17,24,39,.5)}.close{position:absolute;right:8px;top:8px;z-index:1;border:0;" +
    "background:transparent;font:24px system-ui;cursor:pointer}.inner{padding:8px}";
  var LABELS = { en: "Book now", de: "Jetzt buchen", hu: "Foglalás" };
  var CLOSE = { en: "Close", de: "Schließen", hu: "Bezárás" };
  // Options the frame's URL may carry: never the API base (the edge serves the frame and is the API) and
  // never the customer's details (they come by postMessage, so they stay out of URLs and logs).
  var FRAME_KEYS = ["organisation", "token", "locale", "theme", "resourceType", "resource", "date", "returnUrl", "manage"];
  // A booking's manage link on the venue's own page: ?booking=<token>.
  var MANAGE = /[?&]booking=([0-9a-f]{64}\.[a-z0-9-]{2,64})(?:&|#|$)/;
  var PREFILL = ["name", "email", "phone"];
  var loading = null;
  var mounted = new WeakMap();
  var popups = new WeakMap();
  var frames = new WeakMap();

  function load() {
    if (!loading) {
      loading = import(new URL(GLUE, base).href).then(function (glue) {
        return glue.default({ module_or_path: new URL(WASM, base).href }).then(function () { return glue; });
      });
      loading.catch(function () { loading = null; });
    }
    return loading;
  }

  function sheet(css) {
    try { var s = new CSSStyleSheet(); s.replaceSync(css); return [s]; } catch (e) { return []; }
  }

  function normalise(options) {
    var opts = {};
    KEYS.forEach(function (k) { if (options && options[k] != null) opts[k] = String(options[k]); });
    opts.api = opts.api || base.origin;
    var manage = MANAGE.exec(location.search);
    if (manage && !opts.manage) opts.manage = manage[1];
    // Unset: the widget takes the organisation's locale, then the browser's.
    // (Inside the edge's embed page its own <html lang> says nothing of the customer.)
    opts.locale = opts.locale || (script && script.dataset.embed ? "" : document.documentElement.lang) || "";
    return opts;
  }

  var EVENTS = ["ready", "slot-selected", "reserved", "payment-started", "confirmed", "failed"];
  var SESSION = /[?&]booking_session_id=([^&#]*)/;

  function mount(host, options) {
    var opts = normalise(options);
    if (opts.mode === "popup") return Promise.resolve(popup(host, opts));
    if (opts.mode === "iframe") return Promise.resolve(frame(host, opts));
    unmount(host);
    host.setAttribute("data-booking-widget", "");
    var root = host.shadowRoot || host.attachShadow({ mode: "open" });
    root.adoptedStyleSheets = sheet(SKELETON);
    root.innerHTML = '<div class="skeleton" aria-busy="true">…</div>';
    var entry = { handle: null };
    mounted.set(host, entry);
    return load().then(function (glue) {
      if (mounted.get(host) !== entry) return null;
      entry.handle = glue.mount(host, root, opts);
      return entry.handle;
    }, function (err) {
      root.innerHTML = '<p class="skeleton" role="alert">The booking widget could not be loaded. Please reload the page.</p>';
      host.dispatchEvent(new CustomEvent("booking:failed", { bubbles: true, composed: true, detail: { stage: "load" } }));
      throw err;
    });
  }

  // A button that opens the widget in a dialog; the wasm loads on first hover, focus or click.
  function popup(host, opts) {
    var root = host.shadowRoot || host.attachShadow({ mode: "open" });
    root.adoptedStyleSheets = sheet(POPUP);
    root.innerHTML = '<button class="open" type="button"></button>' +
      '<dialog><button class="close" type="button">\u00d7</button><div class="inner"></div></dialog>';
    var button = root.querySelector(".open");
    var dialog = root.querySelector("dialog");
    var lang = (opts.locale || navigator.language || "en").slice(0, 2).toLowerCase();
    button.textContent = LABELS[lang] || LABELS.en;
    dialog.setAttribute("aria-label", button.textContent);
    root.querySelector(".close").setAttribute("aria-label", CLOSE[lang] || CLOSE.en);
    var inner = root.querySelector(".inner");
    var started = false;
    function preload() { load().catch(function () {}); }
    function open() {
      if (!dialog.open) dialog.showModal();
      if (!started) {
        started = true;
        var inline = Object.assign({}, opts, { mode: "inline" });
        mount(inner, inline).catch(function (err) { console.error("booking widget:", err); });
      }
    }
    button.addEventListener("mouseenter", preload, { once: true });
    button.addEventListener("focus", preload, { once: true });
    button.addEventListener("click", open);
    root.querySelector(".close").addEventListener("click", function () { dialog.close(); });
    popups.set(host, open);
    // Back from the payment page, or opened from a manage link: open at once.
    if (/[?&]booking_session_id=/.test(location.search) || opts.manage) open();
    return null;
  }

  // The widget in a frame from the edge; the frame tells its height and the widget's events by postMessage,
  // and gets the customer's details the same way once it says it is ready.
  function frame(host, opts) {
    unmount(host);
    var params = new URLSearchParams();
    FRAME_KEYS.forEach(function (k) { if (opts[k]) params.set(k, opts[k]); });
    params.set("parentOrigin", location.origin);
    if (!opts.returnUrl) params.set("returnUrl", location.href.replace(/([?&])booking_session_id=[^&#]*&?/, "$1").replace(/[?&]$/, ""));
    var session = SESSION.exec(location.search);
    if (session) {
      params.set("booking_session_id", decodeURIComponent(session[1]));
      // The frame resumes the payment; the address bar forgets it, so a reload does not replay it.
      try { history.replaceState(history.state, "", location.href.replace(/([?&])booking_session_id=[^&#]*&?/, "$1").replace(/[?&](#|$)/, "$1")); } catch (e) {}
    }
    var edge = new URL(opts.api).origin;
    var prefill = {};
    PREFILL.forEach(function (k) { if (opts[k]) prefill[k] = opts[k]; });
    var root = host.shadowRoot || host.attachShadow({ mode: "open" });
    root.adoptedStyleSheets = sheet(":host{display:block}iframe{display:block;width:100%;min-height:320px;border:0}");
    var iframe = document.createElement("iframe");
    iframe.title = "Booking";
    iframe.src = edge + "/api/embed?" + params.toString();
    root.innerHTML = "";
    root.appendChild(iframe);
    function listener(e) {
      var d = e.data;
      if (e.origin !== edge || e.source !== iframe.contentWindow || !d || d.source !== "slotbook") return;
      if (d.type === "ready") iframe.contentWindow.postMessage({ source: "slotbook", type: "prefill", detail: prefill }, edge);
      else if (d.type === "resize") iframe.style.height = Math.ceil(d.height) + "px";
      else if (EVENTS.indexOf(d.type.replace("booking:", "")) >= 0) {
        host.dispatchEvent(new CustomEvent(d.type, { bubbles: true, composed: true, detail: d.detail }));
      }
    }
    window.addEventListener("message", listener);
    frames.set(host, listener);
    host.setAttribute("data-booking-frame", "");
    return null;
  }

  // Inside the edge's embed page: options from the frame's URL (the API is this origin), the customer's
  // details from the parent page by postMessage, events and height to the parent only.
  function embedded(host) {
    var q = new URLSearchParams(location.search);
    var opts = {};
    FRAME_KEYS.forEach(function (k) { if (q.get(k)) opts[k] = q.get(k); });
    opts.mode = "inline";
    var parentOrigin = q.get("parentOrigin");
    function tell(type, detail) { if (parent !== window) parent.postMessage({ source: "slotbook", type: type, detail: detail }, parentOrigin); }
    EVENTS.forEach(function (name) {
      host.addEventListener("booking:" + name, function (e) { tell(e.type, e.detail); });
    });
    function tellHeight() {
      if (parent !== window) parent.postMessage({ source: "slotbook", type: "resize", height: document.documentElement.scrollHeight }, parentOrigin);
    }
    if (window.ResizeObserver) new ResizeObserver(tellHeight).observe(host);
    load().catch(function () {});
    var prefilled = new Promise(function (resolve) {
      if (parent === window) return resolve({});
      window.addEventListener("message", function (e) {
        var d = e.data;
        if (e.origin !== parentOrigin || e.source !== parent || !d || d.source !== "slotbook" || d.type !== "prefill") return;
        resolve(d.detail || {});
      });
      tell("ready");
      // A parent that never answers (an old loader) still gets a widget, without the details.
      setTimeout(function () { resolve({}); }, 3000);
    });
    return prefilled.then(function (detail) {
      PREFILL.forEach(function (k) { if (typeof detail[k] === "string") opts[k] = detail[k].slice(0, 320); });
      return mount(host, opts);
    });
  }

  function open(host) {
    var opener = popups.get(host);
    if (opener) opener();
  }

  function unmount(host) {
    var listener = frames.get(host);
    if (listener) {
      frames.delete(host);
      window.removeEventListener("message", listener);
      host.removeAttribute("data-booking-frame");
      if (host.shadowRoot) host.shadowRoot.innerHTML = "";
      return;
    }
    if (popups.has(host)) {
      popups.delete(host);
      var inner = host.shadowRoot.querySelector(".inner");
      if (inner) unmount(inner);
      host.shadowRoot.innerHTML = "";
      return;
    }
    var entry = mounted.get(host);
    if (!entry) return;
    mounted.delete(host);
    if (entry.handle) entry.handle.unmount();
    if (host.shadowRoot) host.shadowRoot.innerHTML = "";
  }

  window.BookingWidget = { mount: mount, open: open, unmount: unmount };

  if (script && script.dataset.embed) {
    embedded(document.querySelector(script.dataset.target)).catch(function (err) { console.error("booking widget:", err); });
  } else if (script && (script.dataset.organisation || script.dataset.token)) {
    var target = script.dataset.target && document.querySelector(script.dataset.target);
    var host = target || document.createElement("div");
    if (!target) script.parentNode.insertBefore(host, script);
    mount(host, script.dataset).catch(function (err) { console.error("booking widget:", err); });
  }
})();
