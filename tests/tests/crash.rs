//! Crash safety of reserves with an Idempotency-Key: the runtime is killed (SIGKILL on `wrangler dev`)
//! while concurrent reserves are in flight, free ones and paid ones (whose Checkout Session Stripe is slow to
//! create, so they are caught between writing the reservation and answering). On the same state, every
//! unanswered request is retried with its key. Then: every acknowledged reservation is there, no request
//! made two, no place is oversold, and each paid reservation has one Checkout Session.

use serde_json::{json, Value};
use slotbook_tests::booking::find_slot;
use slotbook_tests::http::{self, Answer};
use slotbook_tests::stripe_double::StripeDouble;
use slotbook_tests::{document_for, staff_key, Edge};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

struct Attempt {
    key: String,
    body: String,
}

fn attempt(n: usize, type_id: i64, slot: &Value) -> Attempt {
    let name = format!("Crash {n}");
    let body = json!({"resourceTypeId": type_id, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
        "customerName": name, "customerEmail": format!("crash{n}@example.com"), "customerPhone": "+36301112222"});
    Attempt {
        key: format!("crash-key-{n}"),
        body: body.to_string(),
    }
}

fn send(url: &str, a: &Attempt) -> Option<Answer> {
    http::send("POST", url, Some(&a.body), &[("Idempotency-Key", &a.key)]).ok()
}

#[test]
fn a_crash_mid_reserve_loses_nothing_and_books_nothing_twice() {
    let stripe = StripeDouble::start();
    stripe.slow_down_creates(2500);
    let mut edge = Edge::start_with(&[
        ("STRIPE_SECRET_KEY", "sk_test_crash"),
        ("STRIPE_API_BASE", &stripe.base),
    ]);
    assert_eq!(edge.import("crash-spa", &document_for("crash-spa")).status, 200);
    let base = edge.url("/api/public/booking/organisations/crash-spa");
    let sauna = find_slot(&base, 10, 8, 0);
    let massages: Vec<Value> = (0..3).map(|i| find_slot(&base, 8, 3, i)).collect();
    // 20 attempts for 8 sauna places, 12 for 9 massage rooms (3 slots of 3).
    let mut attempts: Vec<(Attempt, &str)> = (0..20).map(|n| (attempt(n, 10, &sauna), "sauna")).collect();
    attempts.extend((0..12).map(|n| (attempt(100 + n, 8, &massages[n % 3]), "massage")));

    let url = format!("{base}/reserve");
    let answers: Vec<Option<Answer>> = std::thread::scope(|scope| {
        let handles: Vec<_> = attempts.iter().map(|(a, _)| scope.spawn(|| send(&url, a))).collect();
        // Free reserves are answered within moments; paid ones wait for Stripe. Kill the runtime between.
        std::thread::sleep(Duration::from_millis(1200));
        edge.kill();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let acknowledged: HashMap<String, i64> = attempts
        .iter()
        .zip(&answers)
        .filter_map(|((a, _), r)| {
            r.as_ref()
                .filter(|r| r.status == 201)
                .map(|r| (a.key.clone(), r.json()["reservationId"].as_i64().unwrap()))
        })
        .collect();
    let unanswered: Vec<&Attempt> = attempts
        .iter()
        .zip(&answers)
        .filter(|(_, r)| r.is_none())
        .map(|((a, _), _)| a)
        .collect();
    assert!(!acknowledged.is_empty(), "some reserves were answered before the crash");
    assert!(!unanswered.is_empty(), "some reserves were in flight at the crash");

    edge.restart();
    let base = edge.url("/api/public/booking/organisations/crash-spa");
    let url = format!("{base}/reserve");
    let mut booked: HashMap<String, i64> = acknowledged.clone();
    for a in &unanswered {
        let r = send(&url, a).expect("the restarted edge answers");
        match r.status {
            201 => {
                let r = r.json();
                if r["requiresPayment"] == true {
                    assert!(
                        r["paymentData"]["checkoutUrl"].is_string(),
                        "a resumed paid reserve gets its checkout: {r}"
                    );
                }
                booked.insert(a.key.clone(), r["reservationId"].as_i64().unwrap());
            }
            409 => assert_eq!(r.json()["error"]["code"], "slot_unavailable", "{}", r.body),
            other => panic!("retry of {} answered {other}: {}", a.key, r.body),
        }
    }
    // Acknowledged answers are given again, unchanged, for their keys.
    for (a, _) in &attempts {
        if let Some(id) = acknowledged.get(&a.key) {
            let again = send(&url, a).unwrap();
            assert_eq!(
                (again.status, again.json()["reservationId"].as_i64()),
                (201, Some(*id)),
                "{}",
                again.body
            );
        }
    }

    let list = http::send(
        "GET",
        &edge.url("/api/reservations"),
        None,
        &[("Authorization", &format!("Bearer {}", staff_key("crash-spa")))],
    )
    .unwrap();
    assert_eq!(list.status, 200, "{}", list.body);
    let all = list.json()["data"].as_array().unwrap().clone();
    let ids: HashSet<i64> = all.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    for (key, id) in &acknowledged {
        assert!(
            ids.contains(id),
            "acknowledged reservation {id} ({key}) survived the crash"
        );
    }
    // No request made two: one reservation per customer, and one per key that was answered 201.
    let mut per_name: HashMap<String, usize> = HashMap::new();
    for r in &all {
        *per_name
            .entry(r["customerInfo"]["name"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert!(
        per_name.values().all(|n| *n == 1),
        "a request booked twice: {per_name:?}"
    );
    let held: Vec<&Value> = all
        .iter()
        .filter(|r| ["confirmed", "pending_payment"].contains(&r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        held.len(),
        booked.len(),
        "every reservation that holds places was answered to its request"
    );
    // No place oversold.
    let sauna_held: u64 = held
        .iter()
        .filter(|r| r["resourceTypeId"] == 10)
        .map(|r| r["quantity"].as_u64().unwrap())
        .sum();
    assert!(sauna_held <= 8, "sauna oversold: {sauna_held}");
    for m in &massages {
        let rooms = held
            .iter()
            .filter(|r| r["resourceTypeId"] == 8 && r["startTime"] == m["startTime"])
            .count();
        assert!(rooms <= 3, "massage at {} oversold: {rooms}", m["startTime"]);
    }
    // Each paid reservation has exactly one Checkout Session at Stripe.
    let paid: Vec<&&Value> = held.iter().filter(|r| r["resourceTypeId"] == 8).collect();
    assert!(!paid.is_empty());
    let creates: Vec<String> = stripe
        .requests()
        .iter()
        .filter(|q| q.path == "/v1/checkout/sessions")
        .map(|q| q.headers["idempotency-key"].clone())
        .collect();
    for r in &paid {
        assert!(r["stripeCheckoutSessionId"].is_string(), "{r}");
        let key = format!("checkout-crash-spa-{}", r["id"]);
        assert!(creates.contains(&key), "session created with the reservation's key");
    }
    let sessions: HashSet<&str> = paid
        .iter()
        .map(|r| r["stripeCheckoutSessionId"].as_str().unwrap())
        .collect();
    assert_eq!(sessions.len(), paid.len(), "one session each");
}
