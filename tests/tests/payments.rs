//! Paid bookings in built-in mode: pending_payment holds, the local test checkout, and Stripe webhooks
//! verified with real HMAC signatures.

use serde_json::{json, Value};
use slotbook_core::stripe::sign;
use slotbook_tests::booking::{find_slot, now, places_left};
use slotbook_tests::http::{self, Answer};
use slotbook_tests::{document_for, Edge, WEBHOOK_SECRET};
use std::sync::OnceLock;

fn edge() -> &'static Edge {
    static EDGE: OnceLock<Edge> = OnceLock::new();
    EDGE.get_or_init(|| {
        let e = Edge::start();
        assert_eq!(e.import("pay-spa", &document_for("pay-spa")).status, 200);
        e
    })
}

fn base() -> String {
    edge().url("/api/public/booking/organisations/pay-spa")
}

/// Reserves one massage at the `nth` slot with at least `need` rooms free; returns (answer, slot).
/// Tests run in parallel on one organisation, so each books its own slot.
fn reserve_paid(need: u64, nth: usize) -> (Value, Value) {
    let slot = find_slot(&base(), 8, need, nth);
    let body = json!({"resourceTypeId": 8, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
        "customerName": "Pay Er", "customerEmail": "pay@example.com", "customerPhone": "+36301112222",
        "returnUrl": "http://localhost:8787/book?x=1"});
    let r = http::post_json(&format!("{}/reserve", base()), &body);
    assert_eq!(r.status, 201, "{}", r.body);
    (r.json(), slot)
}

fn status(session: &str) -> Value {
    http::get(&format!("{}/checkout-status?sessionId={session}", base()))
        .unwrap()
        .json()
}

fn webhook(body: &str, signature: Option<String>) -> Answer {
    let headers: Vec<(&str, &str)> = signature
        .as_deref()
        .map(|s| vec![("Stripe-Signature", s)])
        .unwrap_or_default();
    http::send(
        "POST",
        &edge().url("/api/payments/stripe/webhook"),
        Some(body),
        &headers,
    )
    .unwrap()
}

fn event(id: &str, kind: &str, session: &str, paid: &str) -> String {
    json!({"id": id, "type": kind, "data": {"object": {"id": session, "payment_status": paid,
        "metadata": {"organisation": "pay-spa"}}}})
    .to_string()
}

#[test]
fn paid_booking_through_the_local_test_checkout() {
    let (r, _) = reserve_paid(1, 0);
    assert_eq!(r["status"], "pending_payment");
    assert_eq!(r["requiresPayment"], true);
    assert_eq!(r["quotedAmount"], 6500);
    let p = &r["paymentData"];
    assert_eq!(
        (p["provider"].as_str(), p["mode"].as_str(), p["amount"].as_i64()),
        (Some("stripe"), Some("checkout"), Some(6500))
    );
    let session = p["stripeCheckoutSessionId"].as_str().unwrap();
    let s = status(session);
    assert_eq!(
        (s["status"].as_str(), s["canRetryPayment"].as_bool()),
        (Some("pending_payment"), Some(true))
    );
    assert!(s["checkoutUrl"].is_string());

    let page = http::get(p["checkoutUrl"].as_str().unwrap()).unwrap();
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("TEST PAYMENT") && page.body.contains("65.00 EUR"),
        "{}",
        page.body
    );

    let done = http::send(
        "POST",
        &edge().url(&format!("/api/test-checkout/{session}/complete")),
        Some("outcome=pay"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
    )
    .unwrap();
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.header("location"),
        Some(format!("http://localhost:8787/book?x=1&booking_session_id={session}").as_str())
    );
    let s = status(session);
    assert_eq!(
        (
            s["status"].as_str(),
            s["paymentStatus"].as_str(),
            s["canRetryPayment"].as_bool()
        ),
        (Some("confirmed"), Some("succeeded"), Some(false))
    );
    http::get(&format!("{}/checkout-status?sessionId=cs_unknown", base()))
        .unwrap()
        .error(404, "resource_not_found");
}

