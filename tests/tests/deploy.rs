//! The edge configured as a real deploy is (README's Deployment section): no test checkout, and here no
//! Stripe key either. Paid bookings must be refused, never confirmed by the edge's own test payments.

use serde_json::json;
use slotbook_tests::booking::{find_slot, places_left};
use slotbook_tests::http;
use slotbook_tests::{document_for, Edge};

#[test]
fn without_a_stripe_key_paid_bookings_are_refused_and_the_test_checkout_is_gone() {
    let edge = Edge::start_deployed(&[]);
    assert_eq!(edge.import("live-spa", &document_for("live-spa")).status, 200);
    let base = edge.url("/api/public/booking/organisations/live-spa");
    let catalog = http::get(&base).unwrap().json();
    assert_eq!(
        catalog["organisation"]["acceptsPayments"], false,
        "the widget is told payments are off"
    );

    let slot = find_slot(&base, 8, 1, 0);
    let paid = json!({"resourceTypeId": 8, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
        "customerName": "Free Rider", "customerEmail": "free@example.com", "customerPhone": "+36301112222"});
    let refused = http::post_json(&format!("{base}/reserve"), &paid);
    refused.error(409, "payments_unavailable");
    assert!(refused.json()["error"]["message"].as_str().unwrap().contains("payment"));
    assert_eq!(
        places_left(&base, 8, &slot),
        slot["available"].as_u64().unwrap(),
        "nothing held"
    );

    // The test checkout's routes do not exist: not its page, not its "Pay" action, for any session.
    let session = "cs_test_local_0123456789abcdef01234567_live-spa";
    http::get(&edge.url(&format!("/api/test-checkout/{session}")))
        .unwrap()
        .error(404, "resource_not_found");
    let forged = http::send(
        "POST",
        &edge.url(&format!("/api/test-checkout/{session}/complete")),
        Some("outcome=pay"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
    )
    .unwrap();
    forged.error(404, "resource_not_found");

    // Free services book as ever.
    let sauna = find_slot(&base, 10, 1, 0);
    let free = json!({"resourceTypeId": 10, "startTime": sauna["startTime"], "endTime": sauna["endTime"], "quantity": 1,
        "customerName": "Sam", "customerEmail": "sam@example.com", "customerPhone": "+36301112222"});
    let booked = http::post_json(&format!("{base}/reserve"), &free);
    assert_eq!(
        (booked.status, booked.json()["status"].as_str()),
        (201, Some("confirmed")),
        "{}",
        booked.body
    );
}

#[test]
fn local_development_opts_into_the_test_checkout() {
    // The same edge with the opt-in: the paid booking gets the local test checkout.
    let edge = Edge::start_deployed(&[("TEST_CHECKOUT", "true")]);
    assert_eq!(edge.import("dev-spa", &document_for("dev-spa")).status, 200);
    let base = edge.url("/api/public/booking/organisations/dev-spa");
    assert_eq!(
        http::get(&base).unwrap().json()["organisation"]["acceptsPayments"],
        true
    );
    let slot = find_slot(&base, 8, 1, 0);
    let paid = json!({"resourceTypeId": 8, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
        "customerName": "Dev", "customerEmail": "dev@example.com", "customerPhone": "+36301112222"});
    let r = http::post_json(&format!("{base}/reserve"), &paid);
    assert_eq!(r.status, 201, "{}", r.body);
    let url = r.json()["paymentData"]["checkoutUrl"].as_str().unwrap().to_string();
    assert!(url.starts_with(&edge.url("/api/test-checkout/cs_test_local_")), "{url}");
    assert!(http::get(&url).unwrap().body.contains("TEST PAYMENT"));
}

#[test]
fn the_root_page_is_the_demo_venue_only_where_the_demo_organisation_is_served() {
    let edge = Edge::start_deployed(&[]);
    // A deploy serving its own venues: a page about the edge, pointing at the documentation and the API.
    assert_eq!(edge.import("live-spa", &document_for("live-spa")).status, 200);
    let root = http::get(&edge.url("/")).unwrap();
    assert_eq!(root.status, 200);
    assert!(root.header("content-type").unwrap().starts_with("text/html"));
    assert!(root.body.contains("Slotbook booking edge"), "{}", root.body);
    assert!(root.body.contains(r#"href="/api/openapi.json""#));
    assert!(root.body.contains("Embedding the widget"));
    assert!(
        !root.body.contains("Acme Spa"),
        "no demo venue where the demo is not served"
    );
    let index = http::get(&edge.url("/index.html")).unwrap();
    assert!(
        !index.body.contains("Acme Spa"),
        "nor under its file name: {}",
        index.status
    );
    // Where the demo organisation is served (local runs): the demo venue page with the widget.
    assert_eq!(edge.import("acme-spa", &slotbook_tests::demo_document()).status, 200);
    let demo = http::get(&edge.url("/")).unwrap();
    assert_eq!(demo.status, 200);
    assert!(
        demo.body.contains("Acme Spa") && demo.body.contains("data-organisation=acme-spa"),
        "{}",
        demo.body
    );
}
