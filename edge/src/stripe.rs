//! Stripe's REST API, as the built-in engine uses it: create a Checkout Session, expire one, read one,
//! refund a payment. Every call names the pinned API version. A refused Checkout Session says what it means
//! for the customer; a session Stripe does not know and a payment it has refunded already are answers, not
//! failures. The base URL is configurable
//! (`STRIPE_API_BASE`) so tests can point it at a local server that speaks Stripe's wire format.

use crate::http::{fetch_within, internal, outgoing, Unanswered};
use crate::runtime::setting;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use slotbook_core::stripe::{form_encode, CheckoutRequest, PaymentsMode, RefundRequest, API_VERSION};
use wasm_bindgen::JsValue;
use worker::{Env, Headers, Method};

const DEFAULT_BASE: &str = "https://api.stripe.com";

/// A Stripe call that has not answered by then is given up (504 `upstream_timeout`), before the widget gives
/// up on the reserve (15 s), so the customer sees why and can try again. A session Stripe still creates for an
/// abandoned call belongs to a hold already released; its URL was never shown, and it expires on its own.
const STRIPE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How this edge takes payments, from its settings (fails closed; see [`PaymentsMode`]).
pub fn payments_mode(env: &Env) -> PaymentsMode {
    PaymentsMode::from_settings(
        setting(env, "STRIPE_SECRET_KEY").as_deref(),
        setting(env, "STRIPE_WEBHOOK_SECRET").as_deref(),
        setting(env, "TEST_CHECKOUT").as_deref(),
    )
}

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
    /// The payment's id once the customer paid (what a refund names).
    #[serde(default)]
    pub payment_intent: Option<String>,
}

impl Session {
    pub fn is_paid(&self) -> bool {
        self.status == "complete" && matches!(self.payment_status.as_str(), "paid" | "no_payment_required")
    }
}

/// A Refund object's id (read as plain JSON, like the refunds list: no type of its own in the Worker).
fn refund_id(refund: &serde_json::Value) -> Option<String> {
    refund["id"].as_str().map(str::to_string)
}

/// The parts of Stripe's error body that are safe to log (its message can quote the customer's email).
#[derive(Deserialize, Default)]
struct StripeError {
    #[serde(default)]
    r#type: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    param: Option<String>,
}

