//! First visits in headless chromium with a cold cache (a new browser profile each time), on a venue's own
//! page on another origin, read from the widget's User Timing marks (ms since navigation start); and a day
//! click to its slots on a warm page.
//!
//! Timings are budgeted as ratios to a baseline measured in the same run, so that the bench passes or fails
//! the same on any machine: the first visits against a control page on the same site that downloads the same
//! files in the same order (the loader, then glue, wasm and catalog at once) and runs nothing, which is what
//! the network alone allows; the day click against the plain fetch of that day's times from the same page.
//! The phone rows take the three pages in turn under chromium's own "Slow 4G" profile.

use crate::report::Row;
use crate::sizes::widget_file_name;
use serde_json::{json, Value};
use slotbook_tests::booking::{find_slot, today};
use slotbook_tests::double::Server;
use slotbook_tests::webdriver::Browser;
use slotbook_tests::{demo_document, http, Edge};

/// Cold visits per page on a desktop, and on a phone (slower, so fewer would say less).
const RUNS: usize = 5;
const PHONE_RUNS: usize = 7;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// The venue's page: `/` embeds the widget plainly, `/preselected` with a service and a day chosen, and
/// `/control` downloads what a first visit downloads, in the same order, and runs none of it.
fn venue(edge: &Edge, date: &str) -> Server {
    let (base, date) = (edge.base.clone(), date.to_string());
    let (glue, wasm) = (widget_file_name("glue"), widget_file_name("wasm"));
    let host = Server::start_typed(move |r| {
        if r.path.starts_with("/control") {
            let page = format!(
                r##"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme Spa</title></head><body>
<h1>Acme Spa</h1><div id="book"></div>
<script>
const get = (url, init) => fetch(url, init).then(r => r.arrayBuffer());
get("{base}/widget.js").then(() => Promise.all([get("{base}/{glue}"), get("{base}/{wasm}"),
  get("{base}/api/public/booking/organisations/acme-spa", {{ headers: {{ Accept: "application/json" }} }})]))
  .then(() => performance.mark("control:done"));
</script></body></html>"##
            );
            return (200, "text/html; charset=utf-8", page);
        }
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

/// Milliseconds from navigation start to the first `mark` on a cold visit to `url`, on a phone or not.
fn cold_visit(url: &str, mark: &str, phone: bool) -> f64 {
    let browser = Browser::start();
    if phone {
        browser.throttle_like_a_phone();
    }
    browser.goto(url);
    let at = browser.wait_for(
        mark,
        &format!("const m = performance.getEntriesByName('{mark}'); return m.length ? m[0].startTime : null;"),
    );
    at.as_f64().unwrap()
}

/// The three pages, visited in turn `runs` times: (catalog shown, preselected times shown, control done).
fn visits(host: &Server, runs: usize, phone: bool) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut catalog, mut slots, mut control) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        catalog.push(cold_visit(&host.base, "booking:catalog", phone));
        slots.push(cold_visit(
            &format!("{}/preselected", host.base),
            "booking:slots",
            phone,
        ));
        control.push(cold_visit(&format!("{}/control", host.base), "control:done", phone));
    }
    (catalog, slots, control)
}