#[test]
fn webhooks_need_a_valid_signature_and_apply_once() {
    let (r, slot) = reserve_paid(2, 10);
    let session = r["stripeCheckoutSessionId"].as_str().unwrap().to_string();
    let held = places_left(&base(), 8, &slot);
    let body = event("evt_expired_1", "checkout.session.expired", &session, "unpaid");
    // Every bad signature is refused and changes nothing.
    webhook(&body, None).error(400, "invalid_signature");
    webhook(&body, Some("t=1,v1=zz".into())).error(400, "invalid_signature");
    webhook(&body, Some(sign(body.as_bytes(), "whsec_wrong", now()))).error(400, "invalid_signature");
    webhook(&body, Some(sign(body.as_bytes(), WEBHOOK_SECRET, now() - 600))).error(400, "invalid_signature");
    webhook(
        &body.replace("unpaid", "paid!"),
        Some(sign(body.as_bytes(), WEBHOOK_SECRET, now())),
    )
    .error(400, "invalid_signature");
    assert_eq!(status(&session)["status"], "pending_payment");

    let ok = webhook(&body, Some(sign(body.as_bytes(), WEBHOOK_SECRET, now())));
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(status(&session)["status"], "cancelled");
    assert_eq!(places_left(&base(), 8, &slot), held + 1, "places released");
    // The same event again, and a late payment after expiry: the reservation stays cancelled.
    let again = webhook(&body, Some(sign(body.as_bytes(), WEBHOOK_SECRET, now())));
    assert_eq!(again.json()["duplicate"], true);
    let late = event("evt_paid_late", "checkout.session.completed", &session, "paid");
    assert_eq!(
        webhook(&late, Some(sign(late.as_bytes(), WEBHOOK_SECRET, now()))).status,
        200
    );
    assert_eq!(status(&session)["status"], "cancelled");
    // An event for a session nobody knows is acknowledged.
    let unknown = event("evt_unknown", "checkout.session.completed", "cs_nobody", "paid");
    assert_eq!(
        webhook(&unknown, Some(sign(unknown.as_bytes(), WEBHOOK_SECRET, now()))).status,
        200
    );
    // So is one for an organisation nobody imported (Stripe would otherwise send it again for days).
    let stranger = unknown
        .replace("pay-spa", "nobody-imported-spa")
        .replace("evt_unknown", "evt_stranger");
    let answer = webhook(&stranger, Some(sign(stranger.as_bytes(), WEBHOOK_SECRET, now())));
    assert_eq!(
        (answer.status, answer.json()["reservation"].clone()),
        (200, json!(null)),
        "{}",
        answer.body
    );
}

#[test]
fn delayed_payment_methods_settle_through_async_events() {
    let signed = |body: &str| webhook(body, Some(sign(body.as_bytes(), WEBHOOK_SECRET, now())));
    // Completed but unpaid (a bank debit still running): stays pending; later it succeeds.
    let (r, _) = reserve_paid(1, 2);
    let session = r["stripeCheckoutSessionId"].as_str().unwrap().to_string();
    assert_eq!(
        signed(&event("evt_unpaid_1", "checkout.session.completed", &session, "unpaid")).status,
        200
    );
    let s = status(&session);
    assert_eq!(
        (
            s["status"].as_str(),
            s["paymentStatus"].as_str(),
            s["canRetryPayment"].as_bool()
        ),
        (Some("pending_payment"), Some("processing"), Some(false))
    );
    assert_eq!(
        signed(&event(
            "evt_async_ok_1",
            "checkout.session.async_payment_succeeded",
            &session,
            "paid"
        ))
        .status,
        200
    );
    let s = status(&session);
    assert_eq!(
        (s["status"].as_str(), s["paymentStatus"].as_str()),
        (Some("confirmed"), Some("succeeded"))
    );
    // A later expiry cannot undo a confirmed booking.
    assert_eq!(
        signed(&event(
            "evt_late_expiry_1",
            "checkout.session.expired",
            &session,
            "unpaid"
        ))
        .status,
        200
    );
    assert_eq!(status(&session)["status"], "confirmed");

    // The debit fails: the reservation fails and its room is released.
    let (r, slot) = reserve_paid(1, 14);
    let session = r["stripeCheckoutSessionId"].as_str().unwrap().to_string();
    let held = places_left(&base(), 8, &slot);
    assert_eq!(
        signed(&event(
            "evt_async_fail_1",
            "checkout.session.async_payment_failed",
            &session,
            "unpaid"
        ))
        .status,
        200
    );
    let s = status(&session);
    assert_eq!(
        (
            s["status"].as_str(),
            s["paymentStatus"].as_str(),
            s["canRetryPayment"].as_bool()
        ),
        (Some("failed"), Some("failed"), Some(false))
    );
    assert_eq!(places_left(&base(), 8, &slot), held + 1);
}

