//! Rate limits: per client IP through the Workers Rate Limiting bindings (simulated by wrangler dev), and
//! an organisation's reserves counted exactly in its Durable Object.

use serde_json::json;
use slotbook_tests::booking::{find_slot, now};
use slotbook_tests::http;
use slotbook_tests::{document_for, Edge};
use std::sync::OnceLock;

fn edge() -> &'static Edge {
    static EDGE: OnceLock<Edge> = OnceLock::new();
    EDGE.get_or_init(|| {
        let e = Edge::start_with(&[("RESERVES_PER_ORGANISATION_PER_MINUTE", "3")]);
        assert_eq!(e.import("limit-spa", &document_for("limit-spa")).status, 200);
        e
    })
}

fn base() -> String {
    edge().url("/api/public/booking/organisations/limit-spa")
}

#[test]
fn one_client_reserving_too_often_is_told_to_wait() {
    let url = format!("{}/reserve", base());
    let statuses: Vec<u16> = (0..25)
        .map(|_| http::send("POST", &url, Some("{}"), &[("CF-Connecting-IP", "203.0.113.7")]).unwrap().status)
        .collect();
    assert!(statuses.iter().take(20).all(|s| *s == 400), "the first 20 reach validation: {statuses:?}");
    let limited = http::send("POST", &url, Some("{}"), &[("CF-Connecting-IP", "203.0.113.7")]).unwrap();
    limited.error(429, "rate_limited");
    assert_eq!(limited.header("retry-after"), Some("60"));
    // Another client is not affected.
    assert_eq!(http::send("POST", &url, Some("{}"), &[("CF-Connecting-IP", "203.0.113.99")]).unwrap().status, 400);
}

#[test]
fn one_client_reading_too_often_is_told_to_wait() {
    let url = base();
    let limited = (0..320)
        .map(|_| http::send("GET", &url, None, &[("CF-Connecting-IP", "198.51.100.4")]).unwrap())
        .find(|a| a.status == 429)
        .expect("a 429 within 320 reads");
    limited.error(429, "rate_limited");
    assert_eq!(http::send("GET", &url, None, &[("CF-Connecting-IP", "198.51.100.5")]).unwrap().status, 200);
}

#[test]
fn an_organisation_takes_only_so_many_reserves_a_minute() {
    // Stay inside one minute window.
    let second = now() % 60;
    if second > 50 {
        std::thread::sleep(std::time::Duration::from_secs((61 - second) as u64));
    }
    let slot = find_slot(&base(), 10, 4, 0);
    let body = json!({"resourceTypeId": 10, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
        "customerName": "Many", "customerEmail": "many@example.com", "customerPhone": "+36301112222"});
    let answers: Vec<_> = (0..4).map(|_| http::post_json(&format!("{}/reserve", base()), &body)).collect();
    assert_eq!(answers.iter().filter(|a| a.status == 201).count(), 3);
    let e = answers[3].error(429, "rate_limited");
    assert!(e["message"].as_str().unwrap().contains("Too many requests"));
    let wait: u64 = answers[3].header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
}
