//! Proxy mode (`UPSTREAM_URL` set) against a stand-in for a venue's booking backend.

use serde_json::json;
use slotbook_core::stripe::sign;
use slotbook_tests::double::{Recorded, Server};
use slotbook_tests::http;
use slotbook_tests::{Edge, WEBHOOK_SECRET};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

struct Setup {
    edge: Edge,
    upstream: Server,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let webhook_calls = Arc::new(AtomicUsize::new(0));
        let flaky_reads = Arc::new(AtomicUsize::new(0));
        let upstream = Server::start(move |r: &Recorded| {
            let path = r.path.split('?').next().unwrap_or_default().to_string();
            match (r.method.as_str(), path.as_str()) {
                ("GET", "/api/public/booking/organisations/acme-spa") => (200, json!({"organisation": {"slug": "acme-spa"}, "resourceTypes": []}).to_string()),
                ("GET", "/api/public/booking/organisations/acme-spa/availability") => (200, json!({"slots": []}).to_string()),
                ("GET", "/api/public/booking/organisations/big-day/availability") => (200, big_day()),
                ("POST", "/api/public/booking/organisations/acme-spa/reserve") => (201, json!({"reservationId": 77, "status": "confirmed"}).to_string()),
                ("GET", "/api/public/booking/organisations/broken") => (500, json!({"statusCode": 500, "message": "Internal server error"}).to_string()),
                ("GET", "/api/public/booking/organisations/nest-400/availability") => {
                    (400, json!({"statusCode": 400, "message": ["date must be a valid ISO 8601 date string"], "error": "Bad Request"}).to_string())
                }
                ("GET", "/api/public/booking/organisations/taken/availability") => (409, json!({"error": {"type": "resource_conflict_error",
                    "code": "class_full", "message": "The class is full", "request_id": "req_upstream"}}).to_string()),
                // The connection drops before any answer: once for a read, every time for a reserve.
                ("GET", "/api/public/booking/organisations/flaky") => {
                    if flaky_reads.fetch_add(1, Ordering::SeqCst) == 0 { (0, String::new()) } else { (200, json!({"organisation": {"slug": "flaky"}, "resourceTypes": []}).to_string()) }
                }
                ("POST", "/api/public/booking/organisations/flaky/reserve") => (0, String::new()),
                ("GET", "/api/public/booking/organisations/slow") => {
                    std::thread::sleep(std::time::Duration::from_secs(3));
                    (200, "{}".to_string())
                }
                ("POST", "/api/payments/stripe/webhook") => {
                    // The first delivery fails, as a backend in trouble would; later ones succeed.
                    if webhook_calls.fetch_add(1, Ordering::SeqCst) == 0 { (500, r#"{"message":"down"}"#.into()) } else { (200, r#"{"received":true}"#.into()) }
                }
                _ => (404, json!({"statusCode": 404, "message": "Not Found"}).to_string()),
            }
        });
        let edge = Edge::start_with(&[("UPSTREAM_URL", upstream.base.as_str()), ("UPSTREAM_TIMEOUT_MS", "1000")]);
        Setup { edge, upstream }
    })
}

/// A day's availability far larger than one network read (about 400 KB).
fn big_day() -> String {
    let slots: Vec<_> = (0..3000)
        .map(|i| json!({"startTime": format!("2030-04-01T{:02}:{:02}:00.000Z", i / 60 % 24, i % 60), "endTime": "2030-04-01T23:59:00.000Z",
            "available": i % 7, "resources": [{"id": i, "name": format!("Court {i} – Ünnep")}]}))
        .collect();
    json!({"date": "2030-04-01", "timeZone": "Europe/Budapest", "resourceTypeId": 8, "slots": slots}).to_string()
}

fn requests_to(path: &str) -> Vec<Recorded> {
    setup()
        .upstream
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with(path))
        .collect()
}

