//! Stripe's REST API, as the built-in engine uses it: create a Checkout Session, expire one, read one.
//! The base URL is configurable (`STRIPE_API_BASE`) so tests can point it at a local server that speaks
//! Stripe's wire format.

use crate::http::internal;
use crate::runtime::setting;
use serde::Deserialize;
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use slotbook_core::stripe::{form_encode, CheckoutRequest};
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

const DEFAULT_BASE: &str = "https://api.stripe.com";

pub struct Stripe {
    key: String,
    base: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Session {
    pub id: String,
    #[serde(default)]
    pub url: Option<String>,
    /// `open`, `complete` or `expired`.
    pub status: String,
    /// `paid`, `unpaid` or `no_payment_required`.
    pub payment_status: String,
}

impl Session {
    pub fn is_paid(&self) -> bool {
        self.status == "complete" && matches!(self.payment_status.as_str(), "paid" | "no_payment_required")
    }
}

impl Stripe {
    /// The client, when a Stripe key is configured; `None` means the local test checkout is used.
    pub fn from_env(env: &Env) -> Option<Stripe> {
        let key = setting(env, "STRIPE_SECRET_KEY")?;
        let base = setting(env, "STRIPE_API_BASE").unwrap_or_else(|| DEFAULT_BASE.to_string());
        Some(Stripe { key, base: base.trim_end_matches('/').to_string() })
    }

    pub async fn create_checkout(&self, request: &CheckoutRequest<'_>) -> ApiResult<Session> {
        let body = form_encode(&request.form());
        self.send(Method::Post, "/v1/checkout/sessions", Some(body), Some(&request.idempotency_key())).await
    }

    pub async fn expire(&self, session_id: &str) -> ApiResult<Session> {
        self.send(Method::Post, &format!("/v1/checkout/sessions/{session_id}/expire"), Some(String::new()), None).await
    }

    pub async fn retrieve(&self, session_id: &str) -> ApiResult<Session> {
        self.send(Method::Get, &format!("/v1/checkout/sessions/{session_id}"), None, None).await
    }

    async fn send(&self, method: Method, path: &str, body: Option<String>, idempotency_key: Option<&str>) -> ApiResult<Session> {
        let headers = Headers::new();
        let _ = headers.set("Authorization", &format!("Bearer {}", self.key));
        if let Some(key) = idempotency_key {
            let _ = headers.set("Idempotency-Key", key);
        }
        let mut init = RequestInit::new();
        if let Some(body) = body {
            let _ = headers.set("Content-Type", "application/x-www-form-urlencoded");
            init.with_body(Some(body.into()));
        }
        init.with_method(method).with_headers(headers);
        let request = Request::new_with_init(&format!("{}{path}", self.base), &init).map_err(|e| internal("stripe request", e))?;
        let mut response = Fetch::Request(request).send().await.map_err(|e| {
            worker::console_error!("{{\"stripe\":{:?},\"network_error\":{:?}}}", path, e.to_string());
            ApiError::new(ErrorCode::UpstreamUnavailable, "The payment provider could not be reached. Please try again.")
        })?;
        let status = response.status_code();
        let text = response.text().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            worker::console_error!("{{\"stripe\":{:?},\"status\":{},\"body\":{:?}}}", path, status, text);
            return Err(ApiError::new(ErrorCode::UpstreamUnavailable, "The payment provider refused the request. Please try again."));
        }
        serde_json::from_str(&text).map_err(|e| internal("stripe answer", e))
    }
}
