//! The widget in a real browser: the demo venue page served by the edge, driven through chromedriver.

use serde_json::{json, Value};
use slotbook_tests::booking::{find_slot, places_left};
use slotbook_tests::http;
use slotbook_tests::pages::{at_test_checkout, choose, fill, host_page, pay_at_test_checkout, venue_site};
use slotbook_tests::webdriver::Browser;
use slotbook_tests::{demo_document, Edge, DEMO_KEY};

fn acme(edge: &Edge) -> String {
    edge.url("/api/public/booking/organisations/acme-spa")
}

/// An edge with the demo organisation, a slot of `type_id` with `need` places, and a browser on the demo page.
fn demo_page(type_id: i64, need: u64) -> (Edge, Value, Browser) {
    let edge = Edge::start();
    assert_eq!(edge.import("acme-spa", &demo_document()).status, 200);
    let slot = find_slot(&acme(&edge), type_id, need, 0);
    let browser = Browser::start();
    browser.goto(&edge.url("/"));
    (edge, slot, browser)
}

#[test]
fn a_customer_books_a_free_class_on_the_demo_page() {
    let (edge, slot, browser) = demo_page(9, 1);
    let before = slot["available"].as_u64().unwrap();
    // The catalog arrives from the edge into the widget's shadow root.
    browser.widget_element(".sb-service[data-resource-type='9']");
    assert!(browser.widget_text().contains("Deep tissue massage"), "catalog shown");
    browser.script(
        "window.__events = []; ['slot-selected','reserved','confirmed'].forEach(n => \
         document.addEventListener('booking:' + n, e => window.__events.push({name: n, detail: e.detail})));",
        json!([]),
    );
    // The host page's hostile `button` style must not reach the widget.
    let font = browser.script(
        "const b = document.querySelector('[data-booking-widget]').shadowRoot.querySelector('.sb-service'); return getComputedStyle(b).fontSize;",
        json!([]),
    );
    assert_ne!(font, json!("30px"), "host CSS leaked into the widget");

    choose(&browser, 9, &slot);
    let start = slot["startTime"].as_str().unwrap();
    fill(&browser, "Erika Mustermann", "erika@example.com", "+49 30 1234567");
    browser.click(&browser.widget_element(".sb-primary"));

    let confirmed = browser.widget_element(".sb-confirmed");
    assert!(!confirmed.is_null());
    let text = browser.widget_text();
    assert!(text.contains("You're booked!"), "confirmation shown: {text}");
    let brand = browser.script("return getComputedStyle(document.querySelector('[data-booking-widget]').shadowRoot.querySelector('.sb-card')).getPropertyValue('--sb-brand').trim();", json!([]));
    assert_eq!(brand, json!("#0f766e"), "the organisation's brand colour");
    let events = browser.script("return window.__events;", json!([]));
    let names: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["slot-selected", "reserved", "confirmed"]);
    let detail = &events[2]["detail"];
    assert_eq!(detail["startTime"], start);
    assert!(
        detail.get("customerEmail").is_none() && !detail.to_string().contains("erika"),
        "no personal data in events"
    );
    let reservation_id = detail["reservationId"].as_i64().unwrap();
    assert!(text.contains(&reservation_id.to_string()), "reference shown");

    // The reservation exists in the engine and the slot's places went down.
    let staff = http::send(
        "GET",
        &edge.url(&format!("/api/reservations/{reservation_id}")),
        None,
        &[("Authorization", &format!("Bearer {DEMO_KEY}"))],
    )
    .unwrap();
    assert_eq!(staff.status, 200, "{}", staff.body);
    let r = staff.json();
    assert_eq!(r["customerInfo"]["name"], "Erika Mustermann");
    assert_eq!(r["status"], "confirmed");
    assert_eq!(r["startTime"], start);
    assert_eq!(places_left(&acme(&edge), 9, &slot), before - 1);
}

#[test]
fn the_form_checks_fields_as_you_type() {
    let (edge, slot, browser) = demo_page(10, 1);
    choose(&browser, 10, &slot);
    browser.click(&browser.widget_element(".sb-primary"));
    let text = browser.wait_for("field errors", "const t = document.querySelector('[data-booking-widget]').shadowRoot.textContent; return t.includes('Please enter your name.') && t;");
    let text = text.as_str().unwrap();
    assert!(text.contains("Please enter a valid email address."));
    assert!(text.contains("Please enter a phone number."));
    let invalid = browser.script("return document.querySelector('[data-booking-widget]').shadowRoot.querySelector('#sb-email').getAttribute('aria-invalid');", json!([]));
    assert_eq!(invalid, json!("true"));
    // Nothing was reserved.
    let list = http::send(
        "GET",
        &edge.url("/api/reservations"),
        None,
        &[("Authorization", &format!("Bearer {DEMO_KEY}"))],
    )
    .unwrap()
    .json();
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
}

