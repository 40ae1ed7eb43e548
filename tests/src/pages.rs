//! Browser steps and venue pages shared by the browser tests: choosing a slot and filling the form in the
//! widget, and a venue's own site on another origin that embeds the widget with its script tag.

use crate::double::{Recorded, Server};
use crate::webdriver::Browser;
use crate::{demo_document, Edge};
use serde_json::{json, Value};

/// Opens the service, moves the calendar to the slot's day, picks the day and the slot.
pub fn choose(browser: &Browser, type_id: i64, slot: &Value) {
    browser.click(&browser.widget_element(&format!(".sb-service[data-resource-type='{type_id}']")));
    pick(browser, slot);
}

/// Moves the calendar to the slot's day and picks the day and the slot (in whatever view shows them).
pub fn pick(browser: &Browser, slot: &Value) {
    let date = slot["date"].as_str().unwrap();
    for _ in 0..3 {
        let found = browser.script(&format!("return !!document.querySelector('[data-booking-widget]').shadowRoot.querySelector(\".sb-day[data-date='{date}']\");"), json!([]));
        if found == json!(true) {
            break;
        }
        browser.click(&browser.widget_element(".sb-nav[aria-label='Next month']"));
    }
    browser.click(&browser.widget_element(&format!(".sb-day[data-date='{date}']")));
    browser.click(&browser.widget_element(&format!(
        ".sb-slot[data-start='{}']",
        slot["startTime"].as_str().unwrap()
    )));
}

pub fn fill(browser: &Browser, name: &str, email: &str, phone: &str) {
    browser.type_into(&browser.widget_element("#sb-name"), name);
    browser.type_into(&browser.widget_element("#sb-email"), email);
    browser.type_into(&browser.widget_element("#sb-tel"), phone);
}

/// Waits until the local test checkout (the edge's stand-in for Stripe Checkout) is the page shown.
pub fn at_test_checkout(browser: &Browser) {
    browser.wait_for(
        "the test checkout page",
        "return location.pathname.startsWith('/api/test-checkout/') && document.querySelector('button.pay');",
    );
}

/// Pays on the test checkout page shown.
pub fn pay_at_test_checkout(browser: &Browser) {
    browser.click(&browser.script("return document.querySelector('button.pay');", json!([])));
}

/// A venue's site on another origin whose organisation (the demo's catalog) allows it.
pub fn venue_site(edge: &Edge, slug: &str, attributes: &str, head: &str) -> Server {
    let host = host_page_with(edge, slug, attributes, head);
    let mut doc = demo_document();
    doc["allowedOrigins"] = json!([host.base]);
    assert_eq!(edge.import(slug, &doc).status, 200);
    host
}

/// A venue's own site on another origin, embedding the widget with its script tag.
pub fn host_page(edge: &Edge, slug: &str) -> Server {
    host_page_with(edge, slug, "", "")
}

pub fn host_page_with(edge: &Edge, slug: &str, attributes: &str, head: &str) -> Server {
    let page = format!(
        r##"<!doctype html><html lang="de"><head><meta charset="utf-8">{head}<title>Studio Nord</title></head><body>
<h1>Studio Nord</h1><div id="booking-here"></div>
<script src="{edge}/widget.js" data-organisation="{slug}" data-target="#booking-here" {attributes} async></script>
</body></html>"##,
        edge = edge.base,
    );
    Server::start_typed(move |_| (200, "text/html; charset=utf-8", page.clone()))
}

/// A venue's page whose widget talks to a stand-in for the API on the page's own origin: its reads are the
/// edge's answers, its reserve answers what `reserve` says. `lang` is the page's `<html lang>`, if any.
/// `/preselected/TYPE/DATE` is the same page with a service and a day preselected.
pub fn venue_with_api(
    edge: &Edge,
    slug: &str,
    lang: Option<&str>,
    reserve: impl Fn(&Recorded) -> (u16, String) + Send + Sync + 'static,
) -> Server {
    let edge_base = edge.base.clone();
    let slug = slug.to_string();
    let lang = lang.map(|l| format!(r#" lang="{l}""#)).unwrap_or_default();
    Server::start_typed(move |r| {
        let preselect = r.path.strip_prefix("/preselected/").and_then(|p| p.split_once('/'));
        if r.path == "/" || preselect.is_some() {
            let origin = format!("http://{}", r.headers["host"]);
            let attributes = preselect
                .map(|(t, d)| format!(r#"data-resource-type="{t}" data-date="{d}""#))
                .unwrap_or_default();
            let page = format!(
                r##"<!doctype html><html{lang}><head><meta charset="utf-8"><title>Venue</title></head><body>
<div id="booking-here"></div><script src="{edge_base}/widget.js" data-organisation="{slug}" data-api="{origin}" data-target="#booking-here" {attributes} async></script></body></html>"##
            );
            return (200, "text/html; charset=utf-8", page);
        }
        if r.method == "GET" {
            let real = crate::http::get(&format!("{edge_base}{}", r.path)).unwrap();
            return (real.status, "application/json", real.body);
        }
        let (status, body) = reserve(r);
        (status, "application/json", body)
    })
}
