//! A stand-in for Stripe's API (which cannot run here), speaking its wire format: form-encoded requests,
//! Checkout Session and Refund objects, `{"error": {...}}` answers. It refuses what Stripe's live API
//! refuses for the calls the edge makes: a key that is not a secret key (test or live), a malformed `Stripe-Version`,
//! parameters the endpoint does not have, missing required ones, an `expires_at` outside 30 minutes to
//! 24 hours from the session's creation, a currency it does not charge in, a total below the currency's
//! minimum charge or above eight digits, an Idempotency-Key reused with other parameters, a refund of a
//! payment that is not paid or already refunded. It keeps Stripe's idempotency rules: once an endpoint has
//! begun (its parameters were valid), the first answer to a key is saved, whatever it was, a 500 included,
//! and given again to every retry with that key. It records every request so tests can check them field by
//! field, and lets a test play the customer who pays on Stripe's page.

use crate::booking::now;
use crate::double::{Recorded, Server};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The parameters of `POST /v1/checkout/sessions` the edge may send (Stripe has more; these are all real).
const SESSION_PARAMS: &[&str] = &[
    "mode",
    "line_items[0][price_data][currency]",
    "line_items[0][price_data][unit_amount]",
    "line_items[0][price_data][product_data][name]",
    "line_items[0][quantity]",
    "customer_email",
    "client_reference_id",
    "metadata[reservation_id]",
    "metadata[organisation]",
    "payment_intent_data[metadata][reservation_id]",
    "payment_intent_data[metadata][organisation]",
    "success_url",
    "cancel_url",
    "expires_at",
    "locale",
];
const SESSION_REQUIRED: &[&str] = &["mode", "success_url", "line_items[0][quantity]"];
/// Currencies Stripe charges in, with its minimum charge (a few of its 135; enough for the tests).
const CURRENCIES: &[(&str, i64)] = &[("eur", 50), ("gbp", 30), ("huf", 17_500), ("usd", 50)];
const REFUND_PARAMS: &[&str] = &[
    "payment_intent",
    "amount",
    "reason",
    "metadata[reservation_id]",
    "metadata[organisation]",
];

#[derive(Default)]
struct State {
    sessions: HashMap<String, Value>,
    refunds: HashMap<String, Value>,
    /// Idempotency-Key → (request body, the saved answer's status and body).
    by_idempotency_key: HashMap<String, (String, u16, Value)>,
    /// How many more refunds fail on Stripe's side (500).
    failing_refunds: u32,
    /// How many more refunds are made but their answer never reaches the caller (the connection drops).
    lost_refund_answers: u32,
    /// Sessions every call about fails on Stripe's side (500), as for an outage of one shard.
    failing_sessions: std::collections::HashSet<String>,
}

/// A status the recording server answers by closing the connection without a word.
const DROP_CONNECTION: u16 = 0;

#[derive(Clone)]
pub struct StripeDouble {
    pub base: String,
    server: Server,
    state: Arc<Mutex<State>>,
    create_delay_ms: Arc<AtomicU64>,
}

