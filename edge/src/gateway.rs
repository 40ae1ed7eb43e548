//! The request path every API call takes, in this order: request id → route → body size (413 on a declared
//! length over the route's limit) → per-client-IP rate limit (before any Durable Object work or lookup)
//! → CORS (preflight answered; allowed origins per organisation, echoed with `Vary: Origin`) → the backend,
//! built-in or upstream (each validates first; the built-in engine also checks Idempotency-Keys) → error
//! shape → one JSON log line (written after the answer has gone).

use crate::builtin;
use crate::embed;
use crate::html;
use crate::http::{error_response, too_large};
use crate::incoming::Incoming;
use crate::manage;
use crate::origins;
use crate::payments;
use crate::proxy::{self, Upstream};
use crate::runtime::{binding, log_after_answer, public_origin, random_hex, require_public_origin};
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use slotbook_core::ratelimit::{self, ClientLimit};
use slotbook_core::route::{self, Method, Route};
use wasm_bindgen::{JsCast, JsValue};
use worker::{Context, Env, Headers, Response};

/// What the gateway learns about a request on its way, for headers and the log line.
struct Exchange {
    request_id: String,
    route: &'static str,
    organisation: Option<String>,
    /// The Origin to echo in CORS headers, once allowed.
    cors_origin: Option<String>,
}

/// The one line logged per request.
#[derive(serde::Serialize)]
struct LogLine<'a> {
    duration_ms: f64,
    method: &'a str,
    organisation: Option<&'a str>,
    request_id: &'a str,
    route: &'a str,
    status: u16,
}

pub async fn handle(req: Incoming, env: Env, ctx: &Context) -> Response {
    let started = js_sys::Date::now();
    let mut ex = Exchange {
        request_id: format!("req_{}", random_hex(12)),
        route: "unknown",
        organisation: None,
        cors_origin: None,
    };
    let method = req.method_name();
    let mut resp = match serve(req, &method, &env, &mut ex).await {
        Ok(r) => r,
        Err(e) => error_response(&e, &ex.request_id),
    };
    let headers = resp.headers_mut();
    let _ = headers.set("X-Request-Id", &ex.request_id);
    if let Some(origin) = &ex.cors_origin {
        let _ = headers.set("Access-Control-Allow-Origin", origin);
        let _ = headers.set(
            "Access-Control-Expose-Headers",
            "X-Request-Id, Retry-After, Idempotent-Replayed",
        );
    }
    let _ = headers.append("Vary", "Origin");
    let line = serde_json::to_string(&LogLine {
        duration_ms: js_sys::Date::now() - started,
        method: &method,
        organisation: ex.organisation.as_deref(),
        request_id: &ex.request_id,
        route: ex.route,
        status: resp.status_code(),
    })
    .unwrap_or_default();
    // Written once the answer is on its way: a log line must not delay it.
    log_after_answer(ctx, &line);
    resp
}

