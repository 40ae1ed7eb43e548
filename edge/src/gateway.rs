//! The request path every API call takes, in this order: request id → route → CORS (preflight answered;
//! allowed origins per organisation, echoed with `Vary: Origin`) → the backend, built-in or upstream (each
//! validates first; the built-in engine also checks Idempotency-Keys) → error shape → one JSON log line.
//! Public calls are rate-limited per client IP between CORS and the backend.

use crate::builtin;
use crate::engine::{self, Command, Settings, ORGANISATIONS};
use crate::embed;
use crate::http::error_response;
use crate::payments;
use crate::proxy::{self, Upstream};
use crate::runtime::{random_hex, setting};
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use slotbook_core::ratelimit::{self, ClientLimit};
use slotbook_core::route::{Method, Route};
use std::cell::RefCell;
use std::collections::HashMap;
use worker::{Env, Headers, Request, Response};

/// What the gateway learns about a request on its way, for headers and the log line.
pub struct Exchange {
    request_id: String,
    route: &'static str,
    pub organisation: Option<String>,
    /// The Origin to echo in CORS headers, once allowed.
    cors_origin: Option<String>,
}

pub async fn handle(req: Request, env: Env) -> Response {
    let started = js_sys::Date::now();
    let mut ex = Exchange { request_id: format!("req_{}", random_hex(12)), route: "unknown", organisation: None, cors_origin: None };
    let method = req.method().to_string();
    let mut resp = match serve(req, &env, &mut ex).await {
        Ok(r) => r,
        Err(e) => error_response(&e, &ex.request_id),
    };
    let headers = resp.headers_mut();
    let _ = headers.set("X-Request-Id", &ex.request_id);
    if let Some(origin) = &ex.cors_origin {
        let _ = headers.set("Access-Control-Allow-Origin", origin);
        let _ = headers.set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, Idempotent-Replayed");
    }
    let _ = headers.append("Vary", "Origin");
    worker::console_log!(
        "{}",
        serde_json::json!({
            "request_id": ex.request_id, "method": method, "route": ex.route, "status": resp.status_code(),
            "duration_ms": js_sys::Date::now() - started, "organisation": ex.organisation,
        })
    );
    resp
}

async fn serve(req: Request, env: &Env, ex: &mut Exchange) -> ApiResult<Response> {
    let url = req.url().map_err(|_| ApiError::validation("url", "The request URL is malformed"))?;
    let method = Method::parse(req.method().as_ref())
        .ok_or_else(|| ApiError::new(ErrorCode::MethodNotAllowed, "Method not allowed"))?;
    let preflight = method == Method::Options;
    let route_method = if preflight {
        let asked = req.headers().get("Access-Control-Request-Method").ok().flatten().unwrap_or_default();
        Method::parse(&asked).unwrap_or(Method::Options)
    } else {
        method
    };
    let route = Route::resolve(route_method, url.path())?;
    ex.route = route.label();
    ex.organisation = route.organisation().map(str::to_string);
    let self_origin = url.origin().ascii_serialization();

    let upstream = Upstream::from_env(env);
    if let Route::Public(booker, call) = &route {
        let origin = req.headers().get("Origin").ok().flatten().filter(|o| *o != self_origin);
        let target = match &upstream {
            None => Some(builtin::target(env, booker).await?),
            Some(_) => None,
        };
        if let Some(t) = &target {
            ex.organisation = Some(t.slug.clone());
        }
        if let Some(origin) = origin {
            // Proxy mode (no target): the edge's own list, as the upstream's organisations are not known here.
            if !allowed_origins(env, target.as_ref().map(|t| t.slug.as_str())).await?.contains(&origin) {
                return Err(ApiError::new(ErrorCode::OriginNotAllowed, "This website is not allowed to book for this organisation"));
            }
            ex.cors_origin = Some(origin);
        }
        if preflight {
            return preflight_answer();
        }
        limit_client(env, &route, &req).await?;
        return match (&upstream, &target) {
            (Some(up), _) => proxy::public(req, env, up, booker, call, &url, &ex.request_id).await,
            (None, Some(t)) => builtin::public(req, env, t, call, &url, &self_origin).await,
            (None, None) => unreachable!("built-in mode always has a target"),
        };
    }
    if preflight {
        return Err(ApiError::new(ErrorCode::MethodNotAllowed, "Cross-origin calls are not allowed on this route"));
    }
    match route {
        Route::Staff(call) => match &upstream {
            Some(up) => proxy::staff(req, up, &call, &url, &ex.request_id).await,
            None => builtin::staff(req, env, call, &url, ex).await,
        },
        Route::AdminImport(slug) => builtin::import(req, env, &slug).await,
        Route::Embed => embed::page(env, &url, &self_origin, upstream.is_some()).await,
        Route::Public(..) => unreachable!("answered above"),
        Route::StripeWebhook => payments::webhook(req, env, upstream.as_ref(), &ex.request_id).await,
        Route::TestCheckout(session) => payments::test_checkout_page(env, &session, &self_origin).await,
        Route::TestCheckoutAction(session) => payments::test_checkout_complete(req, env, &session, &self_origin).await,
    }
}