#[test]
fn public_calls_are_forwarded_with_only_the_allowed_headers() {
    let s = setup();
    let body = r#"{"resourceTypeId":8,"startTime":"2030-04-01T08:00:00.000Z","endTime":"2030-04-01T09:00:00.000Z","quantity":1,"customerName":"May","customerEmail":"may@example.com","customerPhone":"+36301112222"}"#;
    let a = http::send(
        "POST",
        &s.edge.url("/api/public/booking/organisations/acme-spa/reserve"),
        Some(body),
        &[
            ("Idempotency-Key", "key-1"),
            ("Accept-Language", "de"),
            ("Cookie", "session=secret"),
            ("X-Custom", "1"),
            ("Referer", "https://venue.example/private?token=abc"),
            ("X-Forwarded-Host", "evil.example"),
            ("Forwarded", "for=6.6.6.6;host=evil.example"),
            ("X-Real-IP", "6.6.6.6"),
            ("Proxy-Authorization", "Basic c2VjcmV0"),
        ],
    )
    .unwrap();
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.json()["reservationId"], 77);
    // Tests share the upstream: find this request by its key.
    let sent: Vec<Recorded> = requests_to("/api/public/booking/organisations/acme-spa/reserve")
        .into_iter()
        .filter(|r| r.headers.get("idempotency-key").map(String::as_str) == Some("key-1"))
        .collect();
    assert_eq!(sent.len(), 1);
    let r = &sent[0];
    assert_eq!(r.text(), body, "the body goes unchanged");
    assert_eq!(r.headers.get("idempotency-key").map(String::as_str), Some("key-1"));
    assert_eq!(r.headers.get("accept-language").map(String::as_str), Some("de"));
    assert_eq!(
        r.headers.get("x-request-id").map(String::as_str),
        a.header("x-request-id")
    );
    // Only the allowed headers (README, Modes), and what HTTP itself needs to carry the request.
    const FORWARDED: &[&str] = &[
        "content-type",
        "accept",
        "accept-language",
        "authorization",
        "idempotency-key",
        "user-agent",
        "x-forwarded-for",
        "x-request-id",
    ];
    // …and `CF-Worker`, which the platform adds to every request a Worker makes.
    const TRANSPORT: &[&str] = &["host", "content-length", "connection", "accept-encoding", "cf-worker"];
    let extra: Vec<&String> = r
        .headers
        .keys()
        .filter(|k| !FORWARDED.contains(&k.as_str()) && !TRANSPORT.contains(&k.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "headers the upstream should not get: {extra:?} of {:?}",
        r.headers
    );

    let q = http::get(
        &s.edge
            .url("/api/public/booking/organisations/acme-spa/availability?date=2030-04-01&resourceTypeId=8"),
    )
    .unwrap();
    assert_eq!(q.status, 200);
    assert!(requests_to("/api/public/booking/organisations/acme-spa/availability")
        .iter()
        .any(|r| r.path.ends_with("?date=2030-04-01&resourceTypeId=8")));
}

