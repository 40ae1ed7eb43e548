//! The built-in engine with a Stripe key: Checkout Sessions created through Stripe's REST API (here a local
//! stand-in speaking its wire format and refusing what Stripe refuses), holds that end with the session
//! expired or the payment confirmed, and what a refusal from Stripe answers. Refunds: `refunds.rs`.

use serde_json::json;
use slotbook_tests::booking::{find_slot, now, places_left};
use slotbook_tests::document_for;
use slotbook_tests::http::{self, Answer};
use slotbook_tests::paid::*;
use slotbook_tests::stripe_double::StripeDouble;
use std::time::{Duration, Instant};

#[test]
fn checkout_sessions_are_created_with_stripes_parameters_and_holds_expire() {
    let stripe = StripeDouble::start();
    let edge = start(&stripe, true);
    let slot = find_slot(&base(&edge), 8, 2, 0);
    let before = places_left(&base(&edge), 8, &slot);
    let started = now();
    let a = reserve(&edge, &slot, 2);
    assert_eq!(a.status, 201, "{}", a.body);
    let r = a.json();
    let id = r["reservationId"].as_i64().unwrap();
    let session = r["stripeCheckoutSessionId"].as_str().unwrap().to_string();
    assert!(session.starts_with("cs_test_double_"));
    assert_eq!(
        r["paymentData"]["checkoutUrl"],
        format!("https://checkout.stripe.com/c/pay/{session}")
    );
    assert_eq!(
        r["paymentData"]["statusUrl"],
        format!("/api/public/booking/organisations/stripe-spa/checkout-status?sessionId={session}")
    );

    let requests = stripe.requests();
    let create = requests
        .iter()
        .find(|q| q.path == "/v1/checkout/sessions")
        .expect("a create call");
    assert_eq!(create.method, "POST");
    assert_eq!(create.headers["authorization"], "Bearer sk_test_double_key");
    assert_eq!(create.headers["content-type"], "application/x-www-form-urlencoded");
    assert_eq!(create.headers["idempotency-key"], format!("checkout-stripe-spa-{id}"));
    let expect = [
        ("mode", "payment".to_string()),
        ("line_items[0][price_data][currency]", "eur".to_string()),
        ("line_items[0][price_data][unit_amount]", "6500".to_string()),
        (
            "line_items[0][price_data][product_data][name]",
            "Deep tissue massage".to_string(),
        ),
        ("line_items[0][quantity]", "2".to_string()),
        ("customer_email", "sam@example.com".to_string()),
        ("client_reference_id", id.to_string()),
        ("metadata[reservation_id]", id.to_string()),
        ("metadata[organisation]", "stripe-spa".to_string()),
        (
            "success_url",
            "https://acme.example/spa?lang=en&booking_session_id={CHECKOUT_SESSION_ID}".to_string(),
        ),
        (
            "cancel_url",
            "https://acme.example/spa?lang=en&booking_session_id={CHECKOUT_SESSION_ID}".to_string(),
        ),
    ];
    for (field, value) in expect {
        assert_eq!(create.field(field).as_deref(), Some(value.as_str()), "{field}");
    }
    // The 8-second hold is far inside Stripe's minimum: expires_at is moved out to 30 minutes plus a margin,
    // while the hold itself (and the alarm that expires the session) keeps its own end.
    let expires_at: i64 = create.field("expires_at").unwrap().parse().unwrap();
    assert!(
        (expires_at - (started + 35 * 60)).abs() <= 3,
        "expires_at {expires_at} inside Stripe's window"
    );
    assert_eq!(
        r["paymentData"]["expiresAt"].as_str().map(|t| t.len()),
        Some(20),
        "the hold's end on the wire"
    );
    for q in stripe.requests() {
        assert_eq!(
            q.headers.get("stripe-version").map(String::as_str),
            Some(slotbook_core::stripe::API_VERSION),
            "{} {}",
            q.method,
            q.path
        );
    }
    assert_eq!(places_left(&base(&edge), 8, &slot), before - 2, "held while paying");
    let s = status(&edge, &session);
    assert_eq!(
        (s["canRetryPayment"].as_bool(), s["checkoutUrl"].as_str()),
        (Some(true), Some(r["paymentData"]["checkoutUrl"].as_str().unwrap()))
    );

    // At the hold's end the alarm expires the session at Stripe and releases the places.
    let s = wait_for_status(&edge, &session, "cancelled");
    assert_eq!(s["paymentStatus"], "expired");
    assert_eq!(s["canRetryPayment"], false);
    assert!(stripe
        .requests()
        .iter()
        .any(|q| q.method == "POST" && q.path == format!("/v1/checkout/sessions/{session}/expire")));
    assert_eq!(places_left(&base(&edge), 8, &slot), before);
}

