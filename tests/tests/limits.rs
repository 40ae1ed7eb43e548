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

/// Waits, if need be, so that the next `seconds` fall inside one minute: the limits count per minute (a
/// window aligned to the clock's minutes), and calls split across two windows would each stay under the limit.
fn within_one_window(seconds: i64) {
    let second = now() % 60;
    if second > 60 - seconds {
        std::thread::sleep(std::time::Duration::from_secs((61 - second) as u64));
    }
}

#[test]
fn one_client_reserving_too_often_is_told_to_wait() {
    within_one_window(15);
    let url = format!("{}/reserve", base());
    let statuses: Vec<u16> = (0..25)
        .map(|_| {
            http::send("POST", &url, Some("{}"), &[("CF-Connecting-IP", "203.0.113.7")])
                .unwrap()
                .status
        })
        .collect();
    assert!(
        statuses.iter().take(20).all(|s| *s == 400),
        "the first 20 reach validation: {statuses:?}"
    );
    let limited = http::send("POST", &url, Some("{}"), &[("CF-Connecting-IP", "203.0.113.7")]).unwrap();
    limited.error(429, "rate_limited");
    assert_eq!(limited.header("retry-after"), Some("60"));
    // Another client is not affected.
    assert_eq!(
        http::send("POST", &url, Some("{}"), &[("CF-Connecting-IP", "203.0.113.99")])
            .unwrap()
            .status,
        400
    );
}

#[test]
fn one_client_reading_too_often_is_told_to_wait() {
    within_one_window(25);
    let url = base();
    // The limit (wrangler.toml: 300 a minute) is reached, not less: every read until then is answered.
    let statuses: Vec<u16> = (0..300)
        .map(|_| {
            http::send("GET", &url, None, &[("CF-Connecting-IP", "198.51.100.4")])
                .unwrap()
                .status
        })
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 200),
        "the first 300 are answered: {statuses:?}"
    );
    let limited = http::send("GET", &url, None, &[("CF-Connecting-IP", "198.51.100.4")]).unwrap();
    limited.error(429, "rate_limited");
    assert_eq!(limited.header("retry-after"), Some("60"));
    assert_eq!(
        http::send("GET", &url, None, &[("CF-Connecting-IP", "198.51.100.5")])
            .unwrap()
            .status,
        200
    );
}

#[test]
fn one_client_guessing_keys_is_told_to_wait() {
    within_one_window(25);
    let url = edge().url("/api/reservations");
    let guess = |ip: &str, n: usize| {
        let key = format!("Bearer sk_guess_{n:08}_0123456789abcdef");
        http::send("GET", &url, None, &[("Authorization", &key), ("CF-Connecting-IP", ip)]).unwrap()
    };
    // The limit (wrangler.toml: 120 a minute) is reached, not less: every guess until then is judged.
    let statuses: Vec<u16> = (0..120).map(|n| guess("203.0.113.50", n).status).collect();
    assert!(
        statuses.iter().all(|s| *s == 401),
        "the first 120 reach the key check: {statuses:?}"
    );
    let limited = guess("203.0.113.50", 120);
    limited.error(429, "rate_limited");
    assert_eq!(limited.header("retry-after"), Some("60"));
    // The embed page looks a booking token up too: the same limit.
    let embed = http::send(
        "GET",
        &edge().url("/api/embed?token=tok-guess-0123456789"),
        None,
        &[("CF-Connecting-IP", "203.0.113.50")],
    )
    .unwrap();
    embed.error(429, "rate_limited");
    // Another client is not affected.
    guess("203.0.113.51", 0).error(401, "invalid_api_key");
}

#[test]
fn an_organisation_takes_only_so_many_reserves_a_minute() {
    within_one_window(10);
    let slot = find_slot(&base(), 10, 4, 0);
    let body = json!({"resourceTypeId": 10, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
        "customerName": "Many", "customerEmail": "many@example.com", "customerPhone": "+36301112222"});
    let answers: Vec<_> = (0..4)
        .map(|_| http::post_json(&format!("{}/reserve", base()), &body))
        .collect();
    assert_eq!(answers.iter().filter(|a| a.status == 201).count(), 3);
    let e = answers[3].error(429, "rate_limited");
    assert!(e["message"].as_str().unwrap().contains("Too many requests"));
    let wait: u64 = answers[3].header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
}

fn raw_chunked_post(path: &str, chunk: &[u8], chunks: usize) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", edge().port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let head = format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nCF-Connecting-IP: 192.0.2.77\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    s.write_all(head.as_bytes()).unwrap();
    for _ in 0..chunks {
        // The edge may answer and close before every chunk is sent.
        if s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).is_err()
            || s.write_all(chunk).is_err()
            || s.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    let status = answer.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, answer)
}