#[test]
fn a_paid_booking_goes_through_checkout_and_comes_back_confirmed() {
    let (edge, slot, browser) = demo_page(8, 1);
    choose(&browser, 8, &slot);
    fill(&browser, "Paula Payer", "paula@example.com", "+36 30 111 2222");
    assert!(browser.widget_text().contains("65.00"), "the price is shown");
    browser.click(&browser.widget_element(".sb-primary"));

    // The top window goes to the checkout page (the local stand-in for Stripe Checkout).
    at_test_checkout(&browser);
    assert!(browser.script("return document.body.textContent.includes('TEST PAYMENT');", json!([])) == json!(true));
    pay_at_test_checkout(&browser);

    // Back on the venue's page, the widget polls the checkout status until it is confirmed, and the session
    // id leaves the address bar (a reload or a shared link must not replay it).
    browser.wait_for(
        "the return to the venue page",
        "return location.pathname === '/' && location.origin !== 'null';",
    );
    browser.widget_element(".sb-confirmed");
    assert!(
        !browser.current_url().contains("booking_session_id"),
        "{}",
        browser.current_url()
    );
    let text = browser.widget_text();
    for shown in [
        "Deep tissue massage",
        "60 min",
        "payment received",
        "Add to calendar",
        "Google Calendar",
        "Change or cancel",
    ] {
        assert!(text.contains(shown), "{shown} in the confirmation: {text}");
    }
    assert!(text.contains("65.00"), "the amount paid");
    let list = http::send(
        "GET",
        &edge.url("/api/reservations?resourceTypeId=8"),
        None,
        &[("Authorization", &format!("Bearer {DEMO_KEY}"))],
    )
    .unwrap()
    .json();
    let session = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["customerInfo"]["name"] == "Paula Payer")
        .unwrap()["stripeCheckoutSessionId"]
        .as_str()
        .unwrap()
        .to_string();
    let status = http::get(&edge.url(&format!(
        "/api/public/booking/organisations/acme-spa/checkout-status?sessionId={session}"
    )))
    .unwrap()
    .json();
    assert_eq!(status["status"], "confirmed");
    assert_eq!(status["paymentStatus"], "succeeded");
    let r = http::send(
        "GET",
        &edge.url(&format!("/api/reservations/{}", status["reservationId"])),
        None,
        &[("Authorization", &format!("Bearer {DEMO_KEY}"))],
    )
    .unwrap()
    .json();
    assert_eq!(r["customerInfo"]["name"], "Paula Payer");
    assert_eq!(r["quotedTotalAmount"], 6500);
}

#[test]
fn a_cancelled_payment_offers_another_time() {
    let (edge, slot, browser) = demo_page(8, 1);
    let before = slot["available"].as_u64().unwrap();
    choose(&browser, 8, &slot);
    fill(&browser, "Paula Payer", "paula@example.com", "+36 30 111 2222");
    browser.click(&browser.widget_element(".sb-primary"));
    at_test_checkout(&browser);
    let cancel = browser.script("return document.querySelector('button:not(.pay)');", json!([]));
    browser.click(&cancel);
    browser.widget_element(".sb-failed");
    assert!(browser.widget_text().contains("Pick another time"));
    assert!(!browser.current_url().contains("booking_session_id"));
    assert_eq!(places_left(&acme(&edge), 8, &slot), before, "the held room is released");
}

#[test]
fn back_from_the_payment_page_is_not_completed_and_can_pay() {
    let (edge, slot, browser) = demo_page(8, 1);
    choose(&browser, 8, &slot);
    fill(&browser, "Bert Back", "bert@example.com", "+36 30 111 2223");
    browser.click(&browser.widget_element(".sb-primary"));
    at_test_checkout(&browser);
    // The customer presses the browser's back button instead of paying.
    browser.script("history.back();", json!([]));
    browser.widget_element(".sb-unpaid");
    let text = browser.widget_text();
    assert!(
        text.contains("Payment not completed") && !text.contains("did not go through"),
        "{text}"
    );
    assert_eq!(
        places_left(&acme(&edge), 8, &slot),
        slot["available"].as_u64().unwrap() - 1,
        "the room is still held"
    );
    browser.click(&browser.widget_element(".sb-unpaid .sb-primary"));
    at_test_checkout(&browser);
    pay_at_test_checkout(&browser);
    browser.widget_element(".sb-confirmed");
}

