//! Bardge's reseller API over HTTP (its shapes and rules are core's `bardge` module): reads through the Cache
//! API for a short while, so a busy page costs the reseller's quota little; booking calls with their
//! Idempotency-Key, never cached. Every failure is logged with Bardge's request id, never with the API key.
//! `BARDGE_API_URL` points the edge at another base (tests, the demo's stand-in).

use crate::http::{fetch_within, from_json, outgoing, Unanswered};
use crate::runtime::setting;
use slotbook_core::bardge::{self, wire::ErrorDetail, REQUEST_ID_HEADER};
use slotbook_core::digest::sha256_hex;
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use wasm_bindgen::JsValue;
use worker::{Cache, Env, Headers, Method, Response};

/// A booking call not answered by then is given up: the widget waits 15 s for a reserve.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub struct Bardge {
    base: String,
    key: String,
}

/// A booking call's outcome: Bardge's status and body (`None`: no answer came), with its error when it
/// refused.
pub struct Reply {
    pub status: Option<u16>,
    pub body: String,
    pub error: Option<bardge::wire::ErrorDetail>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// What the customer is told of a refusal or a silence.
    pub fn customer_error(&self) -> ApiError {
        match (self.status, &self.error) {
            (None, _) => ApiError::new(
                ErrorCode::UpstreamTimeout,
                "The booking service did not answer in time. Please try again.",
            ),
            (Some(status), Some(e)) => bardge::customer_error(status, &e.kind, &e.code, &e.message),
            (Some(status), None) => bardge::customer_error(status, "", "", ""),
        }
    }
}

impl Bardge {
    pub fn new(env: &Env, key: String) -> Bardge {
        let base = setting(env, "BARDGE_API_URL").unwrap_or_else(|| bardge::PRODUCTION_URL.to_string());
        Bardge {
            base: base.trim_end_matches('/').to_string(),
            key,
        }
    }

    /// A GET answer's text, from the cache when Bardge was asked less than `ttl` seconds ago. The cache key
    /// holds a digest of the API key, so two resellers never share an answer.
    pub async fn read(&self, path: &str, ttl: u32) -> ApiResult<String> {
        let cache = Cache::default();
        let cache_key = format!(
            "https://bardge.cache/{}{path}",
            &sha256_hex(format!("{}\n{}", self.base, self.key).as_bytes())[..24]
        );
        if let Ok(Some(hit)) = cache.get(cache_key.as_str(), false).await {
            if let Ok(text) = crate::http::body_text(hit).await {
                return Ok(text);
            }
        }
        let reply = self.send(Method::Get, path, None, None).await?;
        if !reply.ok() {
            return Err(reply.customer_error());
        }
        let headers = Headers::new();
        let _ = headers.set("Cache-Control", &format!("max-age={ttl}"));
        let _ = headers.set("Content-Type", "application/json");
        if let Ok(copy) = Response::ok(reply.body.clone()).map(|r| r.with_headers(headers)) {
            if let Err(e) = cache.put(cache_key.as_str(), copy).await {
                worker::console_error!("bardge cache: {e}");
            }
        }
        Ok(reply.body)
    }

    /// A booking call (initiate, confirm, cancel) with its Idempotency-Key.
    pub async fn post(&self, path: &str, body: Option<String>, idempotency_key: Option<&str>) -> ApiResult<Reply> {
        self.send(Method::Post, path, body, idempotency_key).await
    }

    /// One call. Not generic: one copy in the Worker.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        idempotency_key: Option<&str>,
    ) -> ApiResult<Reply> {
        let headers = Headers::new();
        let _ = headers.set("Authorization", &format!("Bearer {}", self.key));
        if let Some(key) = idempotency_key {
            let _ = headers.set("Idempotency-Key", key);
        }
        if body.is_some() {
            let _ = headers.set("Content-Type", "application/json");
        }
        let body = body.map(JsValue::from);
        let request = outgoing(&format!("{}{path}", self.base), method, &headers, body, true);
        let response = match fetch_within(request, TIMEOUT).await {
            Ok(r) => r,
            Err(e) => {
                let what = match e {
                    Unanswered::TimedOut => "timed out".to_string(),
                    Unanswered::Unreachable(error) => error,
                };
                worker::console_error!("{}", serde_json::json!({"bardge": path, "network_error": what}));
                return Ok(Reply {
                    status: None,
                    body: String::new(),
                    error: None,
                });
            }
        };
        let status = response.status_code();
        let header_id = response.headers().get(REQUEST_ID_HEADER).ok().flatten();
        let body = crate::http::body_text(response).await.unwrap_or_default();
        let error = if (200..300).contains(&status) {
            None
        } else {
            let e = from_json::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| ErrorDetail::read(&v));
            worker::console_error!(
                "{}",
                serde_json::json!({"bardge": path, "status": status, "type": e.as_ref().map(|e| &e.kind),
                    "code": e.as_ref().map(|e| &e.code), "request_id": e.as_ref().map(|e| &e.request_id),
                    "bardge_request_id": header_id})
            );
            // An error without Bardge's shape (a proxy's page) is read by its status alone.
            Some(e.unwrap_or_default())
        };
        Ok(Reply {
            status: Some(status),
            body,
            error,
        })
    }
}