#[test]
fn a_payment_completed_as_the_hold_ends_confirms_the_booking() {
    let stripe = StripeDouble::start();
    let edge = start(&stripe, true);
    let slot = find_slot(&base(&edge), 8, 1, 1);
    let (_, session) = held(&edge, &slot, 1);
    // The customer pays; the webhook has not arrived when the hold ends.
    stripe.complete(&session);
    let s = wait_for_status(&edge, &session, "confirmed");
    assert_eq!(s["paymentStatus"], "succeeded");
    let asked = stripe.requests();
    assert!(
        asked
            .iter()
            .any(|q| q.path == format!("/v1/checkout/sessions/{session}/expire")),
        "expire tried first"
    );
    assert!(
        asked
            .iter()
            .any(|q| q.method == "GET" && q.path == format!("/v1/checkout/sessions/{session}")),
        "then the session read"
    );
}

#[test]
fn fifty_concurrent_paid_reserves_for_three_rooms() {
    let stripe = StripeDouble::start();
    let edge = start(&stripe, false);
    let slot = find_slot(&base(&edge), 8, 3, 0);
    assert_eq!(slot["available"], 3);
    let threads: Vec<_> = (0..50)
        .map(|_| {
            let (url, slot) = (format!("{}/reserve", base(&edge)), slot.clone());
            std::thread::spawn(move || http::send("POST", &url, Some(&massage(&slot, 1).to_string()), &[]).unwrap())
        })
        .collect();
    let answers: Vec<Answer> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let created: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    let refused = answers
        .iter()
        .filter(|a| a.status == 409 && a.json()["error"]["code"] == "slot_unavailable")
        .count();
    assert_eq!((created.len(), refused), (3, 47));
    let mut rooms: Vec<i64> = created
        .iter()
        .map(|a| a.json()["resourceIds"][0].as_i64().unwrap())
        .collect();
    rooms.sort();
    assert_eq!(rooms, vec![21, 22, 23], "one room each");
    assert!(created.iter().all(|a| a.json()["status"] == "pending_payment"));
    assert_eq!(
        stripe
            .requests()
            .iter()
            .filter(|q| q.path == "/v1/checkout/sessions")
            .count(),
        3,
        "a session only for each hold"
    );
    assert_eq!(places_left(&base(&edge), 8, &slot), 0);
}

#[test]
fn a_key_still_running_is_in_use() {
    let stripe = StripeDouble::start();
    let edge = start(&stripe, false);
    stripe.slow_down_creates(1500);
    let slot = find_slot(&base(&edge), 8, 1, 0);
    let body = massage(&slot, 1).to_string();
    let url = format!("{}/reserve", base(&edge));
    let (u, b) = (url.clone(), body.clone());
    let first = std::thread::spawn(move || http::send("POST", &u, Some(&b), &[("Idempotency-Key", "slow-1")]).unwrap());
    std::thread::sleep(Duration::from_millis(500));
    let second = http::send("POST", &url, Some(&body), &[("Idempotency-Key", "slow-1")]).unwrap();
    second.error(409, "idempotency_key_in_use");
    assert_eq!(second.header("retry-after"), Some("1"));
    let first = first.join().unwrap();
    assert_eq!(first.status, 201, "{}", first.body);
    let third = http::send("POST", &url, Some(&body), &[("Idempotency-Key", "slow-1")]).unwrap();
    assert_eq!((third.status, third.header("idempotent-replayed")), (201, Some("true")));
    assert_eq!(
        third.json()["stripeCheckoutSessionId"],
        first.json()["stripeCheckoutSessionId"]
    );
    assert_eq!(
        stripe
            .requests()
            .iter()
            .filter(|q| q.path == "/v1/checkout/sessions")
            .count(),
        1
    );
}