impl StripeDouble {
    pub fn start() -> StripeDouble {
        let state = Arc::new(Mutex::new(State::default()));
        let create_delay_ms = Arc::new(AtomicU64::new(0));
        let (shared, delay) = (state.clone(), create_delay_ms.clone());
        let server = Server::start(move |r: &Recorded| {
            if r.path == "/v1/checkout/sessions" {
                std::thread::sleep(std::time::Duration::from_millis(delay.load(Ordering::SeqCst)));
            }
            let (status, body) = answer(&mut shared.lock().unwrap(), r);
            (status, body.to_string())
        });
        StripeDouble {
            base: server.base.clone(),
            server,
            state,
            create_delay_ms,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }

    /// Makes session creation slow, as Stripe sometimes is.
    pub fn slow_down_creates(&self, ms: u64) {
        self.create_delay_ms.store(ms, Ordering::SeqCst);
    }

    /// The customer pays on Stripe's page (no webhook is sent). Returns the payment's id.
    pub fn complete(&self, session_id: &str) -> String {
        self.set(session_id, "complete", "paid")
    }

    /// The customer chose a delayed payment method: the session is complete, the money not there yet.
    pub fn complete_unpaid(&self, session_id: &str) -> String {
        self.set(session_id, "complete", "unpaid")
    }

    /// The refunds made, by payment intent.
    pub fn refunds(&self) -> Vec<Value> {
        self.state.lock().unwrap().refunds.values().cloned().collect()
    }

    /// Stripe no longer knows the session, as after a switch from a test key to a live one.
    pub fn forget_session(&self, session_id: &str) {
        self.state.lock().unwrap().sessions.remove(session_id);
    }

    /// The venue refunds a payment itself, in Stripe's Dashboard.
    pub fn refund_from_dashboard(&self, intent: &str) {
        let mut state = self.state.lock().unwrap();
        let id = format!("re_dashboard_{}", state.refunds.len() + 1);
        state.refunds.insert(
            intent.to_string(),
            json!({"id": id, "object": "refund", "payment_intent": intent, "status": "succeeded"}),
        );
    }

    /// The next `n` refunds fail on Stripe's side, as its API sometimes does.
    pub fn fail_refunds(&self, n: u32) {
        self.state.lock().unwrap().failing_refunds = n;
    }

    /// Every call about this session fails on Stripe's side (500) from now on.
    pub fn fail_session(&self, session_id: &str) {
        self.state
            .lock()
            .unwrap()
            .failing_sessions
            .insert(session_id.to_string());
    }

    /// Calls about this session work again.
    pub fn heal_session(&self, session_id: &str) {
        self.state.lock().unwrap().failing_sessions.remove(session_id);
    }

    /// The next `n` refunds are made, but their answer is lost on the way back (the connection drops).
    pub fn lose_refund_answers(&self, n: u32) {
        self.state.lock().unwrap().lost_refund_answers = n;
    }

    pub fn session(&self, session_id: &str) -> Value {
        self.state.lock().unwrap().sessions[session_id].clone()
    }

    fn set(&self, session_id: &str, status: &str, payment_status: &str) -> String {
        let mut state = self.state.lock().unwrap();
        let s = state.sessions.get_mut(session_id).expect("known session");
        let intent = format!("pi_double_{}", session_id.trim_start_matches("cs_test_double_"));
        s["status"] = json!(status);
        s["payment_status"] = json!(payment_status);
        s["payment_intent"] = json!(intent);
        intent
    }
}

fn error(status: u16, kind: &str, message: &str, param: Option<&str>) -> (u16, Value) {
    let mut e = json!({"type": kind, "message": message});
    if let Some(p) = param {
        e["param"] = json!(p);
    }
    (status, json!({ "error": e }))
}

fn answer(st: &mut State, r: &Recorded) -> (u16, Value) {
    let headers = &r.headers;
    if headers
        .get("authorization")
        .is_none_or(|a| !a.starts_with("Bearer sk_test_") && !a.starts_with("Bearer sk_live_"))
    {
        return error(401, "invalid_request_error", "Invalid API Key provided", None);
    }
    // Stripe-Version is a date and a release name, e.g. 2026-02-25.clover; anything else is refused.
    if let Some(v) = headers.get("stripe-version") {
        let (date, name) = v.split_once('.').unwrap_or((v, ""));
        let date_ok = date.len() == 10
            && date.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !date_ok || name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase()) {
            return error(
                400,
                "invalid_request_error",
                &format!("Invalid Stripe API version: {v}"),
                None,
            );
        }
    }
    let form = r.form();
    let key = headers.get("idempotency-key").cloned();
    if let Some(k) = &key {
        if let Some((body, status, kept)) = st.by_idempotency_key.get(k) {
            if *body != r.text() {
                return error(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                    None,
                );
            }
            return (*status, kept.clone());
        }
    }
    let segments: Vec<&str> = r
        .path
        .split('?')
        .next()
        .unwrap_or_default()
        .trim_start_matches('/')
        .split('/')
        .collect();
    if let ["v1", "checkout", "sessions", id, ..] = segments.as_slice() {
        if st.failing_sessions.contains(*id) {
            return error(500, "api_error", "An unknown error occurred", None);
        }
    }
    // Parameters that fail validation: the endpoint never begins, and nothing is saved for the key.
    let params = match (r.method.as_str(), segments.as_slice()) {
        ("POST", ["v1", "checkout", "sessions"]) => unknown_param(&form, SESSION_PARAMS),
        ("POST", ["v1", "refunds"]) => unknown_param(&form, REFUND_PARAMS),
        _ => None,
    };
    if let Some(refused) = params {
        return refused;
    }
    let mut lost = false;
    let result = match (r.method.as_str(), segments.as_slice()) {
        ("POST", ["v1", "checkout", "sessions"]) => create_session(st, &form),
        ("POST", ["v1", "checkout", "sessions", id, "expire"]) => match st.sessions.get_mut(*id) {
            Some(s) if s["status"] == "open" => {
                s["status"] = json!("expired");
                (200, s.clone())
            }
            Some(_) => error(
                400,
                "invalid_request_error",
                "Only Checkout Sessions with a status in [\"open\"] can be expired.",
                None,
            ),
            None => no_such_session(id),
        },
        ("GET", ["v1", "checkout", "sessions", id]) => match st.sessions.get(*id) {
            Some(s) => (200, s.clone()),
            None => no_such_session(id),
        },
        ("POST", ["v1", "refunds"]) => {
            let made = refund(st, &form);
            if made.0 == 200 && st.lost_refund_answers > 0 {
                st.lost_refund_answers -= 1;
                lost = true;
            }
            made
        }
        ("GET", ["v1", "refunds"]) => list_refunds(st, r),
        _ => error(
            404,
            "invalid_request_error",
            &format!("Unrecognized request URL ({} /{}).", r.method, segments.join("/")),
            None,
        ),
    };
    if let Some(k) = key {
        st.by_idempotency_key.insert(k, (r.text(), result.0, result.1.clone()));
    }
    if lost {
        return (DROP_CONNECTION, Value::Null);
    }
    result
}

