//! The edge's origin and the widget cannot be turned against customers: the embed page talks only to its
//! own edge, the customer's details never travel in a frame's URL, the widget opens no payment page but
//! Stripe's (or the edge's test checkout), and iframe mode cleans up after itself.

use serde_json::json;
use slotbook_tests::booking::find_slot;
use slotbook_tests::double::Server;
use slotbook_tests::http;
use slotbook_tests::pages::{choose, fill, pick, venue_site, venue_with_api};
use slotbook_tests::webdriver::Browser;
use slotbook_tests::{demo_document, Edge};

#[test]
fn the_embed_page_opened_top_level_talks_only_to_its_own_edge() {
    let edge = Edge::start();
    assert_eq!(edge.import("embed-spa", &demo_document()).status, 200);
    let elsewhere = Server::start(|_| (200, r#"{"organisation":{"name":"Not the venue"}}"#.to_string()));
    let browser = Browser::start();
    browser.goto(&edge.url(&format!(
        "/api/embed?organisation=embed-spa&parentOrigin={}&api={}&name=Mallory",
        edge.base, elsewhere.base
    )));
    browser.widget_element(".sb-service[data-resource-type='9']");
    assert!(
        browser.widget_text().contains("Deep tissue massage"),
        "the edge's own catalog"
    );
    assert!(
        elsewhere.requests().is_empty(),
        "nothing was sent to the server named in the URL"
    );
    // The form exists once a time is picked: its name field must be empty, not "Mallory" from the URL (an
    // input's value is not in the page's HTML, so the field itself is read).
    let slot = find_slot(&edge.url("/api/public/booking/organisations/embed-spa"), 9, 1, 0);
    choose(&browser, 9, &slot);
    let name = browser.script(
        "return arguments[0].value;",
        json!([browser.widget_element("#sb-name")]),
    );
    assert_eq!(name, json!(""), "customer details are not taken from the frame's URL");
}

#[test]
fn iframe_mode_prefills_by_postmessage_never_in_the_frames_url() {
    let edge = Edge::start();
    let host = venue_site(
        &edge,
        "prefill-studio",
        r#"data-mode="iframe" data-name="Ida Prefill" data-email="ida@example.com" data-phone="+49 40 5556667""#,
        "",
    );
    let slot = find_slot(&edge.url("/api/public/booking/organisations/prefill-studio"), 10, 1, 0);
    let browser = Browser::start();
    browser.goto(&format!("{}/", host.base));
    let frame = browser.wait_for("the frame", "const h = document.querySelector('#booking-here'); return h && h.shadowRoot && h.shadowRoot.querySelector('iframe');");
    let src = browser
        .script("return arguments[0].src;", json!([frame]))
        .as_str()
        .unwrap()
        .to_string();
    for secret in [
        "Ida",
        "ida%40example.com",
        "ida@example.com",
        "5556667",
        "name=",
        "email=",
        "phone=",
    ] {
        assert!(!src.contains(secret), "{secret} in the frame's URL: {src}");
    }
    browser.switch_to_frame(&frame);
    choose(&browser, 10, &slot);
    let name = browser.widget_element("#sb-name");
    let value = browser.script("return arguments[0].value;", json!([name]));
    assert_eq!(value, json!("Ida Prefill"), "the details arrived by postMessage");
    let email = browser.script(
        "return arguments[0].value;",
        json!([browser.widget_element("#sb-email")]),
    );
    assert_eq!(email, json!("ida@example.com"));
}

#[test]
fn iframe_mode_mounted_fifty_times_leaves_one_listener() {
    let edge = Edge::start();
    assert_eq!(edge.import("spa-app", &demo_document()).status, 200);
    // A single-page app: the loader without auto-mount, and a count of the page's message listeners.
    let page = format!(
        r##"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App</title><script>
window.__listeners = 0;
const add = window.addEventListener, remove = window.removeEventListener, live = new Set();
window.addEventListener = function (t, f, o) {{ if (t === "message" && !live.has(f)) {{ live.add(f); window.__listeners = live.size; }} return add.call(this, t, f, o); }};
window.removeEventListener = function (t, f, o) {{ if (t === "message") {{ live.delete(f); window.__listeners = live.size; }} return remove.call(this, t, f, o); }};
</script></head><body><div id="route"></div><script src="{edge}/widget.js"></script></body></html>"##,
        edge = edge.base
    );
    let host = Server::start_typed(move |_| (200, "text/html; charset=utf-8", page.clone()));
    let browser = Browser::start();
    browser.goto(&format!("{}/", host.base));
    browser.wait_for("the loader", "return !!window.BookingWidget;");
    // Each mount answers a promise; the last one settles after the iframe mode's code has arrived.
    let result = browser.script_async(
        "const done = arguments[arguments.length - 1]; const el = document.getElementById('route'); let last; \
         for (let i = 0; i < 50; i++) { last = BookingWidget.mount(el, {organisation: 'spa-app', mode: 'iframe'}); if (i < 49) BookingWidget.unmount(el); } \
         last.then(() => done({listeners: window.__listeners, frames: el.shadowRoot.querySelectorAll('iframe').length}));",
        json!([]),
    );
    assert_eq!(result, json!({"listeners": 1, "frames": 1}));
    let after = browser.script(
        "BookingWidget.unmount(document.getElementById('route')); return window.__listeners;",
        json!([]),
    );
    assert_eq!(after, json!(0));
}

#[test]
fn a_checkout_url_that_is_not_stripes_is_never_opened() {
    let edge = Edge::start();
    assert_eq!(edge.import("shady-spa", &demo_document()).status, 200);
    let real = edge.url("/api/public/booking/organisations/shady-spa");
    let slot = find_slot(&real, 8, 1, 0);
    // A backend that answers the reserve with a script for a payment page (the page is on the same origin,
    // so it is the API the widget talks to).
    let api = venue_with_api(&edge, "shady-spa", Some("en"), |r| {
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        let answer = json!({"reservationId": 1, "status": "pending_payment", "paymentStatus": "pending", "requiresPayment": true,
            "resourceTypeId": 8, "resourceIds": [21], "startTime": body["startTime"], "endTime": body["endTime"], "quantity": 1,
            "quotedAmount": 6500, "quotedCurrency": "eur", "checkoutUrl": "javascript:document.title='owned'",
            "stripeCheckoutSessionId": "cs_x",
            "paymentData": {"provider": "stripe", "mode": "checkout", "checkoutUrl": "javascript:document.title='owned'",
                "stripeCheckoutSessionId": "cs_x", "amount": 6500, "currency": "eur", "status": "pending",
                "statusUrl": "/x", "expiresAt": "2030-01-01T00:00:00Z"}});
        (201, answer.to_string())
    });
    let browser = Browser::start();
    browser.goto(&format!("{}/", api.base));
    browser.script(
        "window.__failed = null; document.addEventListener('booking:failed', e => window.__failed = e.detail);",
        json!([]),
    );
    choose(&browser, 8, &slot);
    fill(&browser, "Tom Target", "tom@example.com", "+36301112222");
    browser.click(&browser.widget_element(".sb-primary"));
    browser.widget_element(".sb-failed");
    let state = browser.script(
        "return {title: document.title, href: location.href, failed: window.__failed};",
        json!([]),
    );
    assert_eq!(state["title"], "Venue", "the script never ran");
    assert_eq!(state["href"], format!("{}/", api.base), "the page stayed");
    assert_eq!(state["failed"]["stage"], "checkout");
}

#[test]
fn a_manage_link_on_the_venue_page_moves_and_cancels_the_booking() {
    let edge = Edge::start();
    let mut doc = demo_document();
    doc["cancellationNoticeHours"] = json!(0);
    assert_eq!(edge.import("acme-spa", &doc).status, 200);
    let base = edge.url("/api/public/booking/organisations/acme-spa");
    let slot = find_slot(&base, 10, 1, 0);
    let body = json!({"resourceTypeId": 10, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
        "customerName": "Max Manage", "customerEmail": "max@example.com", "customerPhone": "+36301112222"});
    let r = http::post_json(&format!("{base}/reserve"), &body).json();
    let manage = r["manageUrl"].as_str().unwrap().to_string();
    let token = manage.rsplit('/').next().unwrap().to_string();

    let browser = Browser::start();
    // The manage view is its own wasm file: a visit to book downloads none of it, a manage link nothing else.
    let fetched = "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname.slice(1)).filter(n => n.startsWith('slotbook-'));";
    browser.goto(&edge.url("/"));
    browser.widget_element(".sb-service");
    let files = browser.script(fetched, json!([]));
    let files: Vec<&str> = files.as_array().unwrap().iter().filter_map(|f| f.as_str()).collect();
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("slotbook-widget-") && f.ends_with("_bg.wasm")),
        "{files:?}"
    );
    assert!(!files.iter().any(|f| f.starts_with("slotbook-manage-")), "{files:?}");
    browser.goto(&edge.url(&format!("/?booking={token}")));
    browser.widget_element(".sb-manage");
    let files = browser.script(fetched, json!([]));
    let files: Vec<&str> = files.as_array().unwrap().iter().filter_map(|f| f.as_str()).collect();
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("slotbook-manage-") && f.ends_with("_bg.wasm")),
        "{files:?}"
    );
    assert!(!files.iter().any(|f| f.starts_with("slotbook-widget-")), "{files:?}");
    browser.script("window.__events = []; ['cancelled','rescheduled'].forEach(n => document.addEventListener('booking:' + n, e => window.__events.push({name: n, detail: e.detail})));", json!([]));
    let text = browser.widget_text();
    assert!(
        text.contains("Your booking") && text.contains("Sauna session") && text.contains("Add to calendar"),
        "{text}"
    );
    assert!(
        text.contains(&format!("Booking reference: {}", r["reservationId"])),
        "{text}"
    );

    // Move it: the same calendar and times as booking, then "Move to this time".
    browser.click(&browser.widget_element(".sb-manage .sb-actions .sb-button"));
    let other = find_slot(&base, 10, 1, 20);
    pick(&browser, &other);
    browser.click(&browser.widget_element(".sb-move-here"));
    browser.wait_for("the move", "return document.querySelector('[data-booking-widget]').shadowRoot.textContent.includes('Your booking has moved.');");
    let now = http::send("GET", &manage, None, &[("Accept", "application/json")])
        .unwrap()
        .json();
    assert_eq!(now["booking"]["startTime"], other["startTime"]);

    // Cancel it, after a confirmation.
    browser.click(&browser.script("return [...document.querySelector('[data-booking-widget]').shadowRoot.querySelectorAll('.sb-actions .sb-button')].find(b => b.textContent.includes('Cancel booking'));", json!([])));
    browser.click(&browser.widget_element(".sb-do-cancel"));
    browser.wait_for("the cancellation", "return document.querySelector('[data-booking-widget]').shadowRoot.textContent.includes('Your booking is cancelled.');");
    let now = http::send("GET", &manage, None, &[("Accept", "application/json")])
        .unwrap()
        .json();
    assert_eq!(now["booking"]["status"], "cancelled");
    let shown = browser.script(
        "return document.querySelector('[data-booking-widget]').shadowRoot.querySelector('.sb-manage').textContent;",
        json!([]),
    );
    assert_eq!(
        shown.as_str().unwrap().matches("Your booking is cancelled.").count(),
        1,
        "said once: {shown}"
    );
    let events = browser.script("return window.__events;", json!([]));
    let names: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["rescheduled", "cancelled"]);
    assert_eq!(events[0]["detail"]["startTime"], other["startTime"]);
    assert!(
        events[1]["detail"].get("customerInfo").is_none(),
        "no personal data in events"
    );

    // From the cancelled booking, "Book something else" is this page without the token: the booking flow.
    let again = browser.widget_element(".sb-book-again");
    let href = browser.script("return arguments[0].href;", json!([again.clone()]));
    assert_eq!(href, json!(edge.url("/")), "the page without ?booking=");
    browser.click(&again);
    browser.widget_element(".sb-service");

    // A link that is not a booking says so.
    browser.goto(&edge.url(&format!("/?booking={}.acme-spa", "0".repeat(64))));
    browser.wait_for("the not-found text", "const h = document.querySelector('[data-booking-widget]'); return h && h.shadowRoot && h.shadowRoot.textContent.includes('This booking link is not valid.');");
}

