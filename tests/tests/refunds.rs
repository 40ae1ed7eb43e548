//! Money going back through Stripe's Refunds API (here the Stripe stand-in): a payment that arrives for a
//! reservation that has ended, staff and customer cancels of paid bookings, a payment the venue refunded
//! itself, refunds Stripe fails at first (its failure saved for their key, as Stripe does), and a refund whose
//! answer was lost: each made exactly once.

use serde_json::json;
use slotbook_tests::booking::{find_slot, places_left};
use slotbook_tests::http;
use slotbook_tests::paid::*;
use slotbook_tests::stripe_double::StripeDouble;
use slotbook_tests::{document_for, staff_key, Edge};

#[test]
fn a_payment_after_the_hold_was_released_is_refunded_once() {
    let stripe = StripeDouble::start();
    let edge = start(&stripe, true);
    let slot = find_slot(&base(&edge), 8, 1, 5);
    let (id, session) = held(&edge, &slot, 1);
    wait_for_status(&edge, &session, "cancelled");
    // The customer's payment went through at Stripe after all (the expiry crossed it).
    let intent = stripe.complete(&session);
    let event =
        json!({"id": "evt_late_paid_1", "type": "checkout.session.completed", "data": {"object": {"id": session,
        "object": "checkout.session", "payment_status": "paid", "payment_intent": intent,
        "metadata": {"organisation": "stripe-spa", "reservation_id": id.to_string()}}}})
        .to_string();
    assert_eq!(signed_webhook(&edge, &event).status, 200);
    let refund = wait_for_refund(&stripe, &intent);
    assert_eq!(refund["reason"], "requested_by_customer");
    let call = stripe.requests().into_iter().find(|q| q.path == "/v1/refunds").unwrap();
    assert_eq!(
        call.headers["idempotency-key"],
        format!("refund-stripe-spa-{id}-0"),
        "the first attempt's key"
    );
    assert_eq!(call.field("payment_intent").as_deref(), Some(intent.as_str()));
    let s = status(&edge, &session);
    assert_eq!(
        (s["status"].as_str(), s["paymentStatus"].as_str()),
        (Some("cancelled"), Some("refunded"))
    );
    // Stripe sends the event again: still one refund.
    let again =
        json!({"id": "evt_late_paid_1b", "type": "checkout.session.completed", "data": {"object": {"id": session,
        "payment_status": "paid", "payment_intent": intent, "metadata": {"organisation": "stripe-spa"}}}})
        .to_string();
    assert_eq!(signed_webhook(&edge, &again).status, 200);
    slotbook_tests::holds_for("one refund", 2000, || {
        stripe.requests().iter().filter(|q| q.path == "/v1/refunds").count() == 1
    });
    let staff = http::send(
        "GET",
        &edge.url(&format!("/api/reservations/{id}")),
        None,
        &[("Authorization", &format!("Bearer {}", staff_key("stripe-spa")))],
    )
    .unwrap();
    assert_eq!(staff.json()["paymentStatus"], "refunded");
}