#[test]
fn a_large_answer_streams_through_unchanged() {
    let s = setup();
    let a = http::get(
        &s.edge
            .url("/api/public/booking/organisations/big-day/availability?date=2030-04-01&resourceTypeId=8"),
    )
    .unwrap();
    assert_eq!(a.status, 200);
    let expected = big_day();
    assert!(expected.len() > 300_000);
    assert_eq!(a.body.len(), expected.len());
    assert!(
        a.body == expected,
        "the answer arrives byte for byte as the upstream sent it"
    );
    assert!(a
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json")));
    assert!(
        a.header("x-request-id").is_some_and(|id| id.starts_with("req_")),
        "with the edge's own headers"
    );
}

#[test]
fn bad_input_is_refused_before_the_upstream_sees_it() {
    let s = setup();
    let a = http::send(
        "POST",
        &s.edge.url("/api/public/booking/organisations/acme-spa/reserve"),
        Some(r#"{"resourceTypeId":8}"#),
        &[],
    )
    .unwrap();
    assert_eq!(a.error(400, "validation_error")["param"], "startTime");
    let a = http::get(
        &s.edge
            .url("/api/public/booking/organisations/acme-spa/availability?date=soon&resourceTypeId=8"),
    )
    .unwrap();
    assert_eq!(a.error(400, "validation_error")["param"], "date");
    // Other tests share the upstream: look for these two requests, not at the count.
    let leaked = s
        .upstream
        .requests()
        .into_iter()
        .any(|r| r.text() == r#"{"resourceTypeId":8}"# || r.path.contains("date=soon"));
    assert!(!leaked, "an invalid request reached the upstream");
}

#[test]
fn upstream_errors_of_any_shape_come_back_in_ours() {
    let s = setup();
    http::get(&s.edge.url("/api/public/booking/organisations/broken"))
        .unwrap()
        .error(502, "upstream_unavailable");
    let e = http::get(
        &s.edge
            .url("/api/public/booking/organisations/nest-400/availability?date=2030-04-01&resourceTypeId=8"),
    )
    .unwrap();
    assert_eq!(
        e.error(400, "validation_error")["message"],
        "date must be a valid ISO 8601 date string"
    );
    let e = http::get(
        &s.edge
            .url("/api/public/booking/organisations/taken/availability?date=2030-04-01&resourceTypeId=8"),
    )
    .unwrap();
    let e = e.error(409, "unknown");
    assert_eq!(e["message"], "The class is full");
    assert_ne!(e["request_id"], "req_upstream", "our request id, not theirs");
    http::get(&s.edge.url("/api/public/booking/organisations/slow"))
        .unwrap()
        .error(504, "upstream_timeout");
    http::get(&s.edge.url("/api/public/booking/organisations/missing"))
        .unwrap()
        .error(404, "resource_not_found");
}

#[test]
fn webhooks_are_verified_then_forwarded_until_the_upstream_accepts() {
    let s = setup();
    let url = s.edge.url("/api/payments/stripe/webhook");
    let body = json!({"id": "evt_proxy_1", "type": "checkout.session.completed", "data": {"object": {"id": "cs_up_1", "payment_status": "paid"}}}).to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    http::send(
        "POST",
        &url,
        Some(&body),
        &[("Stripe-Signature", &sign(body.as_bytes(), "whsec_wrong", now))],
    )
    .unwrap()
    .error(400, "invalid_signature");
    assert!(
        requests_to("/api/payments/stripe/webhook").is_empty(),
        "nothing unverified is forwarded"
    );

    let signature = sign(body.as_bytes(), WEBHOOK_SECRET, now);
    let first = http::send("POST", &url, Some(&body), &[("Stripe-Signature", &signature)]).unwrap();
    first.error(500, "upstream_unavailable");
    let second = http::send("POST", &url, Some(&body), &[("Stripe-Signature", &signature)]).unwrap();
    assert_eq!(second.status, 200, "{}", second.body);
    let third = http::send("POST", &url, Some(&body), &[("Stripe-Signature", &signature)]).unwrap();
    assert_eq!((third.status, third.json()["duplicate"].clone()), (200, json!(true)));
    let forwarded = requests_to("/api/payments/stripe/webhook");
    assert_eq!(forwarded.len(), 2, "delivered until accepted, then never again");
    assert_eq!(forwarded[1].text(), body, "raw body unchanged");
    assert_eq!(forwarded[1].headers.get("stripe-signature"), Some(&signature));
}

#[test]
fn a_retried_reserve_reaches_the_upstream_once() {
    let s = setup();
    let url = s.edge.url("/api/public/booking/organisations/acme-spa/reserve");
    let body = r#"{"resourceTypeId":8,"startTime":"2030-05-01T08:00:00Z","endTime":"2030-05-01T09:00:00Z","quantity":1,"customerName":"Ida","customerEmail":"ida@example.com","customerPhone":"+36301112222"}"#;
    let first = http::send("POST", &url, Some(body), &[("Idempotency-Key", "proxy-attempt-1")]).unwrap();
    assert_eq!(first.status, 201, "{}", first.body);
    let again = http::send("POST", &url, Some(body), &[("Idempotency-Key", "proxy-attempt-1")]).unwrap();
    assert_eq!((again.status, again.header("idempotent-replayed")), (201, Some("true")));
    assert_eq!(again.json(), first.json());
    let sent = requests_to("/api/public/booking/organisations/acme-spa/reserve")
        .into_iter()
        .filter(|r| r.text() == body)
        .count();
    assert_eq!(sent, 1, "forwarded once");
    let other = body.replace("\"quantity\":1", "\"quantity\":2");
    http::send("POST", &url, Some(&other), &[("Idempotency-Key", "proxy-attempt-1")])
        .unwrap()
        .error(409, "idempotency_key_reused");
}

#[test]
fn the_catalog_is_kept_briefly_at_the_edge() {
    let s = setup();
    let url = s.edge.url("/api/public/booking/organisations/acme-spa");
    let first = http::get(&url).unwrap();
    let second = http::get(&url).unwrap();
    assert_eq!((first.status, second.status), (200, 200));
    assert_eq!(first.json(), second.json());
    assert_eq!(second.header("x-cache"), Some("HIT"), "{:?}", second.headers);
    assert!(
        second
            .header("x-request-id")
            .is_some_and(|id| Some(id) != first.header("x-request-id")),
        "a fresh request id"
    );
    let fetched = s
        .upstream
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/api/public/booking/organisations/acme-spa")
        .count();
    assert_eq!(fetched, 1);
}

/// The Durable Objects of the Organisation class in the edge's local state (one SQLite file each).
fn organisation_objects(edge: &Edge) -> usize {
    let Ok(kinds) = std::fs::read_dir(edge.state_dir.join("v3/do")) else {
        return 0;
    };
    kinds
        .flatten()
        .filter(|k| k.file_name().to_string_lossy().ends_with("-Organisation"))
        .flat_map(|k| std::fs::read_dir(k.path()).into_iter().flatten().flatten())
        .filter(|f| f.file_name().to_string_lossy().ends_with(".sqlite"))
        .count()
}

#[test]
fn made_up_slugs_create_no_storage() {
    let s = setup();
    let body = json!({"resourceTypeId": 8, "startTime": "2030-04-01T09:00:00Z", "endTime": "2030-04-01T10:00:00Z", "quantity": 1,
        "customerName": "Sam Slug", "customerEmail": "sam@example.com", "customerPhone": "+36301112222"}).to_string();
    let reserve = |slug: &str, key: &str| {
        let url = s.edge.url(&format!("/api/public/booking/organisations/{slug}/reserve"));
        http::send("POST", &url, Some(&body), &[("Idempotency-Key", key)]).unwrap()
    };
    let before = organisation_objects(&s.edge);
    // A thousand names nobody imported, each with a key to keep: four clients at once.
    std::thread::scope(|scope| {
        for t in 0..4 {
            scope.spawn(move || {
                for i in 0..250 {
                    let a = reserve(&format!("made-up-{t}-{i}"), &format!("key-made-up-{t}-{i}-0123456789"));
                    assert_eq!(a.status, 404, "{}", a.body);
                }
            });
        }
    });
    let objects = organisation_objects(&s.edge);
    assert!(
        objects > 0,
        "the keys are kept somewhere: no object found under {}",
        s.edge.state_dir.display()
    );
    // At most the 32 buckets are new (other tests of this file may have made some of them already).
    let new = objects - before;
    assert!(new <= 32, "{new} new objects for a thousand made-up names");
    // Keys still do their work, each in its own organisation's scope.
    let again = reserve("made-up-0-0", "key-made-up-0-0-0123456789");
    assert_eq!((again.status, again.header("idempotent-replayed")), (404, Some("true")));
    let other = reserve("made-up-0-1", "key-made-up-0-0-0123456789");
    assert_eq!(
        (other.status, other.header("idempotent-replayed")),
        (404, None),
        "another name, another scope"
    );
}

#[test]
fn a_read_is_retried_once_when_the_connection_drops_a_reserve_never() {
    let s = setup();
    let read = http::get(&s.edge.url("/api/public/booking/organisations/flaky")).unwrap();
    assert_eq!(read.status, 200, "{}", read.body);
    let reads = requests_to("/api/public/booking/organisations/flaky").into_iter();
    assert_eq!(
        reads.filter(|r| r.method == "GET").count(),
        2,
        "the read, and its one retry"
    );
    let body = json!({"resourceTypeId": 8, "startTime": "2030-04-01T09:00:00Z", "endTime": "2030-04-01T10:00:00Z",
        "quantity": 1, "customerName": "Ann", "customerEmail": "ann@example.com", "customerPhone": "+36301112222"});
    let reserve = http::post_json(&s.edge.url("/api/public/booking/organisations/flaky/reserve"), &body);
    reserve.error(502, "upstream_unavailable");
    assert_eq!(
        requests_to("/api/public/booking/organisations/flaky/reserve").len(),
        1,
        "a reserve is never sent twice: the first may have booked"
    );
}