#[test]
fn the_confirmation_says_what_was_booked_and_links_the_calendar_file() {
    let edge = Edge::start();
    let mut doc = demo_document();
    doc["address"] = json!("Fő utca 1, 1011 Budapest");
    assert_eq!(edge.import("acme-spa", &doc).status, 200);
    let slot = find_slot(&acme(&edge), 10, 2, 0);
    let browser = Browser::start();
    browser.goto(&edge.url("/"));
    choose(&browser, 10, &slot);
    let chose = browser.script("const q = document.querySelector('[data-booking-widget]').shadowRoot.querySelector('select[name=quantity]'); q.value = '2'; q.dispatchEvent(new Event('change')); return q.value;", json!([]));
    assert_eq!(chose, json!("2"));
    fill(&browser, "Cora Confirm", "cora@example.com", "+36 30 111 2224");
    browser.click(&browser.widget_element(".sb-primary"));
    browser.widget_element(".sb-confirmed");
    let text = browser.widget_text();
    for shown in [
        "Acme Spa",
        "Sauna session",
        "Fő utca 1, 1011 Budapest",
        "min",
        "Booking reference",
    ] {
        assert!(text.contains(shown), "{shown} in the confirmation: {text}");
    }
    let href = browser.script(
        "return document.querySelector('[data-booking-widget]').shadowRoot.querySelector('a[download]').href;",
        json!([]),
    );
    let href = href.as_str().unwrap();
    assert!(
        href.starts_with(&edge.url("/api/public/booking/manage/")) && href.ends_with("/calendar.ics"),
        "{href}"
    );
    let ics = http::get(href).unwrap();
    assert!(
        ics.body.contains("BEGIN:VEVENT") && ics.body.contains("SUMMARY:Sauna session\\, Acme Spa"),
        "{}",
        ics.body
    );
    let manage = href.trim_end_matches("/calendar.ics");
    let google = browser.script("return [...document.querySelector('[data-booking-widget]').shadowRoot.querySelectorAll('.sb-links a')].map(a => a.href).find(h => h.startsWith('https://calendar.google.com/'));", json!([]));
    let managed = http::send("GET", manage, None, &[("Accept", "application/json")])
        .unwrap()
        .json();
    assert_eq!(
        google, managed["googleCalendarUrl"],
        "the Google Calendar link beside the calendar file"
    );
    // Two places were chosen, booked and held.
    assert_eq!(managed["booking"]["quantity"], 2, "{managed}");
    assert_eq!(
        places_left(&acme(&edge), 10, &slot),
        slot["available"].as_u64().unwrap() - 2
    );
}

#[test]
fn a_venue_site_on_another_origin_embeds_the_widget_and_books() {
    let edge = Edge::start();
    let browser = Browser::start();
    let host = venue_site(&edge, "nord-studio", "", "");
    let slot = find_slot(&edge.url("/api/public/booking/organisations/nord-studio"), 10, 1, 0);

    browser.goto(&format!("{}/", host.base));
    browser.widget_element(".sb-service[data-resource-type='10']");
    let text = browser.widget_text();
    assert!(text.contains("Leistung wählen"), "German from <html lang>: {text}");
    let placed = browser.script(
        "return document.querySelector('#booking-here').hasAttribute('data-booking-widget');",
        json!([]),
    );
    assert_eq!(placed, json!(true), "mounted into data-target");
    choose(&browser, 10, &slot);
    fill(&browser, "Nora Nord", "nora@example.com", "+49 40 1234567");
    browser.click(&browser.widget_element(".sb-primary"));
    browser.widget_element(".sb-confirmed");
    assert!(browser.widget_text().contains("Ihre Buchung ist bestätigt!"));

    // The API answers that origin with CORS, and only that origin.
    let catalog = edge.url("/api/public/booking/organisations/nord-studio");
    let ok = http::send("GET", &catalog, None, &[("Origin", &host.base)]).unwrap();
    assert_eq!(ok.header("access-control-allow-origin"), Some(host.base.as_str()));
    assert!(ok.header("vary").is_some_and(|v| v.contains("Origin")));
    let preflight = http::send(
        "OPTIONS",
        &format!("{catalog}/reserve"),
        None,
        &[
            ("Origin", &host.base),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type, idempotency-key"),
        ],
    )
    .unwrap();
    assert_eq!(preflight.status, 204);
    assert!(preflight
        .header("access-control-allow-headers")
        .is_some_and(|h| h.contains("Idempotency-Key")));
    http::send("GET", &catalog, None, &[("Origin", "https://evil.example")])
        .unwrap()
        .error(403, "origin_not_allowed");
}

#[test]
fn a_site_that_is_not_allowed_gets_a_clear_error_not_a_widget() {
    let edge = Edge::start();
    let browser = Browser::start();
    let host = host_page(&edge, "closed-studio");
    assert_eq!(edge.import("closed-studio", &demo_document()).status, 200);
    browser.goto(&format!("{}/", host.base));
    browser.widget_element(".sb-error button");
    assert!(
        browser.widget_text().contains("Das konnte nicht geladen werden"),
        "{}",
        browser.widget_text()
    );
}

