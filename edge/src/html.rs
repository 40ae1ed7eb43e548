//! Small HTML pages the edge serves itself (the test checkout, the manage page, the root page): text escaped
//! for HTML, and a page with the shared look.

use crate::http::internal;
use slotbook_core::error::ApiResult;
use worker::{Headers, Response};

/// Text and attribute values, escaped for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// An amount in minor units as text: `65.00 EUR` (no decimals for Stripe's zero-decimal currencies).
pub fn money(amount: i64, currency: &str) -> String {
    const ZERO_DECIMAL: &[&str] = &[
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
    ];
    let code = currency.to_ascii_uppercase();
    if ZERO_DECIMAL.contains(&currency.to_ascii_lowercase().as_str()) {
        return format!("{amount} {code}");
    }
    format!(
        "{}{}.{:02} {code}",
        if amount < 0 { "-" } else { "" },
        amount.abs() / 100,
        amount.abs() % 100
    )
}

/// The demo organisation, whose venue page (`dist/index.html`) is the root page where it is served.
const DEMO_ORGANISATION: &str = "acme-spa";

/// The root page: the Acme Spa demo venue where the demo organisation is served (local runs), else a plain
/// page that says what this is and where its documentation lives.
pub async fn home(env: &worker::Env) -> ApiResult<Response> {
    if crate::origins::of_organisation(env, DEMO_ORGANISATION).await.is_ok() {
        let assets = env.assets("ASSETS").map_err(|e| internal("assets binding", e))?;
        let request = crate::http::outgoing(
            "https://assets.local/",
            worker::Method::Get,
            &worker::Headers::new(),
            None,
            true,
        )
        .into_request()
        .map_err(|e| internal("demo page", e))?;
        return assets
            .fetch_request(request)
            .await
            .map_err(|e| internal("demo page", e));
    }
    page(
        "en",
        "Slotbook booking edge",
        r#"<h1>Slotbook</h1><p>This is a Slotbook booking edge: it serves the booking widget and the public booking API
for the venues it books.</p><p>A venue adds the widget to its own website with one script tag (see the
README's section “Embedding the widget”):</p><pre>&lt;script src="/widget.js" data-organisation="your-slug" async&gt;&lt;/script&gt;</pre>
<p>The API: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>"#,
    )
}

/// A whole page: `title` (already plain text) and `body` (HTML, escaped by the caller), never cached.
pub fn page(lang: &str, title: &str, body: &str) -> ApiResult<Response> {
    let html = format!(
        r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>body{{font:16px/1.5 system-ui,sans-serif;max-width:560px;margin:32px auto;padding:0 16px;color:#1f2937}}
.banner{{background:#fef3c7;color:#92400e;padding:12px;border-radius:8px;font-weight:600}}.notice{{background:#fee2e2;color:#991b1b;padding:12px;border-radius:8px}}.done{{background:#d1fae5;color:#065f46}}
button,.button{{font:inherit;padding:10px 18px;border-radius:8px;margin:4px 8px 4px 0;cursor:pointer;min-height:44px;box-sizing:border-box;border:1px solid #9ca3af;background:#fff;color:#1f2937;text-decoration:none;display:inline-flex;align-items:center}}
.pay,.primary{{background:#0f766e;color:#fff;border:0}}dl{{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}}dt{{color:#4b5563}}dd{{margin:0}}
input{{font:inherit;padding:8px;min-height:44px}}.slots{{display:flex;flex-wrap:wrap}}</style></head><body>
{body}
</body></html>"#,
        lang = escape(lang),
        title = escape(title),
    );
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "text/html; charset=utf-8");
    let _ = headers.set("Cache-Control", "no-store");
    let _ = headers.set("Referrer-Policy", "no-referrer");
    let _ = headers.set(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    );
    Ok(Response::ok(html)
        .map_err(|e| internal("page", e))?
        .with_headers(headers))
}
