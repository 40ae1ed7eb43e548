/* The loader's other modes, loaded only when used (an ES module imported by widget.js):
 * - popup: a button that opens the widget in a dialog; the wasm loads on first hover, focus or click.
 * - floating: the same, the button fixed at a corner of the page (`position`: bottom-right, the default,
 *   bottom-left, top-right, top-left), in the organisation's brand colour unless the page sets
 *   --booking-accent, labelled by `label` or the word table.
 * - iframe: the widget in a frame served by the edge (for hosts whose CSP allows only frame-src EDGE); its
 *   events arrive by postMessage, checked for origin and source, and are dispatched again on the host
 *   element; the customer's details go to the frame by postMessage too, never in its URL.
 * - embedded: inside the edge's embed page, the frame's side of that conversation.
 * `loader` is what widget.js lends: mount, unmount, load, sheet. */
var POPUP = ":host{display:inline-block}.open{font:600 15px system-ui,sans-serif;padding:10px 18px;" +
  "border-radius:var(--booking-radius,10px);border:0;cursor:pointer;color:#fff;background:var(--booking-accent,#2563eb)}" +
  "dialog{border:0;border-radius:12px;padding:0;width:min(680px,96vw);max-height:92vh}" +
  "dialog::backdrop{background:rgba(17,24,39,.5)}.close{position:absolute;right:8px;top:8px;z-index:1;border:0;" +
  "background:transparent;font:24px system-ui;cursor:pointer}.inner{padding:8px}" +
  ".floating{position:fixed;z-index:2147483000;bottom:20px;right:20px;border-radius:var(--booking-radius,999px);" +
  "background:var(--booking-accent,var(--sb-brand,#2563eb));box-shadow:0 6px 20px rgba(17,24,39,.3)}" +
  ".left{left:20px;right:auto}.top{top:20px;bottom:auto}";
var CORNERS = { "bottom-right": "", "bottom-left": " left", "top-right": " top", "top-left": " top left" };
var LABELS = { en: "Book now", de: "Jetzt buchen", hu: "Foglalás" };
var CLOSE = { en: "Close", de: "Schließen", hu: "Bezárás" };
// Options the frame's URL may carry: never the API base (the edge serves the frame and is the API) and
// never the customer's details (they come by postMessage, so they stay out of URLs and logs).
var FRAME_KEYS = ["organisation", "token", "locale", "theme", "resourceType", "resource", "date", "returnUrl", "manage"];
// The customer's details and a reseller's member token (Bardge mode): by postMessage only.
var PREFILL = ["name", "email", "phone", "memberToken"];
var EVENTS = ["ready", "slot-selected", "reserved", "payment-started", "confirmed", "failed"];
var SESSION = /[?&]booking_session_id=([^&#]*)/;
var popups = new WeakMap();
var frames = new WeakMap();

export function mount(host, opts, loader) {
  return opts.mode === "iframe" ? frame(host, opts, loader) : popup(host, opts, loader);
}

// The floating button takes the organisation's brand colour from its catalog (asked for in the background;
// the page's --booking-accent wins); a colour that is not a plain #hex is not used.
function brand(button, opts) {
  var who = opts.organisation ? "organisations/" + encodeURIComponent(opts.organisation) : opts.token && encodeURIComponent(opts.token);
  if (!who) return;
  fetch(opts.api + "/api/public/booking/" + who, { headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (c) {
      var color = c && c.organisation && c.organisation.branding && c.organisation.branding.brandColor;
      if (/^#[0-9a-fA-F]{3,8}$/.test(color || "")) button.style.setProperty("--sb-brand", color);
    })
    .catch(function () {});
}

function popup(host, opts, loader) {
  var root = host.shadowRoot || host.attachShadow({ mode: "open" });
  root.adoptedStyleSheets = loader.sheet(POPUP);
  root.innerHTML = '<button class="open" type="button"></button>' +
    '<dialog><button class="close" type="button">\u00d7</button><div class="inner"></div></dialog>';
  var button = root.querySelector(".open");
  var dialog = root.querySelector("dialog");
  var lang = (opts.locale || navigator.language || "en").slice(0, 2).toLowerCase();
  button.textContent = opts.label || LABELS[lang] || LABELS.en;
  if (opts.mode === "floating") {
    button.className = "open floating" + (CORNERS[opts.position] || "");
    brand(button, opts);
  }
  dialog.setAttribute("aria-label", button.textContent);
  root.querySelector(".close").setAttribute("aria-label", CLOSE[lang] || CLOSE.en);
  var inner = root.querySelector(".inner");
  var started = false;
  function preload() { loader.load(!!opts.manage).catch(function () {}); }
  function open() {
    if (!dialog.open) dialog.showModal();
    if (!started) {
      started = true;
      var inline = Object.assign({}, opts, { mode: "inline" });
      loader.mount(inner, inline).catch(function (err) { console.error("booking widget:", err); });
    }
  }
  button.addEventListener("mouseenter", preload, { once: true });
  button.addEventListener("focus", preload, { once: true });
  button.addEventListener("click", open);
  root.querySelector(".close").addEventListener("click", function () { dialog.close(); });
  popups.set(host, open);
  // Back from the payment page, or opened from a manage link: open at once.
  if (SESSION.test(location.search) || opts.manage) open();
  return null;
}

function withoutSession(href) {
  return href.replace(/([?&])booking_session_id=[^&#]*&?/, "$1").replace(/[?&](#|$)/, "$1");
}

// The frame tells its height and the widget's events by postMessage, and gets the customer's details the
// same way once it says it is ready.
function frame(host, opts, loader) {
  loader.unmount(host);
  var params = new URLSearchParams();
  FRAME_KEYS.forEach(function (k) { if (opts[k]) params.set(k, opts[k]); });
  params.set("parentOrigin", location.origin);
  if (!opts.returnUrl) params.set("returnUrl", withoutSession(location.href));
  var session = SESSION.exec(location.search);
  if (session) {
    params.set("booking_session_id", decodeURIComponent(session[1]));
    // The frame resumes the payment; the address bar forgets it, so a reload does not replay it.
    try { history.replaceState(history.state, "", withoutSession(location.href)); } catch (e) {}
  }
  var edge = new URL(opts.api).origin;
  var prefill = {};
  PREFILL.forEach(function (k) { if (opts[k]) prefill[k] = opts[k]; });
  var root = host.shadowRoot || host.attachShadow({ mode: "open" });
  root.adoptedStyleSheets = loader.sheet(":host{display:block}iframe{display:block;width:100%;min-height:320px;border:0}");
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
export function embedded(host, loader) {
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
  loader.load(!!opts.manage).catch(function () {});
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
    PREFILL.forEach(function (k) { if (typeof detail[k] === "string") opts[k] = detail[k].slice(0, k === "memberToken" ? 4096 : 320); });
    return loader.mount(host, opts);
  });
}

export function open(host) {
  var opener = popups.get(host);
  if (opener) opener();
}

// Removes a popup or a frame; false for a host that is neither (the loader unmounts inline widgets).
export function unmount(host, loader) {
  var listener = frames.get(host);
  if (listener) {
    frames.delete(host);
    window.removeEventListener("message", listener);
    host.removeAttribute("data-booking-frame");
    if (host.shadowRoot) host.shadowRoot.innerHTML = "";
    return true;
  }
  if (popups.has(host)) {
    popups.delete(host);
    var inner = host.shadowRoot.querySelector(".inner");
    if (inner) loader.unmount(inner);
    host.shadowRoot.innerHTML = "";
    return true;
  }
  return false;
}
