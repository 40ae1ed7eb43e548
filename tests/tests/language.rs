//! The form and the customer's language: the organisation's locale after the page's, the clock of the
//! locale, words translated, a field the server refuses marked beside it in the customer's words, and a
//! request that hangs given up so the customer can try again.

use serde_json::json;
use slotbook_tests::booking::find_slot;
use slotbook_tests::pages::{choose, fill, venue_site, venue_with_api};
use slotbook_tests::webdriver::Browser;
use slotbook_tests::{demo_document, document_for, Edge};

/// The day's times as shown, in order.
fn slot_times(browser: &Browser) -> Vec<String> {
    let labels = browser.script("return [...document.querySelector('[data-booking-widget]').shadowRoot.querySelectorAll('.sb-slot-time')].map(e => e.textContent);", json!([]));
    labels
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect()
}

/// The day's times read as a 24-hour clock: no AM/PM, and the afternoon's hours past 12.
fn assert_24_hour(browser: &Browser) {
    let labels = slot_times(browser);
    assert!(labels.iter().all(|l| !l.contains('M') && l.contains(':')), "{labels:?}");
    let hours: Vec<u32> = labels
        .iter()
        .filter_map(|l| l.split(':').next()?.trim().parse().ok())
        .collect();
    assert!(hours.iter().any(|h| *h >= 13), "afternoon hours past 12: {labels:?}");
}

#[test]
fn the_organisations_locale_comes_after_the_pages_and_times_use_its_clock() {
    let edge = Edge::start();
    let mut doc = document_for("hu-spa");
    doc["locale"] = json!("hu");
    assert_eq!(edge.import("hu-spa", &doc).status, 200);
    let venue = venue_with_api(&edge, "hu-spa", None, |_| (500, "{}".into()));
    let slot = find_slot(&edge.url("/api/public/booking/organisations/hu-spa"), 10, 1, 0);
    let browser = Browser::start();
    browser.goto(&format!("{}/", venue.base));
    browser.widget_element(".sb-service[data-resource-type='10']");
    let text = browser.widget_text();
    assert!(
        text.contains("Válasszon szolgáltatást") && text.contains("perc"),
        "Hungarian, the organisation's: {text}"
    );
    choose(&browser, 10, &slot);
    assert_24_hour(&browser);
    // A service whose room the customer may choose names the choice in words, not "Choose".
    browser.click(&browser.widget_element(".sb-service[data-resource-type='8']"));
    let picker = browser.wait_for("the room picker", "const s = document.querySelector('[data-booking-widget]').shadowRoot.querySelector('select[name=resource]'); return s && s.closest('label').textContent;");
    assert!(
        picker.as_str().unwrap().starts_with("Az Ön választása")
            && picker.as_str().unwrap().contains("Bármelyik szabad"),
        "{picker}"
    );

    // English on a page that says so, for a venue in Europe: still the 24-hour clock.
    assert_eq!(edge.import("acme-spa", &document_for("acme-spa")).status, 200);
    browser.goto(&edge.url("/"));
    browser.widget_element(".sb-service[data-resource-type='10']");
    let slot = find_slot(&edge.url("/api/public/booking/organisations/acme-spa"), 10, 1, 0);
    choose(&browser, 10, &slot);
    assert_24_hour(&browser);
    assert!(
        browser.widget_text().contains("Choose a day"),
        "the page's English wins over the organisation's"
    );
}

