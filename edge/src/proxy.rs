//! Proxy mode (`UPSTREAM_URL` set): the public booking and staff routes go to a venue's booking backend.
//! Only an allow-list of headers is forwarded (plus `X-Forwarded-For` and the request id), with a timeout;
//! GETs are retried once on a network error, POSTs never. Upstream errors of any shape come back in ours.

use crate::engine::{self, idempotency_answer, Command, IdempotencyKey, ORGANISATIONS};
use crate::http::{fetch_within, from_json, internal, json_body, Unanswered};
use crate::incoming::Incoming;
use crate::runtime::setting;
use slotbook_core::digest::{fingerprint, sha256_hex};
use slotbook_core::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use slotbook_core::idempotency;
use slotbook_core::request_url::RequestUrl;
use slotbook_core::route::{Flow, PublicCall, StaffCall};
use slotbook_core::validate::{self, Query};
use slotbook_core::wire::ReserveRequest;
use std::time::Duration;
use worker::{Cache, Env, Headers, Method, Response};

const FORWARDED_HEADERS: &[&str] = &[
    "content-type",
    "accept",
    "accept-language",
    "authorization",
    "idempotency-key",
    "stripe-signature",
    "user-agent",
];
const DEFAULT_TIMEOUT_MS: u64 = 10_000;

pub struct Upstream {
    base: String,
    timeout: Duration,
}

/// What goes upstream: the method, path and query, the headers worth forwarding, the body as received.
pub struct Outgoing {
    pub method: Method,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Keep the upstream's own error status (the Stripe webhook: a 5xx must stay a 5xx so Stripe retries).
    pub keep_status: bool,
}

impl Outgoing {
    /// Takes the allow-listed headers of `req`, and adds who asked and under which request id.
    pub fn from_request(req: &Incoming, path_and_query: String, body: Option<Vec<u8>>, request_id: &str) -> Outgoing {
        let mut headers: Vec<(String, String)> = FORWARDED_HEADERS
            .iter()
            .filter_map(|h| req.header(h).map(|v| (h.to_string(), v)))
            .collect();
        if let Some(ip) = req.header("CF-Connecting-IP") {
            headers.push(("x-forwarded-for".into(), ip));
        }
        headers.push(("x-request-id".into(), request_id.to_string()));
        Outgoing {
            method: req.method(),
            path_and_query,
            headers,
            body,
            keep_status: false,
        }
    }
}