pub fn first_visits(edge: &Edge, rows: &mut Vec<Row>) {
    let date = find_slot(&edge.url("/api/public/booking/organisations/acme-spa"), 10, 1, 0)["date"]
        .as_str()
        .unwrap()
        .to_string();
    let host = venue(edge, &date);
    // The edge's first answers compile its code; a visitor after a deploy would meet a warm edge.
    cold_visit(&host.base, "booking:catalog", false);
    cold_visit(&format!("{}/preselected", host.base), "booking:slots", false);

    let (catalog, slots, control) = visits(&host, RUNS, false);
    let base = median(control.clone());
    rows.push(timing(
        "to_control_ms",
        "chromium, cold cache: control page (same downloads, nothing run)",
        &control,
    ));
    rows.push(timing("to_catalog_ms", "… navigation start to catalog shown", &catalog));
    rows.push(timing(
        "to_slots_preselected_ms",
        "… to first times shown, service and day preselected",
        &slots,
    ));
    rows.push(ratio(
        "to_catalog_ratio",
        "… catalog shown ÷ control",
        median(catalog),
        base,
        None,
    ));
    rows.push(ratio(
        "to_slots_preselected_ratio",
        "… preselected times shown ÷ control",
        median(slots),
        base,
        None,
    ));

    let (catalog, slots, control) = visits(&host, PHONE_RUNS, true);
    let base = median(control.clone());
    rows.push(timing(
        "phone_control_ms",
        "phone (Slow 4G, CPU ÷4), cold cache: control page",
        &control,
    ));
    rows.push(timing("phone_catalog_ms", "… catalog shown", &catalog));
    rows.push(timing(
        "phone_slots_preselected_ms",
        "… first times shown, service and day preselected",
        &slots,
    ));
    rows.push(ratio(
        "phone_catalog_ratio",
        "phone: catalog shown ÷ control",
        median(catalog),
        base,
        Some(1.10),
    ));
    rows.push(ratio(
        "phone_slots_preselected_ratio",
        "phone: preselected times shown ÷ control",
        median(slots),
        base,
        Some(1.15),
    ));
    day_click(edge, &host, rows);
}

/// A timing for reading (its median, every run in the detail); its budget is the ratio row beside it.
fn timing(id: &'static str, name: &str, runs_ms: &[f64]) -> Row {
    Row::new(
        id,
        format!("{name}, median of {}", runs_ms.len()),
        median(runs_ms.to_vec()),
        "ms",
    )
    .detail(format!("runs {}", runs(runs_ms)))
}

/// `value` as a multiple of the same run's `baseline`.
fn ratio(id: &'static str, name: &str, value: f64, baseline: f64, budget: Option<f64>) -> Row {
    let row = Row::new(id, name, value / baseline, "×").detail(format!("{value:.0} ÷ {baseline:.0} ms"));
    match budget {
        Some(b) => row.budget(b),
        None => row,
    }
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
    let api = edge.url("/api/public/booking/organisations/acme-spa");
    let (mut clicks, mut fetches) = (Vec::new(), Vec::new());
    for i in 0..7 {
        let day = &days[i % days.len()];
        let ms: Value = browser.script_async(
            "const [date, done] = [arguments[0], arguments[arguments.length - 1]]; \
             const root = document.querySelector('[data-booking-widget]').shadowRoot; \
             const t0 = performance.now(); root.querySelector(`.sb-day[data-date='${date}']`).click(); \
             (function poll() { const m = performance.getEntriesByName('booking:slots').filter(e => e.startTime > t0); \
               if (m.length) done(m[0].startTime - t0); else setTimeout(poll, 1); })();",
            json!([day]),
        );
        clicks.push(ms.as_f64().unwrap());
        // The baseline: the same day's times fetched and parsed by the page itself, nothing shown.
        let ms: Value = browser.script_async(
            "const [url, done] = [arguments[0], arguments[arguments.length - 1]]; const t0 = performance.now(); \
             fetch(url, { headers: { Accept: 'application/json' } }).then(r => r.json()).then(() => done(performance.now() - t0));",
            json!([format!("{api}/availability?date={day}&resourceTypeId=10")]),
        );
        fetches.push(ms.as_f64().unwrap());
    }
    rows.push(timing("day_click_ms", "chromium: day click to slots shown", &clicks));
    rows.push(timing(
        "day_fetch_ms",
        "… the same day's times fetched by the page, nothing shown",
        &fetches,
    ));
    rows.push(ratio(
        "day_click_ratio",
        "day click ÷ the fetch alone",
        median(clicks),
        median(fetches),
        Some(2.0),
    ));
}
