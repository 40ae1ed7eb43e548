//! Webhooks out: a venue's endpoint hears of each booking change, signed like Stripe's events, delivered at
//! least once from the organisation's Durable Object with retries (here a receiving stand-in that fails the
//! first attempts), and staff can see how each delivery went. The endpoint's secret appears in no answer.

use serde_json::{json, Value};
use slotbook_core::stripe::verify;
use slotbook_tests::booking::{find_slot, now};
use slotbook_tests::double::{Recorded, Server};
use slotbook_tests::http;
use slotbook_tests::{document_for, staff_key, wait_until, Edge};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "whsec_venue_endpoint_0123456789abcdef";
const BROKEN_SECRET: &str = "whsec_broken_endpoint_0123456789abcdef";

/// An endpoint that fails the first `failures` attempts of every event, then accepts.
fn receiver(failures: usize) -> Server {
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    Server::start(move |r: &Recorded| {
        let event = r.headers.get("slotbook-event-id").cloned().unwrap_or_default();
        let mut seen = seen.lock().unwrap();
        let n = seen.entry(event).or_default();
        *n += 1;
        if *n <= failures {
            (500, r#"{"error":"try later"}"#.into())
        } else {
            (200, "{}".into())
        }
    })
}

/// The organisation's webhook deliveries as its staff see them (`GET /api/webhook-deliveries`).
fn deliveries_answer(edge: &Edge, slug: &str) -> http::Answer {
    let key = format!("Bearer {}", staff_key(slug));
    http::send(
        "GET",
        &edge.url("/api/webhook-deliveries"),
        None,
        &[("Authorization", &key)],
    )
    .unwrap()
}

fn deliveries(edge: &Edge, slug: &str) -> Vec<Value> {
    deliveries_answer(edge, slug).json()["data"].as_array().unwrap().clone()
}

fn events(r: &Server) -> Vec<(Recorded, Value)> {
    r.requests()
        .into_iter()
        .map(|q| {
            let v: Value = serde_json::from_slice(&q.body).unwrap();
            (q, v)
        })
        .collect()
}

#[test]
fn a_venue_hears_of_every_change_signed_retried_and_listed() {
    let good = receiver(2);
    let broken = Server::start(|_| (503, "{}".into()));
    let edge = Edge::start_with(&[("WEBHOOK_RETRY_SECONDS", "1")]);
    let mut doc = document_for("hook-spa");
    doc["webhooks"] = json!([{"url": format!("{}/hooks/slotbook", good.base), "secret": SECRET},
                             {"url": format!("{}/down", broken.base), "secret": BROKEN_SECRET}]);
    doc["cancellationNoticeHours"] = json!(0);
    let imported = edge.import("hook-spa", &doc);
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert!(!imported.body.contains(SECRET));
    let base = edge.url("/api/public/booking/organisations/hook-spa");

    let slot = find_slot(&base, 10, 1, 0);
    let body = json!({"resourceTypeId": 10, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
        "customerName": "Hugo Hook", "customerEmail": "hugo@example.com", "customerPhone": "+36301112222"});
    let r = http::post_json(&format!("{base}/reserve"), &body);
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["reservationId"].as_i64().unwrap();
    let manage = r.json()["manageUrl"].as_str().unwrap().to_string();

    // Created and confirmed (a free booking is both), each failed twice and then accepted.
    let got = wait_until("created and confirmed, delivered", 30, || {
        let e = events(&good);
        let accepted = |kind: &str| e.iter().filter(|(_, v)| v["type"] == kind).count() >= 3;
        (accepted("reservation.created") && accepted("reservation.confirmed")).then_some(e)
    });
    for kind in ["reservation.created", "reservation.confirmed"] {
        let attempts: Vec<&(Recorded, Value)> = got.iter().filter(|(_, v)| v["type"] == kind).collect();
        assert_eq!(attempts.len(), 3, "{kind}: two failures, then delivered, then no more");
        let first = &attempts[0].1;
        assert!(first["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(first["organisation"], "hook-spa");
        assert_eq!(first["data"]["reservation"]["id"], id);
        assert_eq!(first["data"]["reservation"]["customerInfo"]["name"], "Hugo Hook");
        for (q, v) in &attempts {
            assert_eq!(
                v["id"], first["id"],
                "the same event id on every attempt, to de-duplicate by"
            );
            assert_eq!(
                q.headers.get("slotbook-event-id").map(String::as_str),
                first["id"].as_str()
            );
            let signature = q.headers.get("slotbook-signature").expect("signed");
            let t = verify(Some(signature), &q.body, &[SECRET], now()).unwrap_or_else(|e| panic!("{e:?}: {signature}"));
            assert!((now() - t).abs() < 60);
            assert!(verify(Some(signature), &q.body, &["whsec_other_secret_0000000000"], now()).is_err());
        }
    }
    assert_eq!(
        got.iter()
            .find(|(_, v)| v["type"] == "reservation.confirmed")
            .unwrap()
            .1["data"]["reservation"]["status"],
        "confirmed"
    );

    // Moved, then cancelled by the customer.
    let other = find_slot(&base, 10, 1, 5);
    assert_eq!(
        http::post_json(
            &format!("{manage}/reschedule"),
            &json!({"startTime": other["startTime"], "endTime": other["endTime"]})
        )
        .status,
        200
    );
    assert_eq!(http::post_json(&format!("{manage}/cancel"), &json!({})).status, 200);
    let got = wait_until("rescheduled and cancelled, delivered", 30, || {
        let e = events(&good);
        let accepted = |kind: &str| e.iter().filter(|(_, v)| v["type"] == kind).count() >= 3;
        (accepted("reservation.rescheduled") && accepted("reservation.cancelled")).then_some(e)
    });
    let moved = &got
        .iter()
        .find(|(_, v)| v["type"] == "reservation.rescheduled")
        .unwrap()
        .1;
    assert_eq!(moved["data"]["reservation"]["startTime"], other["startTime"]);
    let cancelled = &got
        .iter()
        .find(|(_, v)| v["type"] == "reservation.cancelled")
        .unwrap()
        .1;
    assert_eq!(cancelled["data"]["reservation"]["status"], "cancelled");

    // Staff see each delivery; the endpoint that never answers 2xx is given up after its attempts.
    let deliveries = wait_until("the broken endpoint's deliveries to fail", 60, || {
        let d = deliveries(&edge, "hook-spa");
        d.iter()
            .filter(|x| x["url"].as_str().unwrap().ends_with("/down"))
            .all(|x| x["status"] == "failed")
            .then_some(d)
    });
    let answer = deliveries_answer(&edge, "hook-spa");
    assert!(
        !answer.body.contains(SECRET) && !answer.body.contains(BROKEN_SECRET),
        "no secret in any answer"
    );
    let to_good: Vec<&Value> = deliveries
        .iter()
        .filter(|d| d["url"].as_str().unwrap().ends_with("/hooks/slotbook"))
        .collect();
    assert_eq!(to_good.len(), 4);
    for d in &to_good {
        assert_eq!(
            (d["status"].as_str(), d["attempts"].as_i64(), d["lastStatus"].as_i64()),
            (Some("delivered"), Some(3), Some(200)),
            "{d}"
        );
    }
    let to_broken: Vec<&Value> = deliveries
        .iter()
        .filter(|d| d["url"].as_str().unwrap().ends_with("/down"))
        .collect();
    assert_eq!(to_broken.len(), 4);
    for d in &to_broken {
        assert_eq!(
            (d["attempts"].as_i64(), d["lastStatus"].as_i64()),
            (Some(12), Some(503)),
            "{d}"
        );
    }
    assert_eq!(broken.requests().len(), 4 * 12);
    for path in ["", "/availability?date=2030-01-01&resourceTypeId=10"] {
        assert!(!http::get(&format!("{base}{path}")).unwrap().body.contains(SECRET));
    }
    let key = format!("Bearer {}", staff_key("hook-spa"));
    let staff = http::send("GET", &edge.url("/api/reservations"), None, &[("Authorization", &key)]).unwrap();
    assert!(!staff.body.contains(SECRET));
    // Documents are checked: an http endpoint elsewhere than this machine, or a short secret, is refused.
    doc["webhooks"] = json!([{"url": "http://venue.example/hook", "secret": SECRET}]);
    assert_eq!(
        edge.import("hook-spa", &doc).json()["error"]["param"],
        "webhooks[0].url"
    );
    doc["webhooks"] = json!([{"url": "https://venue.example/hook", "secret": "short"}]);
    assert_eq!(
        edge.import("hook-spa", &doc).json()["error"]["param"],
        "webhooks[0].secret"
    );
    // An address instead of a name could point deliveries into a network the venue does not own.
    doc["webhooks"] = json!([{"url": "https://10.0.0.7/hook", "secret": SECRET}]);
    assert_eq!(
        edge.import("hook-spa", &doc).json()["error"]["param"],
        "webhooks[0].url"
    );
}

#[test]
fn a_redirecting_endpoint_is_not_followed() {
    let elsewhere = receiver(0);
    let target = format!("{}/collect", elsewhere.base);
    let redirecting = Server::start(move |_| (307, target.clone()));
    let edge = Edge::start_with(&[("WEBHOOK_RETRY_SECONDS", "1")]);
    let mut doc = document_for("redirect-spa");
    doc["webhooks"] = json!([{"url": format!("{}/hooks/slotbook", redirecting.base), "secret": SECRET}]);
    assert_eq!(edge.import("redirect-spa", &doc).status, 200);
    let base = edge.url("/api/public/booking/organisations/redirect-spa");
    let slot = find_slot(&base, 10, 1, 0);
    let body = json!({"resourceTypeId": 10, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
        "customerName": "Rita Redirect", "customerEmail": "rita@example.com", "customerPhone": "+36301112222"});
    assert_eq!(http::post_json(&format!("{base}/reserve"), &body).status, 201);
    // Each attempt meets the 307 and counts as failed; the signed body never reaches the other URL.
    let listed = wait_until("attempts answered 307", 30, || {
        let d = deliveries(&edge, "redirect-spa");
        (d.len() == 2 && d.iter().all(|x| x["attempts"].as_i64() >= Some(2))).then_some(d)
    });
    for d in &listed {
        assert_eq!(d["lastStatus"], 307, "{d}");
        assert_ne!(d["status"], "delivered", "{d}");
    }
    assert!(redirecting.requests().len() >= 4);
    assert!(
        elsewhere.requests().is_empty(),
        "followed the redirect: {:?}",
        elsewhere.requests()
    );
}

#[test]
fn deliveries_that_ended_are_kept_only_so_long() {
    let good = receiver(0);
    let edge = Edge::start_with(&[("WEBHOOK_KEEP_SECONDS", "2")]);
    let mut doc = document_for("keep-spa");
    doc["webhooks"] = json!([{"url": format!("{}/hooks/slotbook", good.base), "secret": SECRET}]);
    assert_eq!(edge.import("keep-spa", &doc).status, 200);
    let base = edge.url("/api/public/booking/organisations/keep-spa");
    let listed = || deliveries(&edge, "keep-spa");
    let book = |nth: usize| {
        let slot = find_slot(&base, 10, 1, nth);
        let body = json!({"resourceTypeId": 10, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
            "customerName": "Kim Keep", "customerEmail": "kim@example.com", "customerPhone": "+36301112222"});
        let r = http::post_json(&format!("{base}/reserve"), &body);
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["reservationId"].as_i64().unwrap()
    };
    let delivered = |id: i64| move |d: &Value| d["reservationId"] == id && d["status"] == "delivered";
    let first = book(0);
    wait_until("the first booking's events delivered", 30, || {
        (listed().iter().filter(|d| delivered(first)(d)).count() == 2).then_some(())
    });
    std::thread::sleep(Duration::from_secs(3));
    // The next deliveries' run deletes what ended before the keeping time; what is new stays.
    let second = book(1);
    let now_listed = wait_until("the second booking's events delivered", 30, || {
        let d = listed();
        (d.iter().filter(|x| delivered(second)(x)).count() == 2).then_some(d)
    });
    assert!(
        now_listed.iter().all(|d| d["reservationId"] == second),
        "{now_listed:?}"
    );
    assert_eq!(
        good.requests().len(),
        4,
        "every event was delivered before it was deleted"
    );
}

#[test]
fn an_endpoint_that_hangs_is_given_up_after_ten_seconds_and_tried_again() {
    // The first delivery hangs for 20 s before answering; every later one is answered at once.
    let times: Arc<Mutex<Vec<(String, std::time::Instant)>>> = Arc::default();
    let seen = times.clone();
    let hanging = Server::start(move |r: &Recorded| {
        let event = r.headers.get("slotbook-event-id").cloned().unwrap_or_default();
        let first = {
            let mut t = seen.lock().unwrap();
            t.push((event, std::time::Instant::now()));
            t.len() == 1
        };
        if first {
            std::thread::sleep(Duration::from_secs(20));
        }
        (200, "{}".into())
    });
    let edge = Edge::start_with(&[("WEBHOOK_RETRY_SECONDS", "1")]);
    let mut doc = document_for("hang-spa");
    doc["webhooks"] = json!([{"url": format!("{}/hooks", hanging.base), "secret": SECRET}]);
    assert_eq!(edge.import("hang-spa", &doc).status, 200);
    let base = edge.url("/api/public/booking/organisations/hang-spa");
    let slot = find_slot(&base, 10, 1, 0);
    let body = json!({"resourceTypeId": 10, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
        "customerName": "Hank Hang", "customerEmail": "hank@example.com", "customerPhone": "+36301112222"});
    assert_eq!(http::post_json(&format!("{base}/reserve"), &body).status, 201);
    let created = wait_until("the created event delivered on a later attempt", 40, || {
        let d = deliveries(&edge, "hang-spa");
        d.into_iter()
            .find(|x| x["type"] == "reservation.created" && x["status"] == "delivered")
    });
    assert!(created["attempts"].as_i64() >= Some(2), "{created}");
    // The hung event's next attempt came after the 10 s the edge waits, long before the endpoint answered.
    // The edge counts its 10 s in the runtime's clock, which stands still while code runs: from the start
    // of the attempt, before its request reaches the endpoint (milliseconds later, more on a busy machine).
    // Hence the margin below 10 s.
    let t = times.lock().unwrap().clone();
    let again = t
        .iter()
        .skip(1)
        .find(|(event, _)| *event == t[0].0)
        .expect("a second attempt");
    let gap = again.1.duration_since(t[0].1);
    assert!(
        gap >= Duration::from_millis(9_500) && gap < Duration::from_secs(20),
        "given up at 10 s, not waited out: {gap:?}"
    );
}