impl Upstream {
    pub fn from_env(env: &Env) -> Option<Upstream> {
        let base = setting(env, "UPSTREAM_URL")?;
        let timeout = setting(env, "UPSTREAM_TIMEOUT_MS")
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_TIMEOUT_MS);
        Some(Upstream {
            base: base.trim_end_matches('/').to_string(),
            timeout: Duration::from_millis(timeout),
        })
    }

    /// Sends `out` upstream and returns its answer: 2xx as it came, anything else in the shared error shape.
    pub async fn forward(&self, out: &Outgoing) -> ApiResult<Response> {
        let attempts = if out.method == Method::Get { 2 } else { 1 };
        let mut last = ApiError::new(
            ErrorCode::UpstreamUnavailable,
            "The booking service could not be reached",
        );
        for _ in 0..attempts {
            match self.send(out).await {
                Ok(response) => return translate(response, out.keep_status).await,
                Err(e) if e.code == ErrorCode::UpstreamTimeout => return Err(e),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    async fn send(&self, out: &Outgoing) -> ApiResult<Response> {
        let headers = Headers::new();
        for (k, v) in &out.headers {
            let _ = headers.set(k, v);
        }
        let body = out
            .body
            .as_ref()
            .map(|body| js_sys::Uint8Array::from(body.as_slice()).into());
        let url = format!("{}{}", self.base, out.path_and_query);
        let request = crate::http::outgoing(&url, out.method.clone(), &headers, body, true);
        match fetch_within(request, self.timeout).await {
            Ok(response) => Ok(response),
            Err(Unanswered::Unreachable(e)) => {
                worker::console_error!(
                    "{}",
                    serde_json::json!({"upstream": out.path_and_query, "network_error": e})
                );
                Err(ApiError::new(
                    ErrorCode::UpstreamUnavailable,
                    "The booking service could not be reached",
                ))
            }
            Err(Unanswered::TimedOut) => Err(ApiError::new(
                ErrorCode::UpstreamTimeout,
                "The booking service did not answer in time",
            )),
        }
    }
}

/// A public booking call in proxy mode: validated here like in built-in mode, then forwarded as received.
/// Reserves with an Idempotency-Key are de-duplicated here too, in the organisation's Durable Object.
pub async fn public(
    mut req: Incoming,
    env: &Env,
    upstream: &Upstream,
    flow: &Flow,
    call: &PublicCall,
    url: &RequestUrl,
    request_id: &str,
) -> ApiResult<Response> {
    let by_org = matches!(flow, Flow::Organisation(_));
    let pairs = url.query_pairs();
    let query = Query::new(&pairs);
    let body = match call {
        PublicCall::Catalog => {
            return cached_catalog(
                upstream,
                &Outgoing::from_request(&req, url.path_and_query(), None, request_id),
            )
            .await;
        }
        PublicCall::Availability => {
            validate::availability_query(&query, by_org)?;
            None
        }
        PublicCall::Month => {
            validate::month_query(&query, by_org)?;
            None
        }
        PublicCall::CheckoutStatus => {
            query.required_string("sessionId")?;
            None
        }
        PublicCall::Reserve => {
            let key = req.header(idempotency::HEADER);
            let (body, value) = json_body(&mut req, slotbook_core::route::BODY_LIMIT).await?;
            let request = validate::reserve_request(&value, by_org)?;
            let out = Outgoing::from_request(&req, url.path_and_query(), Some(body), request_id);
            return match key {
                Some(key) => reserve_once(env, upstream, flow, key, &request, &out).await,
                None => upstream.forward(&out).await,
            };
        }
    };
    upstream
        .forward(&Outgoing::from_request(&req, url.path_and_query(), body, request_id))
        .await
}

/// How long the edge keeps an upstream catalog (services and prices change rarely; slots are never cached).
const CATALOG_CACHE_SECONDS: u32 = 60;

/// The catalog from the edge's cache (Cache API) when fresh, else from the upstream, then kept briefly.
async fn cached_catalog(upstream: &Upstream, out: &Outgoing) -> ApiResult<Response> {
    let cache = Cache::default();
    let key = format!("{}{}", upstream.base, out.path_and_query);
    if let Ok(Some(hit)) = cache.get(key.as_str(), false).await {
        if let Ok(body) = crate::http::body_bytes(hit).await {
            return catalog_answer(body, "HIT");
        }
    }
    let fresh = upstream.forward(out).await?;
    let body = crate::http::body_bytes(fresh)
        .await
        .map_err(|e| internal("upstream catalog", e))?;
    let mut kept = catalog_answer(body.clone(), "MISS")?;
    if let Ok(copy) = kept.cloned() {
        if let Err(e) = cache.put(key.as_str(), copy).await {
            worker::console_error!("catalog cache put failed: {e}");
        }
    }
    Ok(kept)
}

/// A fresh response (cached ones have immutable headers, and the gateway adds its own).
fn catalog_answer(body: Vec<u8>, cache: &str) -> ApiResult<Response> {
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json");
    let _ = headers.set("Cache-Control", &format!("public, max-age={CATALOG_CACHE_SECONDS}"));
    let _ = headers.set("X-Cache", cache);
    Ok(Response::from_bytes(body)
        .map_err(|e| internal("catalog answer", e))?
        .with_headers(headers))
}

/// Forwards a reserve once per Idempotency-Key: the same key and request get the kept answer again.
async fn reserve_once(
    env: &Env,
    upstream: &Upstream,
    flow: &Flow,
    key: String,
    request: &ReserveRequest,
    out: &Outgoing,
) -> ApiResult<Response> {
    idempotency::check_key(&key)?;
    let canonical = serde_json::to_value(request).map_err(|e| internal("fingerprint", e))?;
    // Keys are scoped to the organisation (or to the booking link in the token flow).
    let scope = match flow {
        Flow::Organisation(slug) => slug.clone(),
        Flow::Token(token) => format!("token-{}", &sha256_hex(token.as_bytes())[..32]),
    };
    let (bucket, key) = (idempotency_bucket(&scope), format!("{scope}:{key}"));
    let claim = Command::ClaimIdempotencyKey {
        key: IdempotencyKey {
            key: key.clone(),
            fingerprint: fingerprint(&canonical),
        },
    };
    let claimed = engine::call(env, ORGANISATIONS, &bucket, &claim).await?;
    if claimed.replayed {
        return crate::http::replayable_json(claimed.status, claimed.body, true);
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ClaimAnswer {
        claim_id: String,
    }
    let claim_id = from_json::<ClaimAnswer>(&claimed.body)
        .map_err(|e| internal("claim", e))?
        .claim_id;
    let result = upstream.forward(out).await;
    let (kept, response) = match result {
        Ok(response) => {
            let status = response.status_code();
            let body = crate::http::body_text(response)
                .await
                .map_err(|e| internal("upstream answer", e))?;
            (Some((status, body.clone())), crate::http::raw_json(status, body))
        }
        Err(e) => (idempotency_answer(&e), Err(e)),
    };
    engine::call(
        env,
        ORGANISATIONS,
        &bucket,
        &Command::FinishIdempotencyKey {
            key,
            claim_id,
            answer: kept,
        },
    )
    .await?;
    response
}

/// How many objects keep proxy mode's Idempotency-Keys. Slugs and booking tokens are the client's to make
/// up, and the upstream's organisations are not known here: an object per name would let anyone create
/// storage without end, so each scope's keys go to one of a fixed set of objects, by the scope's hash.
const IDEMPOTENCY_BUCKETS: u32 = 32;

/// The object a scope's keys are kept in (`~` is in no slug, so no organisation shares its name): the
/// scope's digest, its first hex digits read as a number, in one of the buckets.
fn idempotency_bucket(scope: &str) -> String {
    let n = sha256_hex(scope.as_bytes())
        .bytes()
        .take(6)
        .fold(0u32, |n, b| n * 16 + (b as char).to_digit(16).unwrap_or(0));
    format!("~idempotency-{}", n % IDEMPOTENCY_BUCKETS)
}

/// A staff call in proxy mode: the body checked against the DTO, the Authorization header passed on.
pub async fn staff(
    mut req: Incoming,
    upstream: &Upstream,
    call: &StaffCall,
    url: &RequestUrl,
    request_id: &str,
) -> ApiResult<Response> {
    let body = match call {
        StaffCall::Create | StaffCall::Update(_) => {
            let (body, value) = json_body(&mut req, slotbook_core::route::BODY_LIMIT).await?;
            validate::reservation_changes(&value, matches!(call, StaffCall::Create))?;
            Some(body)
        }
        StaffCall::List => {
            let pairs = url.query_pairs();
            validate::reservation_filter(&Query::new(&pairs))?;
            None
        }
        StaffCall::Get(_) | StaffCall::Delete(_) => None,
        // Webhooks out belong to the built-in engine; a venue's backend sends its own.
        StaffCall::Deliveries => {
            return Err(ApiError::new(
                ErrorCode::ResourceNotFound,
                "Webhook deliveries are kept by the venue's booking system",
            ))
        }
    };
    upstream
        .forward(&Outgoing::from_request(&req, url.path_and_query(), body, request_id))
        .await
}

/// An upstream answer in our terms. Errors already in the shared shape keep their code and message;
/// others (such as NestJS's `{"statusCode","message","error"}`) are mapped by status.
async fn translate(response: Response, keep_status: bool) -> ApiResult<Response> {
    let status = response.status_code();
    if (200..300).contains(&status) {
        // Streamed through as it comes: the body never enters the wasm (the answer's headers are the
        // upstream's, which cannot be changed, so a new answer carries the body with ours).
        let headers = Headers::new();
        let content_type = response
            .headers()
            .get("Content-Type")
            .ok()
            .flatten()
            .unwrap_or_else(|| "application/json".into());
        let _ = headers.set("Content-Type", &content_type);
        let (_, body) = response.into_parts();
        return Ok(Response::from_body(body)
            .map_err(|e| internal("upstream answer", e))?
            .with_status(status)
            .with_headers(headers));
    }
    let retry_after = crate::http::retry_after(&response);
    let body = crate::http::body_bytes(response)
        .await
        .map_err(|_| ApiError::new(ErrorCode::UpstreamUnavailable, "The booking service answer was cut off"))?;
    let text = String::from_utf8_lossy(&body);
    if let Ok(shared) = from_json::<ErrorBody>(&text) {
        let mut e: ApiError = shared.error.into();
        e.status = Some(status).filter(|_| keep_status || status < 500);
        return Err(e);
    }
    let upstream_message = from_json::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| match &v["message"] {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Array(items) => {
                Some(items.iter().filter_map(|i| i.as_str()).collect::<Vec<_>>().join("; "))
            }
            _ => None,
        });
    let mut e = match status {
        400 | 422 => ApiError::new(
            ErrorCode::ValidationError,
            upstream_message.unwrap_or_else(|| "The booking service rejected the request".into()),
        ),
        401 => ApiError::new(ErrorCode::InvalidApiKey, "The API key is missing or invalid"),
        403 => ApiError::new(ErrorCode::AccountDisabled, "The booking service refused the request"),
        404 => ApiError::not_found("The requested booking resource"),
        409 => ApiError::new(
            ErrorCode::SlotUnavailable,
            upstream_message.unwrap_or_else(|| "This time is no longer available".into()),
        ),
        429 => ApiError::new(ErrorCode::RateLimited, "Too many requests; try again shortly")
            .with_retry_after(retry_after.unwrap_or(10)),
        _ => ApiError::new(ErrorCode::UpstreamUnavailable, "The booking service failed to answer"),
    };
    if keep_status {
        e.status = Some(status);
    }
    Err(e)
}