#[test]
fn data_manage_on_the_script_tag_shows_that_booking() {
    let edge = Edge::start();
    let mut doc = demo_document();
    assert_eq!(edge.import("manage-tag", &doc).status, 200);
    let base = edge.url("/api/public/booking/organisations/manage-tag");
    let slot = find_slot(&base, 10, 1, 0);
    let body = json!({"resourceTypeId": 10, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
        "customerName": "Tia Tag", "customerEmail": "tia@example.com", "customerPhone": "+36301112222"});
    let r = http::post_json(&format!("{base}/reserve"), &body).json();
    let token = r["manageUrl"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    // The venue's own page names the booking on its script tag (no ?booking= in its address).
    let host = slotbook_tests::pages::host_page_with(&edge, "manage-tag", &format!(r#"data-manage="{token}""#), "");
    doc["allowedOrigins"] = json!([host.base]);
    assert_eq!(edge.import("manage-tag", &doc).status, 200);
    let browser = Browser::start();
    browser.goto(&format!("{}/", host.base));
    browser.widget_element(".sb-manage");
    let text = browser.widget_text();
    assert!(text.contains("Sauna session"), "{text}");
    let fetched = browser.script(
        "return performance.getEntriesByType('resource').some(e => e.name.includes('slotbook-manage-'));",
        json!([]),
    );
    assert_eq!(fetched, json!(true), "the manage view's own wasm");
}