/// `GET /v1/refunds?payment_intent=…`: the payment's refunds, newest first, as Stripe lists them.
fn list_refunds(st: &State, r: &Recorded) -> (u16, Value) {
    let query = r.path.split_once('?').map_or("", |(_, q)| q);
    let pairs = crate::double::parse_form(query);
    if let Some((k, _)) = pairs
        .iter()
        .find(|(k, _)| !["payment_intent", "limit", "charge"].contains(&k.as_str()))
    {
        return error(
            400,
            "invalid_request_error",
            &format!("Received unknown parameter: {k}"),
            Some(k),
        );
    }
    let intent = pairs
        .iter()
        .find(|(k, _)| k == "payment_intent")
        .map(|(_, v)| v.as_str());
    let data: Vec<Value> = st
        .refunds
        .values()
        .filter(|refund| intent.is_none_or(|i| refund["payment_intent"] == i))
        .cloned()
        .collect();
    (
        200,
        json!({"object": "list", "url": "/v1/refunds", "has_more": false, "data": data}),
    )
}

fn no_such_session(id: &str) -> (u16, Value) {
    coded(
        error(
            404,
            "invalid_request_error",
            &format!("No such checkout.session: '{id}'"),
            Some("session"),
        ),
        "resource_missing",
    )
}

/// An error answer with Stripe's `code` for it.
fn coded((status, mut body): (u16, Value), code: &str) -> (u16, Value) {
    body["error"]["code"] = json!(code);
    (status, body)
}

fn unknown_param(form: &[(String, String)], known: &[&str]) -> Option<(u16, Value)> {
    form.iter().find(|(k, _)| !known.contains(&k.as_str())).map(|(k, _)| {
        error(
            400,
            "invalid_request_error",
            &format!("Received unknown parameter: {k}"),
            Some(k),
        )
    })
}

