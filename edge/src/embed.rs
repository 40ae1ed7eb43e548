//! `GET /api/embed`: the page the widget runs in when a host uses `data-mode="iframe"` (for hosts whose
//! Content Security Policy allows only `frame-src EDGE`). Only the organisation's allowed origins may frame
//! it (`frame-ancestors`), and the widget reports its events to that parent only.

use crate::builtin;
use crate::http::internal;
use crate::origins;
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use slotbook_core::request_url::RequestUrl;
use slotbook_core::route::Flow;
use slotbook_core::validate::{origin_of, Query};
use worker::{Env, Headers, Response};

pub async fn page(env: &Env, url: &RequestUrl, self_origin: &str, proxy: bool) -> ApiResult<Response> {
    let pairs = url.query_pairs();
    let query = Query::new(&pairs);
    let given = |name| query.get(name).filter(|v| !v.is_empty());
    let flow = match (given("organisation"), given("token")) {
        (Some(slug), _) => Flow::Organisation(slug.to_string()),
        (None, Some(token)) => Flow::Token(token.to_string()),
        (None, None) => {
            return Err(ApiError::validation(
                "organisation",
                "organisation or token is required",
            ))
        }
    };
    let parent = query.required_string("parentOrigin")?;
    let parent = origin_of(parent)
        .filter(|o| o == parent)
        .ok_or_else(|| ApiError::validation("parentOrigin", "parentOrigin must be an origin"))?;
    let allowed = match proxy {
        true => origins::of_setting(env),
        false => origins::of_organisation(env, &builtin::bookable(env, &flow).await?.slug).await?,
    };
    if parent != self_origin && !allowed.contains(&parent) {
        return Err(ApiError::new(
            ErrorCode::OriginNotAllowed,
            "This website is not allowed to embed the booking widget",
        ));
    }
    let lang = given("locale").map(language_tag).unwrap_or_else(|| "en".into());
    let html = format!(
        r##"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Booking</title></head>
<body><div id="booking"></div><script src="/widget.js" data-embed="true" data-target="#booking" async></script></body></html>"##
    );
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "text/html; charset=utf-8");
    let _ = headers.set("Cache-Control", "no-store");
    let _ = headers.set("Content-Security-Policy", &format!("frame-ancestors {parent}"));
    Ok(Response::ok(html)
        .map_err(|e| internal("embed page", e))?
        .with_headers(headers))
}

/// A `lang` attribute value: letters, digits and dashes only.
fn language_tag(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(35)
        .collect()
}
