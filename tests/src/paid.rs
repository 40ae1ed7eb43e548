//! The built-in engine with a Stripe key, as the Stripe tests drive it: an edge pointed at the Stripe
//! stand-in with the organisation `stripe-spa`, paid reserves, checkout status, signed events, refunds.

use crate::booking::{find_slot, now};
use crate::http::{self, Answer};
use crate::stripe_double::StripeDouble;
use crate::{document_for, Edge, WEBHOOK_SECRET};
use serde_json::{json, Value};
use slotbook_core::stripe::sign;
use std::time::{Duration, Instant};

/// How long a hold lasts when a test shortens it.
pub const HOLD_SECONDS: u64 = 8;

/// An edge with a Stripe key (the stand-in's), and the organisation `stripe-spa` imported with 30-minute holds.
pub fn start(stripe: &StripeDouble, hold_override: bool) -> Edge {
    start_holding(stripe, hold_override, 30)
}

/// An edge with a Stripe key, its organisation's holds lasting `hold_minutes` (unless overridden for speed).
pub fn start_holding(stripe: &StripeDouble, hold_override: bool, hold_minutes: u32) -> Edge {
    let hold = HOLD_SECONDS.to_string();
    let mut vars = vec![
        ("STRIPE_SECRET_KEY", "sk_test_double_key"),
        ("STRIPE_API_BASE", stripe.base.as_str()),
    ];
    if hold_override {
        vars.push(("HOLD_SECONDS_OVERRIDE", hold.as_str()));
    }
    let edge = Edge::start_with(&vars);
    let mut doc = document_for("stripe-spa");
    doc["allowedOrigins"] = json!(["https://acme.example"]);
    doc["holdMinutes"] = json!(hold_minutes);
    doc["cancellationNoticeHours"] = json!(0);
    assert_eq!(edge.import("stripe-spa", &doc).status, 200);
    edge
}

/// The organisation's public booking path on `edge`.
pub fn base(edge: &Edge) -> String {
    edge.url("/api/public/booking/organisations/stripe-spa")
}

/// A reserve body for the paid massage (resource type 8) at `slot`.
pub fn massage(slot: &Value, quantity: u32) -> Value {
    json!({"resourceTypeId": 8, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": quantity,
        "customerName": "Sam", "customerEmail": "sam@example.com", "customerPhone": "+36301112222"})
}

/// Reserves the massage at `slot`, with a return address on the venue's site.
pub fn reserve(edge: &Edge, slot: &Value, quantity: u32) -> Answer {
    let mut body = massage(slot, quantity);
    body["returnUrl"] = json!("https://acme.example/spa?lang=en");
    http::post_json(&format!("{}/reserve", base(edge)), &body)
}

/// Holds the massage at `slot` for payment (the reserve must succeed): its reservation and session ids.
pub fn held(edge: &Edge, slot: &Value, quantity: u32) -> (i64, String) {
    let a = reserve(edge, slot, quantity);
    assert_eq!(a.status, 201, "{}", a.body);
    let r = a.json();
    let session = r["stripeCheckoutSessionId"].as_str().unwrap().to_string();
    (r["reservationId"].as_i64().unwrap(), session)
}

/// The checkout status of a session.
pub fn status(edge: &Edge, session: &str) -> Value {
    http::get(&format!("{}/checkout-status?sessionId={session}", base(edge)))
        .unwrap()
        .json()
}

/// Waits (up to 30 s) for the session's reservation to reach `want`.
pub fn wait_for_status(edge: &Edge, session: &str, want: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = status(edge, session);
        if s["status"] == want {
            return s;
        }
        assert!(Instant::now() < deadline, "still {} (wanted {want})", s["status"]);
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Sends a Stripe event signed with the edge's webhook secret.
pub fn signed_webhook(edge: &Edge, body: &str) -> Answer {
    let signature = sign(body.as_bytes(), WEBHOOK_SECRET, now());
    http::send(
        "POST",
        &edge.url("/api/payments/stripe/webhook"),
        Some(body),
        &[("Stripe-Signature", &signature)],
    )
    .unwrap()
}

/// Waits (up to 20 s) for the stand-in to have refunded `intent`.
pub fn wait_for_refund(stripe: &StripeDouble, intent: &str) -> Value {
    crate::wait_until(&format!("a refund of {intent}"), 20, || {
        stripe.refunds().into_iter().find(|r| r["payment_intent"] == intent)
    })
}

/// A paid booking, confirmed by Stripe's event: (reservation id, session, payment intent, manage link).
pub fn paid_booking(edge: &Edge, stripe: &StripeDouble, nth: usize) -> (i64, String, String, String) {
    let slot = find_slot(&base(edge), 8, 1, nth);
    let r = reserve(edge, &slot, 1).json();
    let (id, session) = (
        r["reservationId"].as_i64().unwrap(),
        r["stripeCheckoutSessionId"].as_str().unwrap().to_string(),
    );
    let intent = stripe.complete(&session);
    let paid =
        json!({"id": format!("evt_paid_{id}"), "type": "checkout.session.completed", "data": {"object": {"id": session,
        "object": "checkout.session", "payment_status": "paid", "payment_intent": intent,
        "metadata": {"organisation": "stripe-spa", "reservation_id": id.to_string()}}}})
        .to_string();
    assert_eq!(signed_webhook(edge, &paid).status, 200);
    assert_eq!(status(edge, &session)["status"], "confirmed");
    (id, session, intent, r["manageUrl"].as_str().unwrap().to_string())
}

/// A booking's payment status, through its manage link.
pub fn payment_status(manage: &str) -> Value {
    http::send("GET", manage, None, &[("Accept", "application/json")])
        .unwrap()
        .json()["booking"]["paymentStatus"]
        .clone()
}