#[test]
fn bodies_over_their_limit_are_refused_before_being_read() {
    let big = |kb: usize| format!("{{\"notes\":\"{}\"}}", "x".repeat(kb * 1024));
    let reserve = format!("{}/reserve", base());
    let e = http::send("POST", &reserve, Some(&big(17)), &[])
        .unwrap()
        .error(413, "payload_too_large");
    assert_eq!(e["type"], "invalid_request_error");
    // Just under the limit is read (and then found invalid).
    assert_eq!(http::send("POST", &reserve, Some(&big(15)), &[]).unwrap().status, 400);
    let staff = [(
        "Authorization",
        format!("Bearer {}", slotbook_tests::staff_key("limit-spa")),
    )];
    let staff: Vec<(&str, &str)> = staff.iter().map(|(k, v)| (*k, v.as_str())).collect();
    http::send("PATCH", &edge().url("/api/reservations/1"), Some(&big(17)), &staff)
        .unwrap()
        .error(413, "payload_too_large");
    http::send("POST", &edge().url("/api/reservations"), Some(&big(17)), &staff)
        .unwrap()
        .error(413, "payload_too_large");
    http::send(
        "POST",
        &edge().url("/api/payments/stripe/webhook"),
        Some(&big(257)),
        &[("Stripe-Signature", "t=1,v1=00")],
    )
    .unwrap()
    .error(413, "payload_too_large");
    let admin = format!("Bearer {}", slotbook_tests::ADMIN_TOKEN);
    http::send(
        "PUT",
        &edge().url("/api/admin/organisations/limit-spa"),
        Some(&big(1025)),
        &[("Authorization", &admin)],
    )
    .unwrap()
    .error(413, "payload_too_large");
    // A 300 KB document is within the import's limit: it is read, then refused for what it says.
    assert_eq!(
        http::send(
            "PUT",
            &edge().url("/api/admin/organisations/limit-spa"),
            Some(&big(300)),
            &[("Authorization", &admin)]
        )
        .unwrap()
        .status,
        400
    );
    // A body that does not say its length is cut off as it streams in.
    let (status, answer) = raw_chunked_post("/api/public/booking/organisations/limit-spa/reserve", &[b'x'; 4096], 64);
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("payload_too_large"));
}

/// Files the runtime keeps for the organisations' Durable Objects (one SQLite database each).
fn organisation_objects() -> usize {
    fn walk(dir: &std::path::Path, n: &mut usize) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, n);
            } else if path.to_string_lossy().contains("Organisation") && path.extension().is_some_and(|e| e == "sqlite")
            {
                *n += 1;
            }
        }
    }
    let mut n = 0;
    walk(&edge().state_dir, &mut n);
    n
}

#[test]
fn an_unknown_organisation_creates_no_durable_object() {
    let before = organisation_objects();
    assert!(before >= 1, "the imported organisation has its object");
    for slug in ["no-such-spa", "nobody-here", "ghost-venue"] {
        let base = edge().url(&format!("/api/public/booking/organisations/{slug}"));
        http::get(&base).unwrap().error(404, "resource_not_found");
        http::get(&format!("{base}/availability?date=2030-01-01&resourceTypeId=1"))
            .unwrap()
            .error(404, "resource_not_found");
        http::get(&format!("{base}/checkout-status?sessionId=cs_x"))
            .unwrap()
            .error(404, "resource_not_found");
        http::send("POST", &format!("{base}/reserve"), Some("{}"), &[])
            .unwrap()
            .error(404, "resource_not_found");
        let pre = http::send(
            "OPTIONS",
            &format!("{base}/reserve"),
            None,
            &[
                ("Origin", "https://evil.example"),
                ("Access-Control-Request-Method", "POST"),
            ],
        )
        .unwrap();
        assert_eq!(pre.status, 404);
        http::get(&edge().url(&format!("/api/test-checkout/cs_test_local_00ff_{slug}")))
            .unwrap()
            .error(404, "resource_not_found");
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        organisation_objects(),
        before,
        "no object (and no schema) for a slug nobody imported"
    );
}

#[test]
fn the_per_ip_limit_applies_before_any_lookup() {
    // An unknown organisation is answered 404 only while the client is within its limit: the limit is
    // checked first, so a flood of lookups for made-up slugs is stopped at the edge.
    let answers: Vec<u16> = (0..21)
        .map(|i| {
            http::send(
                "POST",
                &edge().url(&format!("/api/public/booking/organisations/made-up-{i}/reserve")),
                Some("{}"),
                &[("CF-Connecting-IP", "203.0.113.50")],
            )
            .unwrap()
            .status
        })
        .collect();
    assert!(answers[..20].iter().all(|s| *s == 404), "{answers:?}");
    assert_eq!(answers[20], 429);
}

#[test]
fn availability_and_checkout_status_share_the_reads_limit() {
    within_one_window(25);
    let ip = [("CF-Connecting-IP", "198.51.100.21")];
    let day = slotbook_tests::booking::today().add_days(1);
    let availability = format!("{}/availability?date={day}&resourceTypeId=9", base());
    let status = format!("{}/checkout-status?sessionId=cs_test_local_00ff_limit-spa", base());
    // 300 reads a minute (wrangler.toml), whatever they read: half of each, then one more of either is refused.
    let answered: Vec<u16> = (0..300)
        .map(|i| {
            let url = if i % 2 == 0 { &availability } else { &status };
            http::send("GET", url, None, &ip).unwrap().status
        })
        .collect();
    assert!(
        answered.iter().all(|s| *s == 200 || *s == 404),
        "all answered, none limited: {answered:?}"
    );
    for url in [&status, &availability] {
        let limited = http::send("GET", url, None, &ip).unwrap();
        limited.error(429, "rate_limited");
        assert_eq!(limited.header("retry-after"), Some("60"), "{url}");
    }
}
