//! First visits in headless chromium with a cold cache (a new browser profile each time), on a venue's own
//! page on another origin, read from the widget's User Timing marks (ms since navigation start); and a day
//! click to its slots on a warm page.

use crate::report::Row;
use serde_json::{json, Value};
use slotbook_tests::booking::{find_slot, today};
use slotbook_tests::double::Server;
use slotbook_tests::webdriver::Browser;
use slotbook_tests::{demo_document, http, Edge};

const RUNS: usize = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// The venue's page: `/` embeds the widget plainly, `/preselected` with a service and a day chosen.
fn venue(edge: &Edge, date: &str) -> Server {
    let (base, date) = (edge.base.clone(), date.to_string());
    let host = Server::start_typed(move |r| {
        let preselect = if r.path.starts_with("/preselected") {
            format!(r#"data-resource-type="10" data-date="{date}""#)
        } else {
            String::new()
        };
        let page = format!(
            r##"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme Spa</title></head><body>
<h1>Acme Spa</h1><div id="book"></div>
<script src="{base}/widget.js" data-organisation="acme-spa" data-target="#book" {preselect} async></script>
</body></html>"##
        );
        (200, "text/html; charset=utf-8", page)
    });
    let mut doc = demo_document();
    doc["allowedOrigins"] = json!([host.base]);
    assert_eq!(edge.import("acme-spa", &doc).status, 200);
    host
}

/// Milliseconds from navigation start to the first `mark` on a cold visit to `url`.
fn cold_visit(url: &str, mark: &str) -> f64 {
    let browser = Browser::start();
    browser.goto(url);
    let at = browser.wait_for(
        mark,
        &format!("const m = performance.getEntriesByName('{mark}'); return m.length ? m[0].startTime : null;"),
    );
    at.as_f64().unwrap()
}

pub fn first_visits(edge: &Edge, rows: &mut Vec<Row>) {
    let date = find_slot(&edge.url("/api/public/booking/organisations/acme-spa"), 10, 1, 0)["date"]
        .as_str()
        .unwrap()
        .to_string();
    let host = venue(edge, &date);
    // The edge's first answers compile its code; a visitor after a deploy would meet a warm edge.
    cold_visit(&host.base, "booking:catalog");
    let catalog: Vec<f64> = (0..RUNS).map(|_| cold_visit(&host.base, "booking:catalog")).collect();
    let slots: Vec<f64> = (0..RUNS)
        .map(|_| cold_visit(&format!("{}/preselected", host.base), "booking:slots"))
        .collect();
    rows.push(
        Row::new(
            "to_catalog_ms",
            "chromium, cold cache: navigation start to catalog shown, median of 5",
            median(catalog.clone()),
            "ms",
        )
        .detail(format!("runs {}", runs(&catalog)))
        .budget(400.0),
    );
    rows.push(
        Row::new(
            "to_slots_preselected_ms",
            "… to first slots shown, service and day preselected, median of 5",
            median(slots.clone()),
            "ms",
        )
        .detail(format!("runs {}", runs(&slots)))
        .budget(500.0),
    );
    day_click(edge, &host, rows);
}

fn runs(v: &[f64]) -> String {
    v.iter().map(|x| format!("{x:.0}")).collect::<Vec<_>>().join(" ")
}

/// Days from tomorrow on (three weeks) where service 10 has room, in the month that has most of them (so that
/// near a month's end there are still two to click between).
fn days_with_room(edge: &Edge) -> Vec<String> {
    let base = edge.url("/api/public/booking/organisations/acme-spa");
    let days: Vec<String> = (1..22)
        .map(|i| today().add_days(i).to_string())
        .filter(|d| {
            let a = http::get(&format!("{base}/availability?date={d}&resourceTypeId=10"))
                .unwrap()
                .json();
            a["slots"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["available"].as_u64().unwrap_or(0) > 0)
        })
        .collect();
    let in_month = |m: &str| days.iter().filter(|d| d.starts_with(m)).count();
    let month = days
        .iter()
        .map(|d| d[..7].to_string())
        .max_by_key(|m| (in_month(m), std::cmp::Reverse(m.clone())))
        .expect("a day with room");
    days.iter().filter(|d| d.starts_with(&month)).take(5).cloned().collect()
}

/// A day clicked in the page (not through WebDriver, whose own round trip is not the widget's) until its
/// slots are shown; the median over days that have room.
fn day_click(edge: &Edge, host: &Server, rows: &mut Vec<Row>) {
    let days = days_with_room(edge);
    // Two clicks in a row must be on different days, or the second changes nothing.
    assert!(days.len() >= 2, "two days with room in one month: {days:?}");
    let browser = Browser::start();
    browser.goto(&host.base);
    browser.click(&browser.widget_element(".sb-service[data-resource-type='10']"));
    browser.widget_element(".sb-day");
    let shown = browser.script(&format!("return !!document.querySelector('[data-booking-widget]').shadowRoot.querySelector(\".sb-day[data-date='{}']\");", days[0]), json!([]));
    if shown != json!(true) {
        browser.click(&browser.widget_element(".sb-nav[aria-label='Next month']"));
    }
    browser.widget_element(&format!(".sb-day[data-date='{}']", days[0]));
    let times: Vec<f64> = (0..7)
        .map(|i| {
            let day = &days[i % days.len()];
            let ms: Value = browser.script_async(
                "const [date, done] = [arguments[0], arguments[arguments.length - 1]]; \
                 const root = document.querySelector('[data-booking-widget]').shadowRoot; \
                 const t0 = performance.now(); root.querySelector(`.sb-day[data-date='${date}']`).click(); \
                 (function poll() { const m = performance.getEntriesByName('booking:slots').filter(e => e.startTime > t0); \
                   if (m.length) done(m[0].startTime - t0); else setTimeout(poll, 1); })();",
                json!([day]),
            );
            ms.as_f64().unwrap()
        })
        .collect();
    rows.push(
        Row::new(
            "day_click_ms",
            "chromium: day click to slots shown, median of 7",
            median(times.clone()),
            "ms",
        )
        .detail(format!("runs {}", runs(&times)))
        .budget(100.0),
    );
}