#[test]
fn a_time_taken_meanwhile_refreshes_the_slots_and_keeps_the_form() {
    let (edge, slot, browser) = demo_page(10, 8);
    choose(&browser, 10, &slot);
    // Focus follows the flow: picking a time moves it to the details step.
    let focused = browser.wait_for("focus on the details step", "const r = document.querySelector('[data-booking-widget]').shadowRoot; return r.activeElement && r.activeElement.id;");
    assert_eq!(focused, json!("sb-details"));
    fill(&browser, "Tom Late", "tom@example.com", "+36 30 999 8888");

    // Someone else takes every place of that time before Tom submits.
    for name in ["A", "B"] {
        let body = json!({"resourceTypeId": 10, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 4,
            "customerName": name, "customerEmail": "other@example.com", "customerPhone": "+3612345678"});
        assert_eq!(http::post_json(&format!("{}/reserve", acme(&edge)), &body).status, 201);
    }
    browser.click(&browser.widget_element(".sb-primary"));
    browser.widget_element(".sb-notice");
    assert!(browser.widget_text().contains("that time was just taken"));
    let start = slot["startTime"].as_str().unwrap();
    // Full now: shown, but no longer a button to press.
    let tag = browser.wait_for("the refreshed, full slot", &format!(
        "const b = document.querySelector('[data-booking-widget]').shadowRoot.querySelector(\".sb-slot[data-start='{start}']\"); return b && b.tagName === 'SPAN' && b.tagName;"));
    assert_eq!(tag, json!("SPAN"));
    // Another time: what Tom typed is still there.
    browser.click(&browser.widget_element("button.sb-slot"));
    let name = browser.wait_for("the form again", "const i = document.querySelector('[data-booking-widget]').shadowRoot.querySelector('#sb-name'); return i && i.value;");
    assert_eq!(name, json!("Tom Late"));
    browser.click(&browser.widget_element(".sb-primary"));
    browser.widget_element(".sb-confirmed");
}