fn create_session(st: &mut State, form: &[(String, String)]) -> (u16, Value) {
    if let Some(refused) = unknown_param(form, SESSION_PARAMS) {
        return refused;
    }
    let get = |k: &str| form.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone());
    if let Some(missing) = SESSION_REQUIRED.iter().find(|k| get(k).is_none()) {
        return error(
            400,
            "invalid_request_error",
            &format!("Missing required param: {missing}."),
            Some(missing),
        );
    }
    // Stripe's messages can quote what was sent, personal data included.
    if let Some(email) = get("customer_email").filter(|e| e.starts_with("refused")) {
        return error(
            400,
            "invalid_request_error",
            &format!("Invalid email address: {email}"),
            Some("customer_email"),
        );
    }
    let currency = get("line_items[0][price_data][currency]").unwrap_or_default();
    let Some((_, minimum)) = CURRENCIES.iter().find(|(c, _)| *c == currency) else {
        return error(
            400,
            "invalid_request_error",
            &format!("Invalid currency: {currency}."),
            Some("line_items[0][price_data][currency]"),
        );
    };
    let number = |k: &str| get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let total = number("line_items[0][price_data][unit_amount]").saturating_mul(number("line_items[0][quantity]"));
    if total < *minimum {
        return coded(
            error(
                400,
                "invalid_request_error",
                &format!("The Checkout Session's total amount due must add up to at least {minimum} {currency}"),
                None,
            ),
            "amount_too_small",
        );
    }
    if total > 99_999_999 {
        return coded(
            error(
                400,
                "invalid_request_error",
                "The Checkout Session's total amount due must be no more than 99999999",
                None,
            ),
            "amount_too_large",
        );
    }
    let created = now();
    if let Some(expires_at) = get("expires_at") {
        let Ok(at) = expires_at.parse::<i64>() else {
            return error(
                400,
                "invalid_request_error",
                "Invalid integer: expires_at",
                Some("expires_at"),
            );
        };
        if at < created + 1800 || at > created + 86_400 {
            return error(400, "invalid_request_error",
                "The `expires_at` timestamp must be between 30 minutes and 24 hours after the Checkout Session is created.",
                Some("expires_at"));
        }
    }
    let id = format!("cs_test_double_{}", st.sessions.len() + 1);
    let session = json!({
        "id": id, "object": "checkout.session", "mode": get("mode"), "status": "open", "payment_status": "unpaid",
        "url": format!("https://checkout.stripe.com/c/pay/{id}"), "client_reference_id": get("client_reference_id"),
        "created": created, "expires_at": get("expires_at").and_then(|v| v.parse::<i64>().ok()).unwrap_or(created + 86_400),
        "payment_intent": null,
        "metadata": {"reservation_id": get("metadata[reservation_id]"), "organisation": get("metadata[organisation]")},
    });
    st.sessions.insert(id, session.clone());
    (200, session)
}

fn refund(st: &mut State, form: &[(String, String)]) -> (u16, Value) {
    if let Some(refused) = unknown_param(form, REFUND_PARAMS) {
        return refused;
    }
    let get = |k: &str| form.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone());
    if let Some(reason) = get("reason") {
        if !["duplicate", "fraudulent", "requested_by_customer"].contains(&reason.as_str()) {
            return error(
                400,
                "invalid_request_error",
                &format!("Invalid reason: {reason}"),
                Some("reason"),
            );
        }
    }
    let Some(intent) = get("payment_intent") else {
        return error(
            400,
            "invalid_request_error",
            "One of the following params should be provided for this request: payment_intent or charge.",
            None,
        );
    };
    let paid = st
        .sessions
        .values()
        .any(|s| s["payment_intent"] == intent.as_str() && s["payment_status"] == "paid");
    if !paid {
        return error(
            400,
            "invalid_request_error",
            &format!("No such payment_intent: '{intent}'"),
            Some("payment_intent"),
        );
    }
    if st.refunds.contains_key(&intent) {
        return coded(
            error(
                400,
                "invalid_request_error",
                &format!("Charge for payment intent {intent} has already been refunded."),
                None,
            ),
            "charge_already_refunded",
        );
    }
    if st.failing_refunds > 0 {
        st.failing_refunds -= 1;
        return error(500, "api_error", "An unknown error occurred", None);
    }
    let refund = json!({"id": format!("re_double_{}", st.refunds.len() + 1), "object": "refund", "payment_intent": intent,
        "status": "succeeded", "reason": get("reason"), "metadata": {"reservation_id": get("metadata[reservation_id]")}});
    st.refunds.insert(intent, refund.clone());
    (200, refund)
}