async fn serve(req: Incoming, method: &str, env: &Env, ex: &mut Exchange) -> ApiResult<Response> {
    let url = req
        .url()
        .ok_or_else(|| ApiError::validation("url", "The request URL is malformed"))?;
    let method = Method::parse(method).ok_or_else(|| route::refuse_method(url.path(), "Method not allowed"))?;
    let preflight = method == Method::Options;
    let route_method = if preflight {
        let asked = req.header("Access-Control-Request-Method").unwrap_or_default();
        Method::parse(&asked).unwrap_or(Method::Options)
    } else {
        method
    };
    let route = Route::resolve(route_method, url.path())?;
    ex.route = route.label();
    ex.organisation = route.organisation().map(str::to_string);
    let self_origin = public_origin(env);
    let own = self_origin.as_deref();
    let declared = req.header("Content-Length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > route.body_limit() as u64) {
        return Err(too_large(route.body_limit()));
    }

    // Per client IP, before any lookup: so no key or token can be guessed at speed. A browser's preflight
    // counts as a read, so its reserve is counted once against the stricter limit; other routes take none.
    let limit = match (&route, preflight) {
        (Route::Public(..) | Route::Manage(..), true) => Some(ClientLimit::Reads),
        (_, true) => None,
        (route, false) => ClientLimit::of(route),
    };
    limit_client(env, limit, &req).await?;

    let upstream = Upstream::from_env(env);
    if let Route::Public(flow, call) = &route {
        let origin = cross_origin(&req, own);
        let target = match &upstream {
            None => Some(builtin::bookable(env, flow).await?),
            Some(_) => None,
        };
        if let Some(t) = &target {
            ex.organisation = Some(t.slug.clone());
        }
        if origin.is_some() {
            // Proxy mode (no target): the edge's own list, as the upstream's organisations are not known here.
            let allowed = match &target {
                Some(t) => origins::of_organisation(env, &t.slug).await?,
                None => origins::of_setting(env),
            };
            ex.cors_origin = allow_origin(origin, &allowed)?;
        }
        if preflight {
            return preflight_answer();
        }
        return match (&upstream, &target) {
            (Some(up), _) => proxy::public(req, env, up, flow, call, &url, &ex.request_id).await,
            (None, Some(t)) => builtin::public(req, env, t, call, &url, require_public_origin(own)?).await,
            (None, None) => unreachable!("built-in mode always has a target"),
        };
    }
    if let Route::Manage(token, call) = &route {
        if upstream.is_some() {
            return Err(ApiError::new(
                ErrorCode::ResourceNotFound,
                "Manage links are served by the venue's booking system",
            ));
        }
        let slug = manage::organisation(token)?;
        ex.organisation = Some(slug.to_string());
        let allowed = origins::of_organisation(env, slug).await?;
        ex.cors_origin = allow_origin(cross_origin(&req, own), &allowed)?;
        if preflight {
            return preflight_answer();
        }
        return manage::handle(req, env, token, *call, &url, require_public_origin(own)?).await;
    }
    if preflight {
        return Err(route::refuse_method(
            url.path(),
            "Cross-origin calls are not allowed on this route",
        ));
    }
    match route {
        Route::Staff(call) => match &upstream {
            Some(up) => proxy::staff(req, up, &call, &url, &ex.request_id).await,
            None => {
                let (organisation, answer) = builtin::staff(req, env, call, &url).await;
                ex.organisation = organisation.or(ex.organisation.take());
                answer
            }
        },
        Route::AdminImport(slug) => builtin::import(req, env, &slug).await,
        Route::Embed => embed::page(env, &url, require_public_origin(own)?, upstream.is_some()).await,
        Route::Home => html::home(env).await,
        Route::Public(..) | Route::Manage(..) => unreachable!("answered above"),
        Route::StripeWebhook => payments::webhook(req, env, upstream.as_ref(), &ex.request_id).await,
        Route::TestCheckout(session) => payments::test_checkout_page(env, &session, require_public_origin(own)?).await,
        Route::TestCheckoutAction(session) => {
            payments::test_checkout_complete(req, env, &session, require_public_origin(own)?).await
        }
    }
}

/// The Origin of a call from another website (a call from the edge's own pages needs no CORS). Without a
/// configured origin every Origin is another website's.
fn cross_origin(req: &Incoming, self_origin: Option<&str>) -> Option<String> {
    req.header("Origin").filter(|o| Some(o.as_str()) != self_origin)
}

/// The origin to echo in CORS headers: only one of the organisation's allowed origins may call.
fn allow_origin(origin: Option<String>, allowed: &[String]) -> ApiResult<Option<String>> {
    match origin {
        Some(o) if !allowed.contains(&o) => Err(ApiError::new(
            ErrorCode::OriginNotAllowed,
            "This website is not allowed to book for this organisation",
        )),
        other => Ok(other),
    }
}

/// Per-client-IP limits through the Workers Rate Limiting bindings; a binding that is not configured
/// means no limit of that kind.
async fn limit_client(env: &Env, limit: Option<ClientLimit>, req: &Incoming) -> ApiResult<()> {
    let Some(limit) = limit else { return Ok(()) };
    let Some(limiter) = binding(env, limit.binding()) else {
        return Ok(());
    };
    let ip = req.header("CF-Connecting-IP");
    match within_limit(&limiter, &limit.key(ip.as_deref())).await {
        Ok(false) => Err(ratelimit::limited(ratelimit::CLIENT_PERIOD_SECONDS)),
        Ok(true) => Ok(()),
        Err(e) => {
            // A limiter failure must not take booking down with it.
            worker::console_error!("rate limiter {} failed: {e}", limit.binding());
            Ok(())
        }
    }
}

/// The binding's `limit({key})`, called as the runtime defines it: whether the call is within the limit.
/// (The worker crate's own wrapper reads the outcome with a general deserializer, which the edge does not
/// otherwise carry.)
async fn within_limit(limiter: &JsValue, key: &str) -> Result<bool, worker::Error> {
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"key".into(), &key.into())?;
    let limit: js_sys::Function = js_sys::Reflect::get(limiter, &"limit".into())?.dyn_into()?;
    let outcome = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(limit.call1(limiter, &options)?)).await?;
    Ok(js_sys::Reflect::get(&outcome, &"success".into())?
        .as_bool()
        .unwrap_or(true))
}

fn preflight_answer() -> ApiResult<Response> {
    let headers = Headers::new();
    let _ = headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    let _ = headers.set(
        "Access-Control-Allow-Headers",
        "Content-Type, Idempotency-Key, Authorization",
    );
    let _ = headers.set("Access-Control-Max-Age", "600");
    Ok(Response::empty()
        .map_err(|e| crate::http::internal("preflight", e))?
        .with_status(204)
        .with_headers(headers))
}