#[test]
fn popup_mode_loads_the_widget_only_when_asked() {
    let edge = Edge::start();
    let browser = Browser::start();
    let host = venue_site(&edge, "popup-studio", r#"data-mode="popup""#, "");
    browser.goto(&format!("{}/", host.base));
    let button = browser.wait_for("the popup button", "const h = document.querySelector('#booking-here'); return h && h.shadowRoot && h.shadowRoot.querySelector('button.open');");
    let label = browser.script(
        "return document.querySelector('#booking-here').shadowRoot.querySelector('button.open').textContent;",
        json!([]),
    );
    assert_eq!(label, json!("Jetzt buchen"));
    let wasm_fetched = "return performance.getEntriesByType('resource').some(e => e.name.endsWith('_bg.wasm'));";
    slotbook_tests::holds_for("nothing heavy before the customer asks", 1500, || {
        browser.script(wasm_fetched, json!([])) == json!(false)
    });
    browser.click(&button);
    browser.wait_for(
        "the catalog in the dialog",
        "const h = document.querySelector('#booking-here').shadowRoot; \
        const d = h.querySelector('dialog'); const i = h.querySelector('.inner'); \
        return d.open && i.shadowRoot && i.shadowRoot.querySelector(\".sb-service[data-resource-type='10']\");",
    );
    assert_eq!(browser.script(wasm_fetched, json!([])), json!(true));
    // Through the JS API, opened at once: it opens once its popup exists (the popup's code arrives on demand).
    browser.script(
        "const el = document.createElement('div'); el.id = 'second'; document.body.append(el); \
        BookingWidget.mount(el, {organisation: 'popup-studio', mode: 'popup'}); BookingWidget.open(el); return true;",
        json!([]),
    );
    browser.wait_for(
        "the second popup open",
        "const h = document.querySelector('#second').shadowRoot; \
        const d = h && h.querySelector('dialog'); const i = h && h.querySelector('.inner'); \
        return d && d.open && i.shadowRoot && i.shadowRoot.querySelector(\".sb-service[data-resource-type='10']\");",
    );
}

#[test]
fn a_floating_button_sits_at_its_corner_and_opens_the_widget_from_the_keyboard() {
    let edge = Edge::start();
    let browser = Browser::start();
    let host = venue_site(
        &edge,
        "float-studio",
        r#"data-mode="floating" data-position="bottom-left" data-label="Reserve a time""#,
        "",
    );
    browser.goto(&format!("{}/", host.base));
    let shadow = "document.querySelector('#booking-here').shadowRoot";
    browser.wait_for(
        "the floating button",
        &format!("const r = {shadow}; return r && r.querySelector('button.open');"),
    );
    // Fixed at the bottom left corner, labelled as the page asked, in the organisation's brand colour.
    let placed = browser.wait_for(
        "the button placed and coloured",
        &format!(
            "const b = {shadow}.querySelector('button.open'); const s = getComputedStyle(b); \
             return s.backgroundColor === 'rgb(15, 118, 110)' ? \
               [s.position, s.left, s.bottom, b.textContent, b.getBoundingClientRect().left < 40] : null;"
        ),
    );
    assert_eq!(placed, json!(["fixed", "20px", "20px", "Reserve a time", true]));
    let wasm_fetched = "return performance.getEntriesByType('resource').some(e => e.name.endsWith('_bg.wasm'));";
    std::thread::sleep(std::time::Duration::from_millis(500));
    slotbook_tests::holds_for("nothing heavy before the customer asks", 1500, || {
        browser.script(wasm_fetched, json!([])) == json!(false)
    });
    // From the keyboard: focus reaches the button (the wasm starts loading), Enter opens the dialog with the
    // widget in it, Escape closes it.
    browser.script(
        &format!("{shadow}.querySelector('button.open').focus(); return true;"),
        json!([]),
    );
    browser.wait_for("the wasm loading on focus", wasm_fetched);
    browser.keys("\u{E007}");
    browser.wait_for(
        "the widget in the dialog",
        &format!(
            "const d = {shadow}.querySelector('dialog'); const i = {shadow}.querySelector('.inner'); \
             return d.open && d.getAttribute('aria-label') === 'Reserve a time' && i.shadowRoot && \
               i.shadowRoot.querySelector(\".sb-service[data-resource-type='10']\");"
        ),
    );
    browser.keys("\u{E00C}");
    browser.wait_for(
        "the dialog closed",
        &format!("return !{shadow}.querySelector('dialog').open;"),
    );
}

#[test]
fn the_documented_strict_csp_is_enough() {
    let edge = Edge::start();
    let browser = Browser::start();
    let csp = format!(
        r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src {e} 'wasm-unsafe-eval'; connect-src {e}">"#,
        e = edge.base
    );
    let host = venue_site(&edge, "csp-studio", "", &csp);
    let slot = find_slot(&edge.url("/api/public/booking/organisations/csp-studio"), 10, 1, 0);
    browser.goto(&format!("{}/", host.base));
    choose(&browser, 10, &slot);
    fill(&browser, "Carl Strict", "carl@example.com", "+49 40 7654321");
    browser.click(&browser.widget_element(".sb-primary"));
    browser.widget_element(".sb-confirmed");
    // Styles arrived through constructable stylesheets: the card has its border radius.
    let radius = browser.script("return getComputedStyle(document.querySelector('[data-booking-widget]').shadowRoot.querySelector('.sb-card')).borderTopLeftRadius;", json!([]));
    assert_eq!(radius, json!("10px"));
}

#[test]
fn iframe_mode_books_inside_a_frame_and_reports_events_to_the_host() {
    let edge = Edge::start();
    let browser = Browser::start();
    let csp = format!(
        r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src {e}; frame-src {e}">"#,
        e = edge.base
    );
    let host = venue_site(&edge, "frame-studio", r#"data-mode="iframe""#, &csp);
    let slot = find_slot(&edge.url("/api/public/booking/organisations/frame-studio"), 10, 1, 0);
    browser.goto(&format!("{}/", host.base));
    browser.script(
        "window.__events = []; ['ready','slot-selected','reserved','confirmed'].forEach(n => \
         document.addEventListener('booking:' + n, e => window.__events.push(n)));",
        json!([]),
    );
    let frame = browser.wait_for("the frame", "const h = document.querySelector('#booking-here'); return h && h.shadowRoot && h.shadowRoot.querySelector('iframe');");
    browser.switch_to_frame(&frame);
    choose(&browser, 10, &slot);
    fill(&browser, "Frida Frame", "frida@example.com", "+49 40 1112223");
    browser.click(&browser.widget_element(".sb-primary"));
    browser.widget_element(".sb-confirmed");
    browser.switch_to_top();
    let events = browser.wait_for(
        "the events on the host page",
        "return window.__events.includes('confirmed') && window.__events;",
    );
    let names: Vec<&str> = events.as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    assert_eq!(
        names
            .iter()
            .filter(|n| ["slot-selected", "reserved", "confirmed"].contains(n))
            .count(),
        3,
        "{names:?}"
    );
    let height = browser.script("return document.querySelector('#booking-here').shadowRoot.querySelector('iframe').getBoundingClientRect().height;", json!([]));
    assert!(
        height.as_f64().unwrap() > 400.0,
        "the frame grew with its content: {height}"
    );

    // Only the organisation's sites may frame it.
    let page = http::get(&edge.url(&format!(
        "/api/embed?organisation=frame-studio&parentOrigin={}",
        host.base
    )))
    .unwrap();
    assert_eq!(
        page.header("content-security-policy"),
        Some(format!("frame-ancestors {}", host.base).as_str())
    );
    http::get(&edge.url("/api/embed?organisation=frame-studio&parentOrigin=https://evil.example"))
        .unwrap()
        .error(403, "origin_not_allowed");
}

#[test]
fn iframe_mode_sends_the_whole_page_to_checkout_and_resumes_after() {
    let edge = Edge::start();
    let browser = Browser::start();
    let host = venue_site(&edge, "frame-pay", r#"data-mode="iframe""#, "");
    let slot = find_slot(&edge.url("/api/public/booking/organisations/frame-pay"), 8, 1, 0);
    browser.goto(&format!("{}/", host.base));
    let frame = browser.wait_for("the frame", "const h = document.querySelector('#booking-here'); return h && h.shadowRoot && h.shadowRoot.querySelector('iframe');");
    browser.switch_to_frame(&frame);
    choose(&browser, 8, &slot);
    fill(&browser, "Petra Frame", "petra@example.com", "+49 40 1112224");
    browser.click(&browser.widget_element(".sb-primary"));
    browser.switch_to_top();
    at_test_checkout(&browser);
    pay_at_test_checkout(&browser);
    browser.wait_for(
        "back on the venue's page",
        &format!("return location.origin === '{}';", host.base),
    );
    let frame = browser.wait_for("the frame again", "const h = document.querySelector('#booking-here'); return h && h.shadowRoot && h.shadowRoot.querySelector('iframe');");
    browser.switch_to_frame(&frame);
    browser.widget_element(".sb-confirmed");
}

#[test]
fn the_catalog_is_asked_once_while_the_widget_loads_and_marks_are_left() {
    let edge = Edge::start();
    assert_eq!(edge.import("acme-spa", &demo_document()).status, 200);
    let api = slotbook_tests::pages::venue_with_api(&edge, "acme-spa", Some("en"), |_| (500, "{}".into()));
    let browser = Browser::start();
    browser.goto(&api.base);
    browser.widget_element(".sb-service[data-resource-type='9']");
    // The loader's own request serves the widget's first view: no second round trip for the catalog, then or
    // after.
    let catalog_calls = || {
        api.requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path == "/api/public/booking/organisations/acme-spa")
            .count()
    };
    slotbook_tests::holds_for("one catalog request", 1500, || catalog_calls() == 1);
    // … and it starts while the wasm is still on its way, not after.
    let order = browser.script(
        "const all = performance.getEntriesByType('resource'); \
         const catalog = all.find(e => e.name.endsWith('/organisations/acme-spa')); \
         const wasm = all.find(e => e.name.endsWith('.wasm')); \
         return catalog && wasm ? catalog.startTime < wasm.responseEnd : null;",
        json!([]),
    );
    assert_eq!(order, json!(true), "catalog fetched beside the wasm");
    let marked = browser.script(
        "return performance.getEntriesByName('booking:catalog').length;",
        json!([]),
    );
    assert_eq!(marked, json!(1), "the User Timing mark a venue's monitoring reads");
}

#[test]
fn a_preselected_day_is_asked_for_beside_the_catalog_and_only_once() {
    let edge = Edge::start();
    assert_eq!(edge.import("acme-spa", &demo_document()).status, 200);
    let slot = find_slot(&acme(&edge), 10, 1, 0);
    let date = slot["date"].as_str().unwrap().to_string();
    let api = slotbook_tests::pages::venue_with_api(&edge, "acme-spa", Some("en"), |_| (500, "{}".into()));
    let browser = Browser::start();
    browser.goto(&format!("{}/preselected/10/{date}", api.base));
    browser.widget_element(".sb-slot");
    // The page chose the service and the day: the loader asked for that day's times while the wasm loaded,
    // and the widget showed them from that answer, with no second request.
    let path = format!("/api/public/booking/organisations/acme-spa/availability?date={date}&resourceTypeId=10");
    let asked = || {
        api.requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path == path)
            .count()
    };
    assert_eq!(
        asked(),
        1,
        "{:?}",
        api.requests().iter().map(|r| r.path.clone()).collect::<Vec<_>>()
    );
    let order = browser.script(
        "const all = performance.getEntriesByType('resource'); \
         const day = all.find(e => e.name.includes('/availability?')); \
         const wasm = all.find(e => e.name.endsWith('.wasm')); \
         return day && wasm ? day.startTime < wasm.responseEnd : null;",
        json!([]),
    );
    assert_eq!(order, json!(true), "the day's times fetched beside the wasm");
    // It stays one: nothing asks for the day again once its times are shown.
    slotbook_tests::holds_for("one request for the preselected day", 1500, || asked() == 1);
}

#[test]
fn a_slow_preselected_day_does_not_hold_back_the_catalog() {
    let edge = Edge::start();
    assert_eq!(edge.import("acme-spa", &demo_document()).status, 200);
    let date = find_slot(&acme(&edge), 10, 1, 0)["date"].as_str().unwrap().to_string();
    // The widget's first view waits for the loader's early answers so that it is drawn once; a day's times
    // that take 5 s must not keep the services from showing meanwhile.
    let edge_base = edge.base.clone();
    let page_date = date.clone();
    let api = slotbook_tests::double::Server::start_typed(move |r| {
        if r.path == "/" {
            let origin = format!("http://{}", r.headers["host"]);
            let page = format!(
                r##"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Venue</title></head><body>
<div id="booking-here"></div><script src="{edge_base}/widget.js" data-organisation="acme-spa" data-api="{origin}" data-target="#booking-here" data-resource-type="10" data-date="{page_date}" async></script></body></html>"##
            );
            return (200, "text/html; charset=utf-8", page);
        }
        if r.path.contains("/availability?") {
            std::thread::sleep(std::time::Duration::from_secs(5));
        }
        let real = http::get(&format!("{edge_base}{}", r.path)).unwrap();
        (real.status, "application/json", real.body)
    });
    let browser = Browser::start();
    browser.goto(&api.base);
    browser.widget_element(".sb-service[data-resource-type='10']");
    let slots_shown = || {
        browser.script(
            "return document.querySelector('[data-booking-widget]').shadowRoot.querySelectorAll('.sb-slot').length;",
            json!([]),
        )
    };
    assert_eq!(
        slots_shown(),
        json!(0),
        "the services shown while the day's times are on their way"
    );
    // … and the loader's answer still serves the times when it comes: one request for the day.
    browser.widget_element(".sb-slot");
    let asked = api
        .requests()
        .iter()
        .filter(|r| r.path.contains("/availability?"))
        .count();
    assert_eq!(asked, 1);
}

#[test]
fn a_popup_starts_loading_when_its_button_is_hovered_or_focused() {
    let edge = Edge::start();
    let browser = Browser::start();
    let host = venue_site(&edge, "hover-studio", r#"data-mode="popup""#, "");
    let wasm_fetched = "return performance.getEntriesByType('resource').some(e => e.name.endsWith('_bg.wasm'));";
    let button = "document.querySelector('#booking-here').shadowRoot.querySelector('button.open')";
    for (how, trigger) in [
        ("hovered", "b.dispatchEvent(new MouseEvent('mouseenter'));"),
        ("focused", "b.focus();"),
    ] {
        browser.goto(&format!("{}/?{how}", host.base));
        browser.wait_for(
            "the popup button",
            &format!("return !!(document.querySelector('#booking-here').shadowRoot && {button});"),
        );
        assert_eq!(
            browser.script(wasm_fetched, json!([])),
            json!(false),
            "{how}: nothing before"
        );
        browser.script(&format!("const b = {button}; {trigger} return true;"), json!([]));
        browser.wait_for(&format!("the widget's files once {how}"), wasm_fetched);
        let open = browser.script(
            "return document.querySelector('#booking-here').shadowRoot.querySelector('dialog').open;",
            json!([]),
        );
        assert_eq!(open, json!(false), "{how}: loaded ahead, not opened");
    }
}

#[test]
fn iframe_events_arrive_once_each_in_order_and_forged_messages_are_ignored() {
    let edge = Edge::start();
    let browser = Browser::start();
    // The host page listens from its very start (an inline script in its head, before the widget's loader).
    let listen =
        "<script>window.__events = []; ['ready','slot-selected','reserved','payment-started','confirmed','failed']\
        .forEach(n => document.addEventListener('booking:' + n, e => window.__events.push(n)));</script>";
    let host = venue_site(&edge, "sequence-studio", r#"data-mode="iframe""#, listen);
    let slot = find_slot(&edge.url("/api/public/booking/organisations/sequence-studio"), 10, 1, 0);
    browser.goto(&format!("{}/", host.base));
    browser.wait_for("the frame's ready", "return window.__events.includes('ready');");
    // Messages that claim to come from the widget but come from the page itself (another origin than the
    // edge's, another source than the frame): no event, no resize.
    let frame = "document.querySelector('#booking-here').shadowRoot.querySelector('iframe')";
    let height_before = browser.script(&format!("return {frame}.style.height;"), json!([]));
    browser.script(
        "window.postMessage({source: 'slotbook', type: 'booking:confirmed', detail: {reservationId: 666}}, '*'); \
         window.postMessage({source: 'slotbook', type: 'resize', height: 3}, '*'); return true;",
        json!([]),
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(browser.script("return window.__events;", json!([])), json!(["ready"]));
    assert_eq!(
        browser.script(&format!("return {frame}.style.height;"), json!([])),
        height_before
    );

    let element = browser.script(&format!("return {frame};"), json!([]));
    browser.switch_to_frame(&element);
    choose(&browser, 10, &slot);
    fill(&browser, "Sue Sequence", "sue@example.com", "+49 40 1112223");
    browser.click(&browser.widget_element(".sb-primary"));
    browser.widget_element(".sb-confirmed");
    browser.switch_to_top();
    browser.wait_for(
        "the confirmation on the host",
        "return window.__events.includes('confirmed');",
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        browser.script("return window.__events;", json!([])),
        json!(["ready", "slot-selected", "reserved", "confirmed"]),
        "each once, in order"
    );
}

#[test]
fn a_paid_booking_tells_the_host_page_reserved_payment_started_then_confirmed() {
    let edge = Edge::start();
    let browser = Browser::start();
    // The venue's page keeps the widget's events across the trip to the payment page (sessionStorage).
    let keep = "<script>['reserved','payment-started','confirmed','failed'].forEach(n => document.addEventListener('booking:' + n, \
        () => { const l = JSON.parse(sessionStorage.getItem('events') || '[]'); l.push(n); sessionStorage.setItem('events', JSON.stringify(l)); }));</script>";
    let host = venue_site(&edge, "event-spa", "", keep);
    let slot = find_slot(&edge.url("/api/public/booking/organisations/event-spa"), 8, 1, 0);
    browser.goto(&format!("{}/", host.base));
    choose(&browser, 8, &slot);
    fill(&browser, "Eve Event", "eve@example.com", "+36 30 111 2225");
    browser.click(&browser.widget_element(".sb-primary"));
    at_test_checkout(&browser);
    pay_at_test_checkout(&browser);
    browser.wait_for(
        "the return to the venue page",
        &format!("return location.origin === '{}';", host.base),
    );
    browser.widget_element(".sb-confirmed");
    let events = browser.wait_for(
        "the confirmation event",
        "const l = JSON.parse(sessionStorage.getItem('events') || '[]'); return l.includes('confirmed') && l;",
    );
    assert_eq!(events, json!(["reserved", "payment-started", "confirmed"]));
}

#[test]
fn a_booking_link_token_and_a_return_url_set_on_the_script_tag() {
    let edge = Edge::start();
    let browser = Browser::start();
    let token = slotbook_tests::token_for("token-spa");
    let edge_base = edge.base.clone();
    let script_token = token.clone();
    // The venue's page books one published room through its booking token, and wants customers back on its
    // own thank-you page after paying.
    let site = slotbook_tests::double::Server::start_typed(move |r| {
        let origin = format!("http://{}", r.headers["host"]);
        let page = format!(
            r##"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Room 2</title></head><body>
<div id="booking-here"></div><script src="{edge_base}/widget.js" data-token="{script_token}" data-return-url="{origin}/thanks?from=widget" data-target="#booking-here" async></script></body></html>"##
        );
        (200, "text/html; charset=utf-8", page)
    });
    let mut doc = slotbook_tests::document_for("token-spa");
    doc["allowedOrigins"] = json!([site.base]);
    assert_eq!(edge.import("token-spa", &doc).status, 200);
    let slot = find_slot(&edge.url(&format!("/api/public/booking/{token}")), 8, 1, 0);
    browser.goto(&format!("{}/", site.base));
    // Only the published room's service is offered.
    let services = browser.wait_for(
        "the token's service",
        "const r = document.querySelector('[data-booking-widget]').shadowRoot; return r && r.querySelector('.sb-service') && r.querySelectorAll('.sb-service').length;",
    );
    assert_eq!(services, json!(1));
    choose(&browser, 8, &slot);
    fill(&browser, "Tom Token", "tom@example.com", "+36 30 111 2226");
    browser.click(&browser.widget_element(".sb-primary"));
    at_test_checkout(&browser);
    pay_at_test_checkout(&browser);
    // Back on the page the script tag named, where the widget finds its booking again.
    browser.wait_for(
        "the thank-you page",
        &format!(
            "return location.origin === '{}' && location.pathname === '/thanks';",
            site.base
        ),
    );
    assert!(
        browser.current_url().contains("from=widget"),
        "{}",
        browser.current_url()
    );
    browser.widget_element(".sb-confirmed");
}