#[test]
fn staff_cancelling_a_hold_expires_its_session_or_refunds_it() {
    let stripe = StripeDouble::start();
    let edge = start(&stripe, false);
    let key = format!("Bearer {}", staff_key("stripe-spa"));
    let cancel = |id: i64| {
        http::send(
            "PATCH",
            &edge.url(&format!("/api/reservations/{id}")),
            Some(r#"{"status":"cancelled"}"#),
            &[("Authorization", &key)],
        )
        .unwrap()
    };
    // Unpaid: the session is expired at Stripe, so the customer can no longer pay for it.
    let slot = find_slot(&base(&edge), 8, 1, 6);
    let (id, session) = held(&edge, &slot, 1);
    let c = cancel(id);
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(stripe.session(&session)["status"], "expired");
    assert!(stripe
        .requests()
        .iter()
        .any(|q| q.path == format!("/v1/checkout/sessions/{session}/expire")));
    let s = status(&edge, &session);
    assert_eq!(
        (
            s["status"].as_str(),
            s["paymentStatus"].as_str(),
            s["canRetryPayment"].as_bool()
        ),
        (Some("cancelled"), Some("expired"), Some(false))
    );

    // Paid at Stripe a moment before staff cancelled (the webhook not there yet): the payment goes back.
    let slot = find_slot(&base(&edge), 8, 1, 7);
    let (id, session) = held(&edge, &slot, 1);
    let intent = stripe.complete(&session);
    assert_eq!(cancel(id).status, 200);
    wait_for_refund(&stripe, &intent);
    assert_eq!(status(&edge, &session)["paymentStatus"], "refunded");
}

#[test]
fn a_customer_who_cancels_a_paid_booking_gets_the_money_back() {
    let stripe = StripeDouble::start();
    let edge = start(&stripe, false);
    let slot = find_slot(&base(&edge), 8, 1, 9);
    let a = reserve(&edge, &slot, 1);
    assert_eq!(a.status, 201, "{}", a.body);
    let r = a.json();
    let (id, session) = (
        r["reservationId"].as_i64().unwrap(),
        r["stripeCheckoutSessionId"].as_str().unwrap().to_string(),
    );
    let manage = r["manageUrl"].as_str().unwrap().to_string();
    let intent = stripe.complete(&session);
    let paid = json!({"id": "evt_paid_then_cancelled", "type": "checkout.session.completed", "data": {"object": {"id": session,
        "object": "checkout.session", "payment_status": "paid", "payment_intent": intent,
        "metadata": {"organisation": "stripe-spa", "reservation_id": id.to_string()}}}}).to_string();
    assert_eq!(signed_webhook(&edge, &paid).status, 200);
    assert_eq!(status(&edge, &session)["status"], "confirmed");
    let held = places_left(&base(&edge), 8, &slot);

    let cancelled = http::post_json(&format!("{manage}/cancel"), &json!({}));
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    let refund = wait_for_refund(&stripe, &intent);
    assert_eq!(refund["metadata"]["reservation_id"], id.to_string());
    let call = stripe.requests().into_iter().find(|q| q.path == "/v1/refunds").unwrap();
    assert_eq!(
        call.headers["idempotency-key"],
        format!("refund-stripe-spa-{id}-0"),
        "the first attempt's key"
    );
    let m = http::send("GET", &manage, None, &[("Accept", "application/json")])
        .unwrap()
        .json();
    assert_eq!(
        (m["booking"]["status"].as_str(), m["booking"]["paymentStatus"].as_str()),
        (Some("cancelled"), Some("refunded"))
    );
    assert_eq!(places_left(&base(&edge), 8, &slot), held + 1, "the room is free again");
    // Stripe repeats the payment event: no second refund.
    let again = paid.replace("evt_paid_then_cancelled", "evt_paid_then_cancelled_2");
    assert_eq!(signed_webhook(&edge, &again).status, 200);
    slotbook_tests::holds_for("one refund", 2000, || {
        stripe.requests().iter().filter(|q| q.path == "/v1/refunds").count() == 1
    });
}

#[test]
fn a_payment_the_venue_refunded_in_stripe_counts_as_refunded() {
    let stripe = StripeDouble::start();
    let edge = start(&stripe, false);
    let (_, _, intent, manage) = paid_booking(&edge, &stripe, 10);
    stripe.refund_from_dashboard(&intent);
    assert_eq!(http::post_json(&format!("{manage}/cancel"), &json!({})).status, 200);
    // Stripe answers `charge_already_refunded`: the money is back, so the booking says so (not "paid",
    // with a refund tried again and again).
    assert_eq!(payment_status(&manage), "refunded");
    assert_eq!(stripe.refunds().len(), 1, "the venue's refund, and no second one");
    assert_eq!(stripe.requests().iter().filter(|q| q.path == "/v1/refunds").count(), 1);
}

/// An edge whose refunds are retried every 2 seconds, with an organisation that allows cancelling any time.
fn retrying_edge(stripe: &StripeDouble) -> Edge {
    let edge = Edge::start_with(&[
        ("STRIPE_SECRET_KEY", "sk_test_double_key"),
        ("STRIPE_API_BASE", stripe.base.as_str()),
        ("FOLLOW_UP_RETRY_SECONDS", "2"),
    ]);
    let mut doc = document_for("stripe-spa");
    doc["allowedOrigins"] = json!(["https://acme.example"]);
    doc["cancellationNoticeHours"] = json!(0);
    assert_eq!(edge.import("stripe-spa", &doc).status, 200);
    edge
}

fn wait_for_refunded(manage: &str) {
    slotbook_tests::wait_until("the refund shown on the booking", 20, || {
        (payment_status(manage) == "refunded").then_some(())
    });
}

#[test]
fn a_refund_whose_answer_was_lost_is_looked_up_not_made_again() {
    let stripe = StripeDouble::start();
    let edge = retrying_edge(&stripe);
    let (id, _, intent, manage) = paid_booking(&edge, &stripe, 12);
    stripe.lose_refund_answers(1);
    assert_eq!(http::post_json(&format!("{manage}/cancel"), &json!({})).status, 200);
    let refund = wait_for_refund(&stripe, &intent);
    assert_eq!(refund["metadata"]["reservation_id"], id.to_string());
    wait_for_refunded(&manage);
    // The retry asked Stripe which refunds the payment has, found the one made, and made no other.
    let calls = stripe.requests();
    assert_eq!(
        calls
            .iter()
            .filter(|q| q.method == "POST" && q.path == "/v1/refunds")
            .count(),
        1,
        "one refund asked for"
    );
    assert!(
        calls
            .iter()
            .any(|q| q.method == "GET" && q.path.starts_with("/v1/refunds?payment_intent=")),
        "looked up"
    );
    assert_eq!(
        stripe
            .refunds()
            .iter()
            .filter(|r| r["payment_intent"] == intent.as_str())
            .count(),
        1
    );
    // It stays so: the follow-up is done, nothing more goes to Stripe.
    slotbook_tests::holds_for("no call after the refund was found", 5000, || {
        stripe.requests().len() == calls.len()
    });
}

#[test]
fn a_refund_stripe_fails_is_tried_again_until_it_goes_through() {
    let stripe = StripeDouble::start();
    let edge = retrying_edge(&stripe);
    let (id, _, intent, manage) = paid_booking(&edge, &stripe, 11);
    stripe.fail_refunds(2);
    assert_eq!(http::post_json(&format!("{manage}/cancel"), &json!({})).status, 200);
    assert_eq!(payment_status(&manage), "succeeded", "not refunded yet: Stripe failed");
    let refund = wait_for_refund(&stripe, &intent);
    assert_eq!(refund["metadata"]["reservation_id"], id.to_string());
    wait_for_refunded(&manage);
    let log = edge.log();
    for attempts in [1, 2] {
        assert!(
            log.contains(&format!("\"attempts\":{attempts}")),
            "failure {attempts} logged with its count: {log}"
        );
    }
    assert_eq!(
        stripe.requests().iter().filter(|q| q.path == "/v1/refunds").count(),
        3,
        "two failures, then the refund"
    );
    // Each attempt under a key of its own: Stripe gives a key's saved 500 to every retry with that key.
    let keys: Vec<String> = stripe
        .requests()
        .iter()
        .filter(|q| q.path == "/v1/refunds")
        .map(|q| q.headers["idempotency-key"].clone())
        .collect();
    assert_eq!(keys, [0, 1, 2].map(|n| format!("refund-stripe-spa-{id}-{n}")));
    assert_eq!(
        stripe
            .refunds()
            .iter()
            .filter(|r| r["payment_intent"] == intent.as_str())
            .count(),
        1
    );
}