#[test]
fn an_organisation_without_payments_refuses_paid_services() {
    let mut doc = document_for("nopay-spa");
    doc["acceptsPayments"] = json!(false);
    assert_eq!(edge().import("nopay-spa", &doc).status, 200);
    let base = edge().url("/api/public/booking/organisations/nopay-spa");
    let catalog = http::get(&base).unwrap().json();
    assert_eq!(catalog["organisation"]["acceptsPayments"], false);
    let slot = find_slot(&base, 8, 1, 0);
    let body = json!({"resourceTypeId": 8, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
        "customerName": "No Pay", "customerEmail": "nopay@example.com", "customerPhone": "+36301112222"});
    http::post_json(&format!("{base}/reserve"), &body).error(409, "payments_unavailable");
    assert_eq!(
        places_left(&base, 8, &slot),
        slot["available"].as_u64().unwrap(),
        "nothing held"
    );
}

#[test]
fn signatures_from_the_future_and_rotated_secrets() {
    let (r, _) = reserve_paid(1, 4);
    let session = r["stripeCheckoutSessionId"].as_str().unwrap().to_string();
    let body = event("evt_future_1", "checkout.session.expired", &session, "unpaid");
    webhook(&body, Some(sign(body.as_bytes(), WEBHOOK_SECRET, now() + 600))).error(400, "invalid_signature");
    // Two v1 signatures, one under an old secret: accepted because one matches a configured secret.
    let old = sign(body.as_bytes(), "whsec_retired", now());
    let current = sign(body.as_bytes(), WEBHOOK_SECRET, now());
    let both = format!("{},{}", old, current.split(',').nth(1).unwrap());
    assert_eq!(webhook(&body, Some(both)).status, 200);
    assert_eq!(status(&session)["status"], "cancelled");
}

#[test]
fn links_are_built_on_the_configured_origin_never_on_the_request_host() {
    let slot = find_slot(&base(), 8, 1, 6);
    let url = format!("{}/reserve", base());
    let mut body = json!({"resourceTypeId": 8, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
        "customerName": "Host Header", "customerEmail": "host@example.com", "customerPhone": "+36301112222",
        "returnUrl": "http://evil.example/phish"});
    let evil = [("Host", "evil.example")];
    // The Host is the client's to choose: a returnUrl on it is not the edge's own page.
    let refused = http::send("POST", &url, Some(&body.to_string()), &evil).unwrap();
    assert_eq!(
        refused.error(400, "validation_error")["param"],
        "returnUrl",
        "{}",
        refused.body
    );
    assert_eq!(
        places_left(&base(), 8, &slot),
        slot["available"].as_u64().unwrap(),
        "nothing held"
    );

    // Without a returnUrl, every link handed out is on PUBLIC_ORIGIN, whatever the Host said.
    body.as_object_mut().unwrap().remove("returnUrl");
    let r = http::send("POST", &url, Some(&body.to_string()), &evil).unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    let r = r.json();
    let own = edge().url("/");
    assert!(r["manageUrl"].as_str().unwrap().starts_with(&own), "{}", r["manageUrl"]);
    let checkout = r["paymentData"]["checkoutUrl"].as_str().unwrap();
    assert!(checkout.starts_with(&edge().url("/api/test-checkout/")), "{checkout}");
    let session = r["paymentData"]["stripeCheckoutSessionId"].as_str().unwrap();
    let back = http::send(
        "POST",
        &edge().url(&format!("/api/test-checkout/{session}/complete")),
        Some("outcome=cancel"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Host", "evil.example"),
        ],
    )
    .unwrap();
    assert_eq!(back.status, 303, "{}", back.body);
    assert!(
        back.header("location").unwrap().starts_with(&own),
        "{:?}",
        back.header("location")
    );
}

#[test]
fn several_configured_webhook_secrets_each_verify_while_one_is_rotated() {
    // A deploy rotating its endpoint's secret lists both, comma-separated (README, Secrets).
    let own = Edge::start_with(&[(
        "STRIPE_WEBHOOK_SECRET",
        &format!("whsec_being_retired_123,{WEBHOOK_SECRET}"),
    )]);
    assert_eq!(own.import("rotate-spa", &document_for("rotate-spa")).status, 200);
    let send = |secret: &str, id: &str| {
        let body = json!({"id": id, "type": "checkout.session.expired", "data": {"object": {
            "id": "cs_test_unknown_session", "payment_status": "unpaid", "metadata": {"organisation": "rotate-spa"}}}})
        .to_string();
        http::send(
            "POST",
            &own.url("/api/payments/stripe/webhook"),
            Some(&body),
            &[("Stripe-Signature", &sign(body.as_bytes(), secret, now()))],
        )
        .unwrap()
    };
    assert_eq!(
        send("whsec_being_retired_123", "evt_rotate_old").status,
        200,
        "the old secret"
    );
    assert_eq!(send(WEBHOOK_SECRET, "evt_rotate_new").status, 200, "the new secret");
    send("whsec_never_configured", "evt_rotate_other").error(400, "invalid_signature");
}