impl Stripe {
    /// The client, when payments go through Stripe (a key and a webhook secret are set).
    pub fn from_env(env: &Env) -> Option<Stripe> {
        if payments_mode(env) != PaymentsMode::Stripe {
            return None;
        }
        let key = setting(env, "STRIPE_SECRET_KEY")?;
        let base = setting(env, "STRIPE_API_BASE").unwrap_or_else(|| DEFAULT_BASE.to_string());
        Some(Stripe {
            key,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    /// A refusal says what it means for the customer (see [`checkout_refusal`]).
    pub async fn create_checkout(&self, request: &CheckoutRequest<'_>) -> ApiResult<Session> {
        let body = form_encode(&request.form());
        self.send(
            Method::Post,
            "/v1/checkout/sessions",
            Some(body),
            Some(&request.idempotency_key()),
        )
        .await
        .map_err(|f| match f {
            Failure::Refused(status, e) => checkout_refusal(status, &e),
            Failure::Unanswered(e) => e,
        })
    }

    pub async fn expire(&self, session_id: &str) -> ApiResult<Session> {
        Ok(self
            .send(
                Method::Post,
                &format!("/v1/checkout/sessions/{session_id}/expire"),
                Some(String::new()),
                None,
            )
            .await?)
    }

    /// The session, or `None` when Stripe does not know it (made with another key: a test session after the
    /// switch to a live key), so it can never be paid.
    pub async fn retrieve(&self, session_id: &str) -> ApiResult<Option<Session>> {
        match self
            .send(Method::Get, &format!("/v1/checkout/sessions/{session_id}"), None, None)
            .await
        {
            Ok(session) => Ok(Some(session)),
            Err(Failure::Refused(404, e)) if e.code.as_deref() == Some("resource_missing") => Ok(None),
            Err(f) => Err(f.into()),
        }
    }

    /// The refund's id, or `None` when Stripe says the payment was refunded already (from its Dashboard, say).
    pub async fn refund(&self, request: &RefundRequest<'_>) -> ApiResult<Option<String>> {
        let body = form_encode(&request.form());
        match self
            .send(
                Method::Post,
                "/v1/refunds",
                Some(body),
                Some(&request.idempotency_key()),
            )
            .await
        {
            Ok(refund) => Ok(refund_id(&refund)),
            Err(Failure::Refused(_, e)) if e.code.as_deref() == Some("charge_already_refunded") => Ok(None),
            Err(f) => Err(f.into()),
        }
    }

    /// The id of a refund this reservation already has (`GET /v1/refunds` of its payment), one that has not
    /// come to nothing: what an earlier attempt may have made, its answer lost. Read as plain JSON: the few
    /// fields it needs are not worth a type of their own in the Worker.
    pub async fn refund_made_for(&self, payment_intent: &str, reservation_id: i64) -> ApiResult<Option<String>> {
        let query = form_encode(&[
            ("payment_intent".into(), payment_intent.into()),
            ("limit".into(), "100".into()),
        ]);
        let list: serde_json::Value = self
            .send(Method::Get, &format!("/v1/refunds?{query}"), None, None)
            .await?;
        let ours = reservation_id.to_string();
        let made = list["data"].as_array().into_iter().flatten().find(|r| {
            r["metadata"]["reservation_id"].as_str() == Some(ours.as_str())
                && !matches!(r["status"].as_str(), Some("failed" | "canceled"))
        });
        Ok(made.and_then(refund_id))
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        idempotency_key: Option<&str>,
    ) -> Result<T, Failure> {
        let text = self.exchange(method, path, body, idempotency_key).await?;
        Ok(crate::http::from_json(&text).map_err(|e| internal("stripe answer", e))?)
    }

    /// One call's answer text (a 2xx), or why there was none. Not generic: one copy of the call in the Worker
    /// however many kinds of answer are read from it.
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        idempotency_key: Option<&str>,
    ) -> Result<String, Failure> {
        let headers = Headers::new();
        let _ = headers.set("Authorization", &format!("Bearer {}", self.key));
        let _ = headers.set("Stripe-Version", API_VERSION);
        if let Some(key) = idempotency_key {
            let _ = headers.set("Idempotency-Key", key);
        }
        if body.is_some() {
            let _ = headers.set("Content-Type", "application/x-www-form-urlencoded");
        }
        let body = body.map(JsValue::from);
        let request = outgoing(&format!("{}{path}", self.base), method, &headers, body, true);
        let response = fetch_within(request, STRIPE_TIMEOUT).await.map_err(|e| {
            let what = match &e {
                Unanswered::TimedOut => "timed out".to_string(),
                Unanswered::Unreachable(error) => error.clone(),
            };
            worker::console_error!("{}", serde_json::json!({"stripe": path, "network_error": what}));
            match e {
                Unanswered::TimedOut => ApiError::new(
                    ErrorCode::UpstreamTimeout,
                    "The payment provider did not answer in time. Please try again.",
                ),
                Unanswered::Unreachable(_) => ApiError::new(
                    ErrorCode::UpstreamUnavailable,
                    "The payment provider could not be reached. Please try again.",
                ),
            }
        })?;
        let status = response.status_code();
        let request_id = response.headers().get("Request-Id").ok().flatten();
        let text = crate::http::body_text(response).await.unwrap_or_default();
        if !(200..300).contains(&status) {
            #[derive(Deserialize)]
            struct Body {
                error: StripeError,
            }
            let e = crate::http::from_json::<Body>(&text)
                .map(|b| b.error)
                .unwrap_or_default();
            worker::console_error!(
                "{}",
                serde_json::json!({"stripe": path, "status": status, "type": e.r#type, "code": e.code, "param": e.param, "stripe_request_id": request_id})
            );
            return Err(Failure::Refused(status, e));
        }
        Ok(text)
    }
}

/// Why a call to Stripe came to nothing: it answered with an error, or the call failed on the way.
enum Failure {
    Refused(u16, StripeError),
    Unanswered(ApiError),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        Failure::Unanswered(e)
    }
}

/// Outside a reserve (expiring, reading, refunding: retried by the alarm) a refusal is the provider's failure.
impl From<Failure> for ApiError {
    fn from(f: Failure) -> ApiError {
        match f {
            Failure::Refused(..) => provider_refused(),
            Failure::Unanswered(e) => e,
        }
    }
}

/// What Stripe's refusal of a Checkout Session means for the customer who is booking: an email address it
/// does not take is theirs to correct (said beside the field); a request it will never take (a key it does
/// not know, an amount or currency it does not charge) means no online payment for this booking, without a
/// "try again"; its own failures, rate limits and concurrent requests may pass on a retry.
fn checkout_refusal(status: u16, e: &StripeError) -> ApiError {
    match (status, e.r#type.as_deref(), e.param.as_deref()) {
        (400, Some("invalid_request_error"), Some("customer_email")) => ApiError::validation(
            "customerEmail",
            "The payment provider does not accept this email address; please check it",
        ),
        (400..=404, Some("invalid_request_error"), _) => ApiError::new(
            ErrorCode::PaymentsUnavailable,
            "This booking cannot be paid online right now; please contact the venue",
        ),
        _ => provider_refused(),
    }
}

fn provider_refused() -> ApiError {
    ApiError::new(
        ErrorCode::UpstreamUnavailable,
        "The payment provider refused the request. Please try again.",
    )
}