#[test]
fn minutes_and_the_popups_close_button_are_in_the_pages_language() {
    let edge = Edge::start();
    let host = venue_site(&edge, "de-popup", r#"data-mode="popup""#, "");
    let browser = Browser::start();
    browser.goto(&format!("{}/", host.base));
    let label = browser.wait_for("the popup's close button", "const h = document.querySelector('#booking-here'); const b = h && h.shadowRoot && h.shadowRoot.querySelector('.close'); return b && b.getAttribute('aria-label');");
    assert_eq!(label, json!("Schließen"));
    browser.click(&browser.script(
        "return document.querySelector('#booking-here').shadowRoot.querySelector('.open');",
        json!([]),
    ));
    let text = browser.wait_for("the widget in the dialog", "const i = document.querySelector('#booking-here').shadowRoot.querySelector('.inner'); return i && i.shadowRoot && i.shadowRoot.textContent.includes('Leistung') && i.shadowRoot.textContent;");
    assert!(text.as_str().unwrap().contains("Min."), "{text}");
}

#[test]
fn a_field_the_server_refuses_is_marked_beside_it_in_the_customers_words() {
    let edge = Edge::start();
    assert_eq!(edge.import("picky-spa", &demo_document()).status, 200);
    let venue = venue_with_api(&edge, "picky-spa", None, |_| {
        (
            400,
            json!({"error": {"type": "invalid_request_error", "code": "validation_error",
            "message": "customerEmail must be a valid email address", "param": "customerEmail", "request_id": "req_1"}})
            .to_string(),
        )
    });
    let slot = find_slot(&edge.url("/api/public/booking/organisations/picky-spa"), 10, 1, 0);
    let browser = Browser::start();
    browser.goto(&format!("{}/", venue.base));
    choose(&browser, 10, &slot);
    let name = browser.widget_element("#sb-name");
    assert_eq!(
        browser.script("return arguments[0].maxLength;", json!([name])),
        json!(200),
        "the server's limit, in the form"
    );
    fill(&browser, "Petra Picky", "petra@example.com", "+36 30 111 2225");
    browser.click(&browser.widget_element(".sb-primary"));
    browser.wait_for("the refusal beside the field", "const r = document.querySelector('[data-booking-widget]').shadowRoot; return r.querySelector('#sb-email-error').textContent.includes('Please check this entry.');");
    let invalid = browser.script("return document.querySelector('[data-booking-widget]').shadowRoot.querySelector('#sb-email').getAttribute('aria-invalid');", json!([]));
    assert_eq!(invalid, json!("true"));
    assert!(
        !browser.widget_text().contains("customerEmail"),
        "never a raw field name"
    );
    // Editing the field clears the mark.
    browser.type_into(&browser.widget_element("#sb-email"), "x");
    let invalid = browser.script("return document.querySelector('[data-booking-widget]').shadowRoot.querySelector('#sb-email').getAttribute('aria-invalid');", json!([]));
    assert_eq!(invalid, json!("false"));
}

#[test]
fn a_reserve_that_hangs_is_given_up_and_can_be_tried_again() {
    let edge = Edge::start();
    assert_eq!(edge.import("slow-spa", &demo_document()).status, 200);
    let venue = venue_with_api(&edge, "slow-spa", None, |_| {
        std::thread::sleep(std::time::Duration::from_secs(25));
        (500, "{}".into())
    });
    let slot = find_slot(&edge.url("/api/public/booking/organisations/slow-spa"), 10, 1, 0);
    let browser = Browser::start();
    browser.goto(&format!("{}/", venue.base));
    choose(&browser, 10, &slot);
    fill(&browser, "Sam Slow", "sam@example.com", "+36 30 111 2226");
    let started = std::time::Instant::now();
    browser.click(&browser.widget_element(".sb-primary"));
    browser.wait_for("the retry", "const r = document.querySelector('[data-booking-widget]').shadowRoot; const b = r.querySelector('.sb-primary'); return !b.disabled && r.textContent.includes('We could not load this.');");
    let waited = started.elapsed().as_secs();
    assert!(
        (14..=22).contains(&waited),
        "given up after about 15 s, not at once and not never: {waited} s"
    );
    assert!(!browser.widget_text().contains("Booking…"));
}

#[test]
fn data_locale_wins_over_the_page_and_english_in_north_america_reads_a_12_hour_clock() {
    let edge = Edge::start();
    // A venue in New York whose page says German (`<html lang="de">`); the script tag asks for English.
    let host = slotbook_tests::pages::host_page_with(&edge, "us-spa", r#"data-locale="en""#, "");
    let mut doc = demo_document();
    doc["allowedOrigins"] = json!([host.base]);
    doc["timeZone"] = json!("America/New_York");
    assert_eq!(edge.import("us-spa", &doc).status, 200);
    let slot = find_slot(&edge.url("/api/public/booking/organisations/us-spa"), 10, 1, 0);
    let browser = Browser::start();
    browser.goto(&format!("{}/", host.base));
    browser.widget_element(".sb-service[data-resource-type='10']");
    let text = browser.widget_text();
    assert!(
        text.contains("Choose a service") && !text.contains("Leistung"),
        "{text}"
    );
    choose(&browser, 10, &slot);
    let labels = slot_times(&browser);
    assert!(!labels.is_empty());
    assert!(
        labels.iter().all(|l| l.contains("AM") || l.contains("PM")),
        "a 12-hour clock: {labels:?}"
    );
    assert!(labels.iter().any(|l| l.contains("PM")), "afternoon times: {labels:?}");
}

#[test]
fn english_in_europe_keeps_the_24_hour_clock_whatever_data_locale_says() {
    let edge = Edge::start();
    let host = venue_site(&edge, "uk-spa", r#"data-locale="en-US""#, "");
    let slot = find_slot(&edge.url("/api/public/booking/organisations/uk-spa"), 10, 1, 0);
    let browser = Browser::start();
    browser.goto(&format!("{}/", host.base));
    browser.widget_element(".sb-service[data-resource-type='10']");
    assert!(browser.widget_text().contains("Choose a service"));
    choose(&browser, 10, &slot);
    assert_24_hour(&browser);
}

#[test]
fn before_the_catalog_the_browsers_language_then_the_organisations() {
    let edge = Edge::start();
    let edge_base = edge.base.clone();
    // A venue's page that names no language, its API (on its own origin) slow to give the catalog.
    let site = slotbook_tests::double::Server::start_typed(move |r| {
        if r.path == "/" {
            let origin = format!("http://{}", r.headers["host"]);
            let page = format!(
                r##"<!doctype html><html><head><meta charset="utf-8"><title>Venue</title></head><body>
<div id="booking-here"></div><script src="{edge_base}/widget.js" data-organisation="browser-spa" data-api="{origin}" data-target="#booking-here" async></script></body></html>"##
            );
            return (200, "text/html; charset=utf-8", page);
        }
        if r.path == "/api/public/booking/organisations/browser-spa" {
            std::thread::sleep(std::time::Duration::from_secs(3));
        }
        let real = slotbook_tests::http::get(&format!("{edge_base}{}", r.path)).unwrap();
        (real.status, "application/json", real.body)
    });
    let mut doc = document_for("browser-spa");
    doc["allowedOrigins"] = json!([site.base]);
    assert_eq!(edge.import("browser-spa", &doc).status, 200);
    let browser = Browser::start();
    // The browser's languages as a German visitor's (navigator.language and Accept-Language).
    let agent = browser.script("return navigator.userAgent;", json!([]));
    browser.cdp(
        "Emulation.setUserAgentOverride",
        json!({"userAgent": agent, "acceptLanguage": "de-DE"}),
    );
    browser.goto(&format!("{}/", site.base));
    // A German browser: the widget says it is loading in German until the organisation's locale arrives.
    browser.wait_for(
        "the loading line in the browser's language",
        "const h = document.querySelector('[data-booking-widget]'); return h && h.shadowRoot.textContent.includes('Wird geladen');",
    );
    browser.widget_element(".sb-service[data-resource-type='10']");
    assert!(
        browser.widget_text().contains("Choose a service"),
        "then the organisation's English"
    );
}
