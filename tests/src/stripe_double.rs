//! A stand-in for Stripe's API (which cannot run here), speaking its wire format: form-encoded requests,
//! Checkout Session objects, `{"error": {...}}` answers. It records every request so tests can check them
//! field by field, and lets a test play the customer who pays on Stripe's page.

use crate::double::{Recorded, Server};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct State {
    sessions: HashMap<String, Value>,
    by_idempotency_key: HashMap<String, String>,
}

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
            let (status, body) = answer(&mut shared.lock().unwrap(), &r.method, &r.path, &r.headers, &r.form());
            (status, body.to_string())
        });
        StripeDouble { base: server.base.clone(), server, state, create_delay_ms }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }

    /// Makes session creation slow, as Stripe sometimes is.
    pub fn slow_down_creates(&self, ms: u64) {
        self.create_delay_ms.store(ms, Ordering::SeqCst);
    }

    /// The customer pays on Stripe's page (no webhook is sent).
    pub fn complete(&self, session_id: &str) {
        self.set(session_id, "complete", "paid");
    }

    /// The customer chose a delayed payment method: the session is complete, the money not there yet.
    pub fn complete_unpaid(&self, session_id: &str) {
        self.set(session_id, "complete", "unpaid");
    }

    fn set(&self, session_id: &str, status: &str, payment_status: &str) {
        let mut state = self.state.lock().unwrap();
        let s = state.sessions.get_mut(session_id).expect("known session");
        s["status"] = json!(status);
        s["payment_status"] = json!(payment_status);
    }
}

fn answer(st: &mut State, method: &str, path: &str, headers: &HashMap<String, String>, form: &[(String, String)]) -> (u16, Value) {
    if headers.get("authorization").is_none_or(|a| !a.starts_with("Bearer sk_test_")) {
        return (401, json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}));
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("POST", ["v1", "checkout", "sessions"]) => {
            if let Some(existing) = headers.get("idempotency-key").and_then(|k| st.by_idempotency_key.get(k)) {
                return (200, st.sessions[existing].clone());
            }
            let id = format!("cs_test_double_{}", st.sessions.len() + 1);
            let get = |k: &str| form.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone()).unwrap_or_default();
            let session = json!({
                "id": id, "object": "checkout.session", "mode": get("mode"), "status": "open", "payment_status": "unpaid",
                "url": format!("https://checkout.stripe.com/c/pay/{id}"), "client_reference_id": get("client_reference_id"),
                "expires_at": get("expires_at").parse::<i64>().unwrap_or(0),
                "metadata": {"reservation_id": get("metadata[reservation_id]"), "organisation": get("metadata[organisation]")},
            });
            st.sessions.insert(id.clone(), session.clone());
            if let Some(k) = headers.get("idempotency-key") {
                st.by_idempotency_key.insert(k.clone(), id);
            }
            (200, session)
        }
        ("POST", ["v1", "checkout", "sessions", id, "expire"]) => match st.sessions.get_mut(*id) {
            Some(s) if s["status"] == "open" => {
                s["status"] = json!("expired");
                (200, s.clone())
            }
            Some(_) => (400, json!({"error": {"type": "invalid_request_error",
                "message": "Only Checkout Sessions with a status in [\"open\"] can be expired."}})),
            None => (404, json!({"error": {"type": "invalid_request_error", "message": "No such checkout.session"}})),
        },
        ("GET", ["v1", "checkout", "sessions", id]) => match st.sessions.get(*id) {
            Some(s) => (200, s.clone()),
            None => (404, json!({"error": {"type": "invalid_request_error", "message": "No such checkout.session"}})),
        },
        _ => (404, json!({"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}})),
    }
}