#[test]
fn a_delayed_payment_keeps_its_places_past_the_hold() {
    let stripe = StripeDouble::start();
    let edge = start(&stripe, true);
    let slot = find_slot(&base(&edge), 8, 1, 2);
    let before = places_left(&base(&edge), 8, &slot);
    let (id, session) = held(&edge, &slot, 1);
    stripe.complete_unpaid(&session);
    // Past the hold: the alarm found the payment still processing and kept the reservation and its place.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !stripe
        .requests()
        .iter()
        .any(|q| q.method == "GET" && q.path == format!("/v1/checkout/sessions/{session}"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the hold's alarm did not look at the session"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    std::thread::sleep(Duration::from_millis(500));
    let s = status(&edge, &session);
    assert_eq!(
        (s["status"].as_str(), s["paymentStatus"].as_str()),
        (Some("pending_payment"), Some("processing"))
    );
    assert_eq!(s["canRetryPayment"], false, "a completed session cannot be paid again");
    assert_eq!(places_left(&base(&edge), 8, &slot), before - 1);
    // Held because the alarm moved the hold's end a day on (a grace of minutes alone would also keep the place
    // for now): the reservation says so.
    let key = format!("Bearer {}", slotbook_tests::staff_key("stripe-spa"));
    let r = http::send(
        "GET",
        &edge.url(&format!("/api/reservations/{id}")),
        None,
        &[("Authorization", &key)],
    )
    .unwrap();
    let until = slotbook_core::time::Timestamp::parse(r.json()["holdExpiresAt"].as_str().unwrap()).unwrap();
    assert!(until.0 >= now() + 23 * 3600, "hold extended a day: {}", r.body);
}

/// The stand-in answers as Stripe would when a test asks it directly: what the edge must never send.
#[test]
fn the_stand_in_refuses_what_stripe_refuses() {
    let stripe = StripeDouble::start();
    let auth = ("Authorization", "Bearer sk_test_x");
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let post = |body: &str, extra: &[(&str, &str)]| {
        let mut headers = vec![auth, form];
        headers.extend_from_slice(extra);
        http::send(
            "POST",
            &format!("{}/v1/checkout/sessions", stripe.base),
            Some(body),
            &headers,
        )
        .unwrap()
    };
    let item = "line_items[0][price_data][currency]=eur&line_items[0][price_data][unit_amount]=2500&line_items[0][price_data][product_data][name]=Massage";
    let base = &format!("mode=payment&success_url=https%3A%2F%2Fa.example%2F&line_items[0][quantity]=1&{item}");
    let soon = format!("{base}&expires_at={}", now() + 600);
    assert_eq!(
        post(&soon, &[]).json()["error"]["param"],
        "expires_at",
        "less than 30 minutes"
    );
    let late = format!("{base}&expires_at={}", now() + 90_000);
    assert_eq!(
        post(&late, &[]).json()["error"]["param"],
        "expires_at",
        "more than 24 hours"
    );
    assert_eq!(
        post(&format!("{base}&expires_in=3600"), &[]).status,
        400,
        "an unknown parameter"
    );
    assert_eq!(
        post(base, &[("Stripe-Version", "latest")]).status,
        400,
        "a malformed version"
    );
    let refusal = |body: String| post(&body, &[]).json()["error"].clone();
    assert_eq!(
        refusal(base.replace("=eur", "=xts"))["param"],
        "line_items[0][price_data][currency]",
        "a currency it does not charge in"
    );
    assert_eq!(
        refusal(base.replace("=2500", "=49"))["code"],
        "amount_too_small",
        "below €0.50"
    );
    assert_eq!(
        refusal(base.replace("=2500", "=24").replace("[quantity]=1", "[quantity]=2"))["code"],
        "amount_too_small",
        "the total counts"
    );
    assert_eq!(
        post(
            &base.replace("=2500", "=25").replace("[quantity]=1", "[quantity]=2"),
            &[]
        )
        .status,
        200,
        "two places of €0.25 make €0.50"
    );
    assert_eq!(
        refusal(
            base.replace("=2500", "=50000000")
                .replace("[quantity]=1", "[quantity]=2")
        )["code"],
        "amount_too_large",
        "over eight digits"
    );
    assert_eq!(post(base, &[("Idempotency-Key", "k1")]).status, 200);
    assert_eq!(
        post(
            &format!("{base}&customer_email=x%40y.example"),
            &[("Idempotency-Key", "k1")]
        )
        .json()["error"]["type"],
        "idempotency_error"
    );
}

#[test]
fn holds_of_30_minutes_and_of_a_day_give_sessions_stripe_accepts() {
    for (minutes, nth) in [(30u32, 3usize), (1440, 4)] {
        let stripe = StripeDouble::start();
        let edge = start_holding(&stripe, false, minutes);
        let slot = find_slot(&base(&edge), 8, 1, nth);
        let started = now();
        let a = reserve(&edge, &slot, 1);
        assert_eq!(a.status, 201, "holdMinutes {minutes}: {}", a.body);
        let create = stripe
            .requests()
            .into_iter()
            .find(|q| q.path == "/v1/checkout/sessions")
            .unwrap();
        let expires_at: i64 = create.field("expires_at").unwrap().parse().unwrap();
        assert!(
            expires_at - started >= 30 * 60 + 60 && expires_at - started <= 24 * 3600 - 60,
            "holdMinutes {minutes}: {}",
            expires_at - started
        );
        let hold_end = a.json()["paymentData"]["expiresAt"].as_str().unwrap().to_string();
        let hold_end = slotbook_core::time::Timestamp::parse(&hold_end).unwrap().0;
        assert!(
            (hold_end - (started + minutes as i64 * 60)).abs() <= 3,
            "the hold keeps its own length"
        );
    }
}

#[test]
fn a_refusal_from_stripe_is_logged_without_the_customers_data() {
    let stripe = StripeDouble::start();
    let edge = start(&stripe, false);
    let slot = find_slot(&base(&edge), 8, 1, 8);
    let mut body = massage(&slot, 1);
    body["customerEmail"] = json!("refused.customer@example.com");
    let refused = http::post_json(&format!("{}/reserve", base(&edge)), &body);
    // The customer's to correct, beside the field: not "try again", which would fail the same way.
    let e = refused.error(400, "validation_error");
    assert_eq!(e["param"], "customerEmail", "{e}");
    assert_eq!(
        places_left(&base(&edge), 8, &slot),
        slot["available"].as_u64().unwrap(),
        "no session, no hold"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !edge.log().contains("invalid_request_error") {
        assert!(Instant::now() < deadline, "the refusal was not logged:\n{}", edge.log());
        std::thread::sleep(Duration::from_millis(200));
    }
    let log = edge.log();
    assert!(log.contains("customer_email"), "the refused parameter is named: {log}");
    assert!(
        !log.contains("refused.customer"),
        "the customer's email stays out of the log: {log}"
    );
    assert!(
        !log.contains("Invalid email address"),
        "Stripe's message is not logged verbatim"
    );
}

#[test]
fn a_stripe_that_does_not_answer_is_given_up_in_time_and_the_places_return() {
    let stripe = StripeDouble::start();
    let edge = start(&stripe, false);
    let slot = find_slot(&base(&edge), 8, 1, 0);
    let before = places_left(&base(&edge), 8, &slot);
    stripe.slow_down_creates(12_000);
    let started = Instant::now();
    let answer = reserve(&edge, &slot, 1);
    let waited = started.elapsed();
    answer.error(504, "upstream_timeout");
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(13),
        "answered after {waited:?}"
    );
    assert_eq!(
        places_left(&base(&edge), 8, &slot),
        before,
        "the hold is released at once"
    );
    // Stripe answers again: the customer's retry books.
    stripe.slow_down_creates(0);
    std::thread::sleep(Duration::from_millis(2500)); // the abandoned call's session arrives late, unused
    let retried = reserve(&edge, &slot, 1);
    assert_eq!(retried.status, 201, "{}", retried.body);
    assert!(retried.json()["checkoutUrl"].as_str().is_some());
    assert_eq!(places_left(&base(&edge), 8, &slot), before - 1);
    assert!(edge.log().contains("timed out"), "the timeout is logged");
}

#[test]
fn a_currency_stripe_does_not_charge_in_means_no_online_payment_and_no_hold() {
    let stripe = StripeDouble::start();
    let edge = start(&stripe, false);
    // ISO 4217's code for testing: a valid code that no payment provider charges in.
    let mut doc = document_for("xts-spa");
    doc["currency"] = json!("xts");
    assert_eq!(edge.import("xts-spa", &doc).status, 200);
    let base = edge.url("/api/public/booking/organisations/xts-spa");
    let slot = find_slot(&base, 8, 1, 1);
    let refused = http::post_json(&format!("{base}/reserve"), &massage(&slot, 1));
    let e = refused.error(409, "payments_unavailable");
    assert!(
        !e["message"].as_str().unwrap().contains("try again"),
        "retrying would fail the same way: {e}"
    );
    assert_eq!(
        places_left(&base, 8, &slot),
        slot["available"].as_u64().unwrap(),
        "no session, no hold"
    );
    let asked = stripe
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/checkout/sessions")
        .count();
    assert_eq!(asked, 1, "Stripe was asked once and refused");
}

#[test]
fn a_price_stripe_cannot_charge_is_refused_at_import() {
    let stripe = StripeDouble::start();
    let edge = start(&stripe, false);
    let mut doc = document_for("cheap-spa");
    doc["resourceTypes"][0]["unitAmount"] = json!(20);
    assert_eq!(doc["resourceTypes"][0]["requiresPayment"], true);
    let e = edge.import("cheap-spa", &doc).error(400, "validation_error");
    assert_eq!(e["param"], "resourceTypes[0].unitAmount", "{e}");
    assert!(e["message"].as_str().unwrap().contains("at least 50"), "{e}");
    doc["resourceTypes"][0]["unitAmount"] = json!(50_000_000);
    let e = edge.import("cheap-spa", &doc).error(400, "validation_error");
    assert_eq!(e["param"], "resourceTypes[0].maxQuantity", "{e}");
}

#[test]
fn a_hold_stripe_does_not_know_is_released_and_keeps_no_other_waiting() {
    let stripe = StripeDouble::start();
    let edge = start(&stripe, true);
    let first = find_slot(&base(&edge), 8, 1, 12);
    let second = find_slot(&base(&edge), 8, 1, 13);
    let unknown = reserve(&edge, &first, 1).json()["stripeCheckoutSessionId"]
        .as_str()
        .unwrap()
        .to_string();
    let known = reserve(&edge, &second, 1).json()["stripeCheckoutSessionId"]
        .as_str()
        .unwrap()
        .to_string();
    // Made under another key (a test key before the switch to a live one): Stripe answers 404 for it.
    stripe.forget_session(&unknown);
    // Both end with their holds: the unknown one can never be paid, and the known one is not held up by it.
    assert_eq!(
        wait_for_status(&edge, &unknown, "cancelled")["paymentStatus"],
        "expired"
    );
    assert_eq!(wait_for_status(&edge, &known, "cancelled")["paymentStatus"], "expired");
    assert_eq!(
        places_left(&base(&edge), 8, &first),
        first["available"].as_u64().unwrap()
    );
    assert_eq!(
        places_left(&base(&edge), 8, &second),
        second["available"].as_u64().unwrap()
    );
    assert_eq!(
        stripe.session(&known)["status"],
        "expired",
        "the known session expired at Stripe"
    );
}

#[test]
fn a_hold_stripe_fails_for_stays_held_and_keeps_no_other_waiting() {
    let stripe = StripeDouble::start();
    let edge = start(&stripe, true);
    let first = find_slot(&base(&edge), 8, 1, 14);
    let second = find_slot(&base(&edge), 8, 1, 15);
    let (failing_id, failing) = held(&edge, &first, 1);
    let (_, known) = held(&edge, &second, 1);
    // Stripe fails every call about the first session: it may have been paid, so its place stays held.
    stripe.fail_session(&failing);
    assert_eq!(wait_for_status(&edge, &known, "cancelled")["paymentStatus"], "expired");
    assert_eq!(
        places_left(&base(&edge), 8, &second),
        second["available"].as_u64().unwrap(),
        "the other hold released"
    );
    let log_line = format!("\"hold\":{failing_id}");
    slotbook_tests::wait_until("the failing hold's error logged", 20, || {
        edge.log().contains(&log_line).then_some(())
    });
    let s = status(&edge, &failing);
    assert_eq!(
        (s["status"].as_str(), s["paymentStatus"].as_str()),
        (Some("pending_payment"), Some("pending"))
    );
    assert_eq!(
        places_left(&base(&edge), 8, &first),
        first["available"].as_u64().unwrap() - 1,
        "its place still held"
    );
}

#[test]
fn test_only_settings_are_ignored_with_a_live_key() {
    let stripe = StripeDouble::start();
    // Every shortcut a test may take, on a deploy with a live key: none of them may apply.
    let edge = slotbook_tests::Edge::start_with(&[
        ("STRIPE_SECRET_KEY", "sk_live_double_key"),
        ("STRIPE_API_BASE", stripe.base.as_str()),
        ("HOLD_SECONDS_OVERRIDE", "8"),
        ("FOLLOW_UP_RETRY_SECONDS", "1"),
        ("TEST_CHECKOUT", "true"),
    ]);
    let mut doc = document_for("stripe-spa");
    doc["allowedOrigins"] = json!(["https://acme.example"]);
    doc["holdMinutes"] = json!(30);
    assert_eq!(edge.import("stripe-spa", &doc).status, 200);
    let slot = find_slot(&base(&edge), 8, 1, 0);
    let r = reserve(&edge, &slot, 1);
    assert_eq!(r.status, 201, "{}", r.body);
    let r = r.json();
    // The organisation's 30 minutes, not the override's 8 seconds.
    let expires = slotbook_core::time::Timestamp::parse(r["paymentData"]["expiresAt"].as_str().unwrap()).unwrap();
    assert!(expires.0 >= now() + 29 * 60, "the hold ends at {expires}");
    // Stripe's Checkout, not the edge's test checkout.
    let checkout = r["checkoutUrl"].as_str().unwrap();
    assert!(!checkout.contains("/api/test-checkout/"), "{checkout}");
    assert!(stripe.requests().iter().any(|q| q.path == "/v1/checkout/sessions"));
    let page = http::get(&edge.url("/api/test-checkout/cs_test_local_00ff_stripe-spa")).unwrap();
    assert_eq!(page.status, 404, "no test checkout with a live key");
}

#[test]
fn a_session_expiry_stripe_refuses_is_tried_again_until_it_is_done() {
    let stripe = StripeDouble::start();
    let edge = slotbook_tests::Edge::start_with(&[
        ("STRIPE_SECRET_KEY", "sk_test_double_key"),
        ("STRIPE_API_BASE", stripe.base.as_str()),
        ("FOLLOW_UP_RETRY_SECONDS", "1"),
    ]);
    let mut doc = document_for("stripe-spa");
    doc["allowedOrigins"] = json!(["https://acme.example"]);
    assert_eq!(edge.import("stripe-spa", &doc).status, 200);
    let slot = find_slot(&base(&edge), 8, 1, 0);
    let (id, session) = held(&edge, &slot, 1);
    // Stripe fails every call about this session for a while; meanwhile staff cancel the hold.
    stripe.fail_session(&session);
    let key = format!("Bearer {}", slotbook_tests::staff_key("stripe-spa"));
    let cancelled = http::send(
        "PATCH",
        &edge.url(&format!("/api/reservations/{id}")),
        Some(r#"{"status":"cancelled"}"#),
        &[("Authorization", &key)],
    )
    .unwrap();
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    let expiries = || {
        stripe
            .requests()
            .iter()
            .filter(|q| q.path == format!("/v1/checkout/sessions/{session}/expire"))
            .count()
    };
    slotbook_tests::wait_until("the expiry tried again", 20, || (expiries() >= 2).then_some(()));
    assert_eq!(
        stripe.session(&session)["status"],
        "open",
        "not expired while Stripe fails"
    );
    stripe.heal_session(&session);
    slotbook_tests::wait_until("the session expired at Stripe", 20, || {
        (stripe.session(&session)["status"] == "expired").then_some(())
    });
    // Done: no more calls about it.
    let after = expiries();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(expiries(), after, "an expired session is not asked again");
}
