//! The edge's HTTP API against the real Workers runtime (`wrangler dev`) with the built-in engine.

use serde_json::{json, Value};
use slotbook_tests::booking::{find_slot, places_left};
use slotbook_tests::http::{self, Answer};
use slotbook_tests::{document_for, staff_key, token_for, Edge, ADMIN_TOKEN};
use std::sync::OnceLock;

fn edge() -> &'static Edge {
    static EDGE: OnceLock<Edge> = OnceLock::new();
    EDGE.get_or_init(Edge::start)
}

fn org(slug: &str) -> String {
    edge().url(&format!("/api/public/booking/organisations/{slug}"))
}

fn setup(slug: &str) {
    let a = edge().import(slug, &document_for(slug));
    assert_eq!(a.status, 200, "{}", a.body);
}

fn booking(type_id: i64, slot: &Value, quantity: u32) -> Value {
    json!({"resourceTypeId": type_id, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": quantity,
           "customerName": "May B. Late", "customerEmail": "may@example.com", "customerPhone": "+36301112222"})
}

#[test]
fn every_error_has_the_shared_shape() {
    setup("shape-spa");
    let e = http::get(&edge().url("/api/no/such/route")).unwrap();
    e.error(404, "resource_not_found");
    let e = http::get(&edge().url("/no-such-page")).unwrap();
    e.error(404, "resource_not_found");
    let e = http::get(&format!("{}/reserve", org("shape-spa"))).unwrap();
    e.error(405, "method_not_allowed");
    assert_eq!(e.header("allow"), Some("POST"));
    let e = http::send("POST", &format!("{}/reserve", org("shape-spa")), Some("{not json"), &[]).unwrap();
    assert_eq!(e.error(400, "validation_error")["param"], "body");
    // Nesting too deep to read is refused before it is parsed, not a crash.
    let deep = format!("{{\"notes\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
    let e = http::send("POST", &format!("{}/reserve", org("shape-spa")), Some(&deep), &[]).unwrap();
    let body = e.error(400, "validation_error");
    assert_eq!(body["param"], "body");
    assert!(body["message"].as_str().unwrap().contains("deeper than 64"), "{body}");
    let e = http::send("DELETE", &org("shape-spa"), None, &[]).unwrap();
    e.error(405, "method_not_allowed");
    assert_eq!(e.header("allow"), Some("GET, HEAD"));
    // Every 405 says what the path takes: a method nobody routes (read as GET by the runtime's own type), and a
    // preflight where cross-origin calls are not allowed.
    for method in ["QUERY", "TRACE"] {
        let e = http::send_method(edge().port, method, "/api/reservations");
        e.error(405, "method_not_allowed");
        assert_eq!(e.header("allow"), Some("GET, POST, HEAD"), "{method}");
    }
    let e = http::send(
        "OPTIONS",
        &edge().url("/api/reservations/7"),
        None,
        &[
            ("Origin", "https://elsewhere.example"),
            ("Access-Control-Request-Method", "PATCH"),
        ],
    )
    .unwrap();
    e.error(405, "method_not_allowed");
    assert_eq!(e.header("allow"), Some("GET, PATCH, DELETE, HEAD"));
    // A filter given empty is refused, not ignored.
    let staff = format!("Bearer {}", staff_key("shape-spa"));
    let e = http::send(
        "GET",
        &edge().url("/api/reservations?startFrom="),
        None,
        &[("Authorization", &staff)],
    )
    .unwrap();
    assert_eq!(e.error(400, "validation_error")["param"], "startFrom");
    let e = http::get(&org("no-such-org")).unwrap();
    e.error(404, "resource_not_found");
    let ok = http::get(&org("shape-spa")).unwrap();
    assert_eq!(ok.status, 200);
    assert!(
        ok.header("x-request-id").is_some_and(|id| id.starts_with("req_")),
        "X-Request-Id on 2xx"
    );
    let e = http::get(&format!(
        "{}/availability?date=2026-02-30&resourceTypeId=9",
        org("shape-spa")
    ))
    .unwrap();
    assert_eq!(e.error(400, "validation_error")["param"], "date");
}

#[test]
fn every_answer_leaves_one_log_line() {
    setup("log-spa");
    let ok = http::get(&org("log-spa")).unwrap();
    let missing = http::get(&org("no-such-log-spa")).unwrap();
    // Written once the answer has gone, so it may follow it by a moment.
    let line_of = |answer: &http::Answer| {
        let id = answer.header("x-request-id").unwrap().to_string();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let lines: Vec<Value> = edge()
                .log()
                .lines()
                .filter(|l| l.contains(&id))
                .filter_map(|l| serde_json::from_str(l.trim()).ok())
                .collect();
            if !lines.is_empty() || std::time::Instant::now() > deadline {
                assert_eq!(lines.len(), 1, "one line for {id}");
                return lines[0].clone();
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    let line = line_of(&ok);
    assert_eq!(
        (line["method"].as_str(), line["route"].as_str(), line["status"].as_u64()),
        (Some("GET"), Some("catalog"), Some(200))
    );
    assert_eq!(line["organisation"], "log-spa");
    assert!(line["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    let line = line_of(&missing);
    assert_eq!(
        (line["status"].as_u64(), line["organisation"].as_str()),
        (Some(404), Some("no-such-log-spa"))
    );
}

#[test]
fn admin_import_needs_the_token_and_rejects_bad_documents_whole() {
    let url = edge().url("/api/admin/organisations/import-spa");
    let doc = document_for("import-spa");
    let a = http::send("PUT", &url, Some(&doc.to_string()), &[]).unwrap();
    a.error(401, "invalid_api_key");
    let a = http::send(
        "PUT",
        &url,
        Some(&doc.to_string()),
        &[("Authorization", "Bearer wrong")],
    )
    .unwrap();
    a.error(401, "invalid_api_key");
    setup("import-spa");
    let before = http::get(&org("import-spa")).unwrap().json();
    let admin = format!("Bearer {ADMIN_TOKEN}");
    let import = |body: &str| http::send("PUT", &url, Some(body), &[("Authorization", &admin)]).unwrap();
    let mut bad = doc.clone();
    bad["name"] = json!("Renamed Spa");
    bad["resourceTypes"][1]["durationMinutes"] = json!(0);
    assert_eq!(
        import(&bad.to_string()).error(400, "validation_error")["param"],
        "resourceTypes[1].durationMinutes"
    );
    // Wrong types and missing fields are named by their path too.
    let mut bad = doc.clone();
    bad["resourceTypes"][0]["maxQuantity"] = json!("two");
    assert_eq!(
        import(&bad.to_string()).error(400, "validation_error")["param"],
        "resourceTypes[0].maxQuantity"
    );
    let mut bad = doc.clone();
    bad["resourceTypes"][0].as_object_mut().unwrap().remove("name");
    assert_eq!(
        import(&bad.to_string()).error(400, "validation_error")["param"],
        "resourceTypes[0].name"
    );
    // A value of the wrong kind deep inside: named by its whole path, refused by its kind without echoing it.
    let mut bad = doc.clone();
    bad["resourceTypes"][0]["openingHours"][0]["opens"] = json!(900.5);
    let e = import(&bad.to_string()).error(400, "validation_error");
    assert_eq!(e["param"], "resourceTypes[0].openingHours[0].opens", "{e}");
    let message = e["message"].as_str().unwrap();
    assert!(message.contains("a number") && !message.contains("900"), "{message}");
    assert_eq!(import("{\"name\": ").error(400, "validation_error")["param"], "body");
    let after = http::get(&org("import-spa")).unwrap().json();
    assert_eq!(before, after, "nothing of the bad document was applied");
    let a = http::send(
        "PUT",
        &edge().url("/api/admin/organisations/Bad_Slug"),
        Some(&doc.to_string()),
        &[("Authorization", &format!("Bearer {ADMIN_TOKEN}"))],
    )
    .unwrap();
    a.error(400, "validation_error");
}

#[test]
fn free_reservation_is_stored_and_counted() {
    setup("free-spa");
    let base = org("free-spa");
    let catalog = http::get(&base).unwrap().json();
    assert_eq!(catalog["organisation"]["timeZone"], "Europe/Budapest");
    assert_eq!(catalog["resourceTypes"].as_array().unwrap().len(), 3);
    let slot = find_slot(&base, 10, 2, 0);
    let before = places_left(&base, 10, &slot);
    let a = http::post_json(&format!("{base}/reserve"), &booking(10, &slot, 2));
    assert_eq!(a.status, 201, "{}", a.body);
    let r = a.json();
    assert_eq!(r["status"], "confirmed");
    assert_eq!(r["requiresPayment"], false);
    assert_eq!(places_left(&base, 10, &slot), before - 2);
    let staff = http::send(
        "GET",
        &edge().url(&format!("/api/reservations/{}", r["reservationId"])),
        None,
        &[("Authorization", &format!("Bearer {}", staff_key("free-spa")))],
    )
    .unwrap();
    assert_eq!(staff.status, 200, "{}", staff.body);
    assert_eq!(staff.json()["customerInfo"]["email"], "may@example.com");
    assert_eq!(staff.json()["quantity"], 2);
    // Above the type's maximum (sauna: 4 per booking).
    let a = http::post_json(&format!("{base}/reserve"), &booking(10, &slot, 5));
    a.error(409, "capacity_exceeded");
}

#[test]
fn each_bad_reserve_field_is_named() {
    setup("dto-spa");
    let base = org("dto-spa");
    let slot = find_slot(&base, 9, 1, 0);
    let cases: Vec<(&str, Value)> = vec![
        ("resourceTypeId", json!(-3)),
        ("resourceTypeId", Value::Null),
        ("startTime", json!("soon")),
        ("endTime", json!("2020-01-01T00:00:00Z")),
        ("quantity", json!(0)),
        ("customerName", json!("")),
        ("customerEmail", json!("nobody")),
        ("customerPhone", json!("x")),
        ("notes", json!("n".repeat(2049))),
        ("returnUrl", json!("https://evil.example/steal")),
    ];
    for (field, value) in cases {
        let mut body = booking(9, &slot, 1);
        body[field] = value;
        let a = http::post_json(&format!("{base}/reserve"), &body);
        assert_eq!(a.error(400, "validation_error")["param"], field, "{field}: {}", a.body);
    }
    let mut off_grid = booking(9, &slot, 1);
    off_grid["startTime"] = json!("2030-01-01T06:07:00Z");
    off_grid["endTime"] = json!("2030-01-01T06:52:00Z");
    let a = http::post_json(&format!("{base}/reserve"), &off_grid);
    assert_eq!(a.error(400, "validation_error")["param"], "startTime");
    let mut unknown_type = booking(9, &slot, 1);
    unknown_type["resourceTypeId"] = json!(999);
    http::post_json(&format!("{base}/reserve"), &unknown_type).error(404, "resource_not_found");
}

#[test]
fn concurrent_reserves_never_overbook() {
    let slug = "court-club";
    let mut doc = document_for(slug);
    doc["resourceTypes"] = json!([{
        "id": 1, "name": "Court", "durationMinutes": 60, "maxQuantity": 1,
        "openingHours": [{"days": ["mon","tue","wed","thu","fri","sat","sun"], "opens": "06:00", "closes": "22:00"}],
        "resources": [{"id": 1, "name": "Court A", "capacity": 3}]
    }]);
    assert_eq!(edge().import(slug, &doc).status, 200);
    let base = org(slug);
    let slot = find_slot(&base, 1, 3, 0);
    assert_eq!(slot["available"], 3);
    let body = booking(1, &slot, 1).to_string();
    let url = format!("{base}/reserve");
    let threads: Vec<_> = (0..100)
        .map(|_| {
            let (url, body) = (url.clone(), body.clone());
            std::thread::spawn(move || http::send("POST", &url, Some(&body), &[]).unwrap())
        })
        .collect();
    let answers: Vec<Answer> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let created = answers.iter().filter(|a| a.status == 201).count();
    let refused = answers
        .iter()
        .filter(|a| a.status == 409 && a.json()["error"]["code"] == "slot_unavailable")
        .count();
    assert_eq!(
        (created, refused),
        (3, 97),
        "statuses: {:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(places_left(&base, 1, &slot), 0);
}

#[test]
fn staff_api_manages_reservations_with_an_api_key() {
    setup("staff-spa");
    setup("other-spa");
    let key = format!("Bearer {}", staff_key("staff-spa"));
    let auth = [("Authorization", key.as_str())];
    let url = edge().url("/api/reservations");
    http::get(&url).unwrap().error(401, "invalid_api_key");
    http::send(
        "GET",
        &url,
        None,
        &[("Authorization", "Bearer sk_wrong_key_000000000000000")],
    )
    .unwrap()
    .error(401, "invalid_api_key");

    let slot = find_slot(&org("staff-spa"), 8, 3, 0);
    let body = json!({"startTime": slot["startTime"], "endTime": slot["endTime"], "resourceTypeId": 8,
                      "resourceIds": [21, 22], "quantity": 2, "customerInfo": {"name": "Walk-in"}});
    let created = http::send("POST", &url, Some(&body.to_string()), &auth).unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let r = created.json();
    assert_eq!(r["resourceIds"], json!([21, 22]));
    assert_eq!(r["status"], "confirmed");
    assert_eq!(r["quotedTotalAmount"], 13000);
    let id = r["id"].as_i64().unwrap();
    assert_eq!(places_left(&org("staff-spa"), 8, &slot), 1);

    let list = http::send("GET", &format!("{url}?resourceId=22&status=confirmed"), None, &auth)
        .unwrap()
        .json();
    assert!(list["data"].as_array().unwrap().iter().any(|x| x["id"] == id));
    let list = http::send("GET", &format!("{url}?resourceId=23"), None, &auth)
        .unwrap()
        .json();
    assert!(!list["data"].as_array().unwrap().iter().any(|x| x["id"] == id));
    http::send("GET", &format!("{url}?status=nope"), None, &auth)
        .unwrap()
        .error(400, "validation_error");

    // Too many for what is left: the same no-overbooking check as the public flow.
    let body = json!({"startTime": slot["startTime"], "endTime": slot["endTime"], "resourceTypeId": 8, "quantity": 2});
    http::send("POST", &url, Some(&body.to_string()), &auth)
        .unwrap()
        .error(409, "slot_unavailable");

    let other = format!("Bearer {}", staff_key("other-spa"));
    http::send("GET", &format!("{url}/{id}"), None, &[("Authorization", &other)])
        .unwrap()
        .error(404, "resource_not_found");

    let cancelled = http::send(
        "PATCH",
        &format!("{url}/{id}"),
        Some(r#"{"status":"cancelled"}"#),
        &auth,
    )
    .unwrap();
    assert_eq!(cancelled.json()["status"], "cancelled", "{}", cancelled.body);
    assert_eq!(
        places_left(&org("staff-spa"), 8, &slot),
        3,
        "cancelling releases the places"
    );
    http::send(
        "PATCH",
        &format!("{url}/{id}"),
        Some(r#"{"status":"confirmed"}"#),
        &auth,
    )
    .unwrap()
    .error(409, "already_cancelled");
    http::send("PATCH", &format!("{url}/{id}"), Some(r#"{"quantity":0}"#), &auth)
        .unwrap()
        .error(400, "validation_error");
    let deleted = http::send("DELETE", &format!("{url}/{id}"), None, &auth).unwrap();
    assert_eq!(deleted.status, 200);
    http::send("GET", &format!("{url}/{id}"), None, &auth)
        .unwrap()
        .error(404, "resource_not_found");
}

#[test]
fn legacy_token_books_one_resource_and_rotates() {
    setup("token-spa");
    let token = token_for("token-spa");
    let base = edge().url(&format!("/api/public/booking/{token}"));
    let meta = http::get(&base).unwrap();
    assert_eq!(meta.status, 200, "{}", meta.body);
    let types = meta.json()["resourceTypes"].clone();
    assert_eq!(types.as_array().unwrap().len(), 1);
    assert_eq!(
        types[0]["resources"],
        json!([{"id": 22, "name": "Room Birch", "capacity": 1}])
    );
    let slot = find_slot(&base, 8, 1, 0);
    let free = |s: &Value| {
        json!({"startTime": s["startTime"], "endTime": s["endTime"], "quantity": 1,
        "customerName": "Ann", "customerEmail": "ann@example.com", "customerPhone": "+3612345678"})
    };
    // The massage is paid: the token flow gets the same payment answer.
    let a = http::post_json(&format!("{base}/reserve"), &free(&slot));
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.json()["resourceIds"], json!([22]));
    let mut doc = document_for("token-spa");
    doc["resourceTypes"][0]["resources"][1]["publicToken"] = json!("rotated-token-spa-abcdef");
    assert_eq!(edge().import("token-spa", &doc).status, 200);
    http::get(&base).unwrap().error(404, "resource_not_found");
    assert_eq!(
        http::get(&edge().url("/api/public/booking/rotated-token-spa-abcdef"))
            .unwrap()
            .status,
        200
    );
}

#[test]
fn state_survives_a_restart() {
    let mut own = Edge::start();
    let doc = document_for("restart-spa");
    assert_eq!(own.import("restart-spa", &doc).status, 200);
    let base = own.url("/api/public/booking/organisations/restart-spa");
    let slot = find_slot(&base, 10, 3, 0);
    let a = http::post_json(&format!("{base}/reserve"), &booking(10, &slot, 3));
    assert_eq!(a.status, 201, "{}", a.body);
    let before = places_left(&base, 10, &slot);
    own.restart();
    let base = own.url("/api/public/booking/organisations/restart-spa");
    assert_eq!(places_left(&base, 10, &slot), before);
    let list = http::send(
        "GET",
        &own.url("/api/reservations"),
        None,
        &[("Authorization", &format!("Bearer {}", staff_key("restart-spa")))],
    )
    .unwrap();
    assert_eq!(list.json()["data"].as_array().unwrap().len(), 1, "{}", list.body);
}

#[test]
fn staff_changes_keep_the_no_overbooking_rule_and_name_bad_fields() {
    setup("move-spa");
    let key = format!("Bearer {}", staff_key("move-spa"));
    let auth = [("Authorization", key.as_str())];
    let url = edge().url("/api/reservations");
    let base = org("move-spa");
    let first = find_slot(&base, 8, 3, 0);
    // The next massage slot after `first` on the same day or later.
    let date = &first["startTime"].as_str().unwrap()[..10];
    let day = http::get(&format!("{base}/availability?date={date}&resourceTypeId=8"))
        .unwrap()
        .json();
    let second = day["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["startTime"] != first["startTime"] && s["available"] == 3)
        .cloned()
        .expect("a second free slot");

    let fill =
        json!({"startTime": first["startTime"], "endTime": first["endTime"], "resourceTypeId": 8, "quantity": 3});
    assert_eq!(
        http::send("POST", &url, Some(&fill.to_string()), &auth).unwrap().status,
        201
    );
    let other =
        json!({"startTime": second["startTime"], "endTime": second["endTime"], "resourceTypeId": 8, "quantity": 1});
    let created = http::send("POST", &url, Some(&other.to_string()), &auth)
        .unwrap()
        .json();
    let id = created["id"].as_i64().unwrap();

    // Moving into the full slot is refused, and nothing changes.
    let move_body = json!({"startTime": first["startTime"], "endTime": first["endTime"]}).to_string();
    http::send("PATCH", &format!("{url}/{id}"), Some(&move_body), &auth)
        .unwrap()
        .error(409, "slot_unavailable");
    assert_eq!(places_left(&base, 8, &second), 2);
    // Cancelling the blocker frees the slot; then the move goes through and the places follow.
    let list = http::send(
        "GET",
        &format!(
            "{url}?startFrom={}&endTo={}",
            first["startTime"].as_str().unwrap(),
            first["endTime"].as_str().unwrap()
        ),
        None,
        &auth,
    )
    .unwrap()
    .json();
    let blocker = list["data"][0]["id"].as_i64().unwrap();
    assert_eq!(
        http::send(
            "PATCH",
            &format!("{url}/{blocker}"),
            Some(r#"{"status":"cancelled"}"#),
            &auth
        )
        .unwrap()
        .status,
        200
    );
    let moved = http::send("PATCH", &format!("{url}/{id}"), Some(&move_body), &auth).unwrap();
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.json()["startTime"], first["startTime"]);
    assert_eq!(places_left(&base, 8, &first), 2);
    assert_eq!(places_left(&base, 8, &second), 3);

    let cases: Vec<(&str, Value)> = vec![
        ("startTime", json!("later")),
        ("endTime", json!("2000-01-01T00:00:00Z")),
        ("quantity", json!(0)),
        ("resourceTypeId", json!(0)),
        ("resourceId", json!("21")),
        ("resourceIds", json!([21, 21])),
        ("notes", json!("n".repeat(2049))),
        ("customerInfo", json!("May")),
        ("status", json!("confirmed")),
    ];
    for (field, value) in cases {
        let mut body = other.clone();
        body[field] = value;
        let a = http::send("POST", &url, Some(&body.to_string()), &auth).unwrap();
        assert_eq!(a.error(400, "validation_error")["param"], field, "{field}: {}", a.body);
    }
    let a = http::send(
        "PATCH",
        &format!("{url}/{id}"),
        Some(r#"{"status":"pending_payment"}"#),
        &auth,
    )
    .unwrap();
    assert_eq!(a.error(400, "validation_error")["param"], "status");

    // No resources and no service to take them from: refused, naming the field (it aborted the organisation's
    // object, and the client waited for nothing). The object keeps answering afterwards.
    let empty = json!({"startTime": second["startTime"], "endTime": second["endTime"], "resourceIds": []}).to_string();
    let a = http::send("POST", &url, Some(&empty), &auth).unwrap();
    assert_eq!(a.error(400, "validation_error")["param"], "resourceIds", "{}", a.body);
    let a = http::send("PATCH", &format!("{url}/{id}"), Some(r#"{"resourceIds":[]}"#), &auth).unwrap();
    assert_eq!(a.error(400, "validation_error")["param"], "resourceIds", "{}", a.body);
    assert_eq!(
        http::send("GET", &format!("{url}/{id}"), None, &auth).unwrap().status,
        200
    );
}

#[test]
fn a_retried_reserve_with_its_idempotency_key_books_once() {
    setup("idem-spa");
    let base = org("idem-spa");
    let slot = find_slot(&base, 10, 4, 0);
    let before = places_left(&base, 10, &slot);
    let body = booking(10, &slot, 2).to_string();
    let url = format!("{base}/reserve");
    let first = http::send("POST", &url, Some(&body), &[("Idempotency-Key", "attempt-1")]).unwrap();
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.header("idempotent-replayed"), None);
    // The same body with keys in another order and other spacing is the same request.
    let reordered: Value = serde_json::from_str(&body).unwrap();
    let again = http::send(
        "POST",
        &url,
        Some(&serde_json::to_string_pretty(&reordered).unwrap()),
        &[("Idempotency-Key", "attempt-1")],
    )
    .unwrap();
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json()["reservationId"], first.json()["reservationId"]);
    assert_eq!(places_left(&base, 10, &slot), before - 2, "booked once");

    let other = booking(10, &slot, 1).to_string();
    http::send("POST", &url, Some(&other), &[("Idempotency-Key", "attempt-1")])
        .unwrap()
        .error(409, "idempotency_key_reused");
    let e = http::send("POST", &url, Some(&other), &[("Idempotency-Key", "")]).unwrap();
    assert_eq!(e.error(400, "validation_error")["param"], "Idempotency-Key");
    // A refusal is remembered too: the same attempt gets the same answer.
    let too_many = booking(10, &slot, 9).to_string();
    let refused = http::send("POST", &url, Some(&too_many), &[("Idempotency-Key", "attempt-2")]).unwrap();
    refused.error(409, "capacity_exceeded");
    assert_eq!(
        refused.header("idempotent-replayed"),
        None,
        "the first refusal is answered, not replayed"
    );
    let replayed = http::send("POST", &url, Some(&too_many), &[("Idempotency-Key", "attempt-2")]).unwrap();
    replayed.error(409, "capacity_exceeded");
    assert_eq!(
        replayed.header("idempotent-replayed"),
        Some("true"),
        "the same attempt gets the stored refusal"
    );
    // Keys are per organisation.
    setup("idem-other");
    let other_org = format!("{}/reserve", org("idem-other"));
    let slot2 = find_slot(&org("idem-other"), 10, 1, 0);
    let a = http::send(
        "POST",
        &other_org,
        Some(&booking(10, &slot2, 1).to_string()),
        &[("Idempotency-Key", "attempt-1")],
    )
    .unwrap();
    assert_eq!((a.status, a.header("idempotent-replayed")), (201, None));
}

#[test]
fn the_month_view_says_which_days_have_room() {
    setup("month-spa");
    let base = org("month-spa");
    // The yoga class (12 places a class): fill every class of one day.
    let slot = find_slot(&base, 9, 12, 0);
    let day = slot["date"].as_str().unwrap().to_string();
    let classes = http::get(&format!("{base}/availability?date={day}&resourceTypeId=9"))
        .unwrap()
        .json();
    let classes = classes["slots"].as_array().unwrap().clone();
    for class in &classes {
        for _ in 0..3 {
            assert_eq!(
                http::post_json(&format!("{base}/reserve"), &booking(9, class, 4)).status,
                201
            );
        }
    }
    let month = &day[..7];
    let m = http::get(&format!("{base}/calendar?month={month}&resourceTypeId=9")).unwrap();
    assert_eq!(m.status, 200, "{}", m.body);
    let m = m.json();
    assert_eq!(m["month"], format!("{month}-01"));
    let days = m["days"].as_array().unwrap();
    let full = days.iter().find(|d| d["date"] == day.as_str()).unwrap();
    assert_eq!(
        (full["slots"].as_u64(), full["available"].as_u64()),
        (Some(classes.len() as u64), Some(0)),
        "{full}"
    );
    assert!(days.iter().any(|d| d["available"] == 12), "other days have room");
    // A date closed in the document has no times, whatever its weekday: close another open day of the month
    // (the document is imported again; reservations are kept).
    let open = days
        .iter()
        .find(|d| d["date"] != day.as_str() && d["slots"].as_u64() > Some(0))
        .map(|d| d["date"].as_str().unwrap().to_string());
    let (month, open) = match open {
        Some(open) => (month.to_string(), open),
        // The full day was the month's last open one: take the next month's first.
        None => {
            let next = slotbook_core::time::Date::parse(&format!("{month}-01"))
                .unwrap()
                .add_days(31)
                .to_string();
            let next = next[..7].to_string();
            let m = http::get(&format!("{base}/calendar?month={next}&resourceTypeId=9"))
                .unwrap()
                .json();
            let open = m["days"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["slots"].as_u64() > Some(0))
                .unwrap();
            (next, open["date"].as_str().unwrap().to_string())
        }
    };
    let mut doc = document_for("month-spa");
    doc["closedDates"] = json!([open]);
    assert_eq!(edge().import("month-spa", &doc).status, 200);
    let m = http::get(&format!("{base}/calendar?month={month}&resourceTypeId=9"))
        .unwrap()
        .json();
    let closed = m["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == open.as_str())
        .unwrap();
    assert_eq!(closed["slots"], 0, "a closed date has no times: {closed}");
    http::get(&format!("{base}/calendar?month=2026-13&resourceTypeId=9"))
        .unwrap()
        .error(400, "validation_error");
}

#[test]
fn only_times_from_now_to_the_end_of_the_booking_window_can_be_booked() {
    // In UTC, so that a week earlier or later is the same time of day whatever the season.
    let mut doc = document_for("window-spa");
    doc["timeZone"] = json!("UTC");
    doc["bookingWindowDays"] = json!(3);
    // No closed day a week before or after, whenever this runs.
    doc["closedDates"] = json!([]);
    assert_eq!(edge().import("window-spa", &doc).status, 200);
    let base = org("window-spa");
    let slot = find_slot(&base, 9, 1, 0);
    let shifted = |days: i64| {
        let at = |k: &str| {
            slotbook_core::time::Timestamp::parse(slot[k].as_str().unwrap())
                .unwrap()
                .0
                + days * 86_400
        };
        json!({"startTime": slotbook_core::time::Timestamp(at("startTime")).to_string(),
               "endTime": slotbook_core::time::Timestamp(at("endTime")).to_string()})
    };
    for (days, what) in [(-7, "a week ago"), (7, "beyond the 3-day window")] {
        let mut body = booking(9, &shifted(days), 1);
        body["resourceTypeId"] = json!(9);
        let refused = http::post_json(&format!("{base}/reserve"), &body);
        refused.error(409, "slot_unavailable");
        assert!(refused.body.contains("no longer be booked"), "{what}: {}", refused.body);
    }
    // Beyond the window a day has no times at all, and the month view agrees.
    let far = slotbook_core::time::Timestamp::parse(slot["startTime"].as_str().unwrap())
        .unwrap()
        .utc_date()
        .add_days(7);
    let day = http::get(&format!("{base}/availability?date={far}&resourceTypeId=9")).unwrap();
    assert_eq!(day.json()["slots"], json!([]), "{}", day.body);
    // The slot itself, inside the window, books.
    assert_eq!(
        http::post_json(&format!("{base}/reserve"), &booking(9, &slot, 1)).status,
        201
    );
}
