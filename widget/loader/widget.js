/* The booking widget's loader: a small classic script a venue adds to its page.
 *   <script src="https://EDGE/widget.js" data-organisation="acme-spa" async></script>
 * It reserves the widget's space with a skeleton, then loads the wasm and its glue from the same origin and
 * mounts the widget into a shadow root. JS API: window.BookingWidget.mount(element, options) -> Promise,
 * BookingWidget.unmount(element). __GLUE__ and __WASM__ are replaced by the build with hashed file names. */
(function () {
  "use strict";
  var GLUE = "__GLUE__";
  var WASM = "__WASM__";
  var script = document.currentScript;
  var base = new URL(".", script && script.src ? script.src : location.href);
  var KEYS = ["organisation", "token", "api", "mode", "locale", "theme", "resourceType", "resource", "date",
    "name", "email", "phone", "returnUrl"];
  var SKELETON = ":host{display:block}.skeleton{font:15px system-ui,sans-serif;color:#6b7280;min-height:320px;" +
    "border:1px solid #e5e7eb;border-radius:10px;padding:20px;box-sizing:border-box}";
  var loading = null;
  var mounted = new WeakMap();

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

  function mount(host, options) {
    var opts = {};
    KEYS.forEach(function (k) { if (options && options[k] != null) opts[k] = String(options[k]); });
    opts.api = opts.api || base.origin;
    opts.locale = opts.locale || document.documentElement.lang || navigator.language || "en";
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

  function unmount(host) {
    var entry = mounted.get(host);
    if (!entry) return;
    mounted.delete(host);
    if (entry.handle) entry.handle.unmount();
    if (host.shadowRoot) host.shadowRoot.innerHTML = "";
  }

  window.BookingWidget = { mount: mount, unmount: unmount };

  if (script && (script.dataset.organisation || script.dataset.token)) {
    var target = script.dataset.target && document.querySelector(script.dataset.target);
    var host = target || document.createElement("div");
    if (!target) script.parentNode.insertBefore(host, script);
    mount(host, script.dataset).catch(function (err) { console.error("booking widget:", err); });
  }
})();