/// Per-client-IP limits through the Workers Rate Limiting bindings; a binding that is not configured
/// means no limit of that kind.
async fn limit_client(env: &Env, route: &Route, req: &Request) -> ApiResult<()> {
    let Some(limit) = ClientLimit::of(route) else { return Ok(()) };
    let Ok(limiter) = env.rate_limiter(limit.binding()) else { return Ok(()) };
    let ip = req.headers().get("CF-Connecting-IP").ok().flatten();
    match limiter.limit(limit.key(ip.as_deref())).await {
        Ok(outcome) if !outcome.success => Err(ratelimit::limited(ratelimit::CLIENT_PERIOD_SECONDS)),
        Ok(_) => Ok(()),
        Err(e) => {
            // A limiter failure must not take booking down with it.
            worker::console_error!("rate limiter {} failed: {e}", limit.binding());
            Ok(())
        }
    }
}

fn preflight_answer() -> ApiResult<Response> {
    let headers = Headers::new();
    let _ = headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    let _ = headers.set("Access-Control-Allow-Headers", "Content-Type, Idempotency-Key");
    let _ = headers.set("Access-Control-Max-Age", "600");
    Ok(Response::empty().map_err(|e| crate::http::internal("preflight", e))?.with_status(204).with_headers(headers))
}

thread_local! {
    /// Allowed origins per organisation, kept briefly per isolate so preflights do not each call the engine.
    static ORIGINS: RefCell<HashMap<String, (f64, Vec<String>)>> = RefCell::new(HashMap::new());
}

const ORIGINS_TTL_MS: f64 = 30_000.0;

/// The origins that may call or frame the widget for an organisation (built-in mode: its document, kept
/// briefly per isolate; proxy mode, `slug` None: the ALLOWED_ORIGINS setting). Without trailing slashes.
pub async fn allowed_origins(env: &Env, slug: Option<&str>) -> ApiResult<Vec<String>> {
    let Some(slug) = slug else {
        let setting = setting(env, "ALLOWED_ORIGINS").unwrap_or_default();
        return Ok(setting.split(',').map(|o| o.trim().trim_end_matches('/').to_string()).filter(|o| !o.is_empty()).collect());
    };
    let now = js_sys::Date::now();
    let cached = ORIGINS.with(|c| c.borrow().get(slug).filter(|(at, _)| now - at < ORIGINS_TTL_MS).map(|(_, o)| o.clone()));
    if let Some(origins) = cached {
        return Ok(origins);
    }
    let settings: Settings = engine::call_json(env, ORGANISATIONS, slug, &Command::Settings).await?;
    let origins: Vec<String> = settings.allowed_origins.iter().map(|o| o.trim_end_matches('/').to_string()).collect();
    ORIGINS.with(|c| c.borrow_mut().insert(slug.to_string(), (now, origins.clone())));
    Ok(origins)
}

