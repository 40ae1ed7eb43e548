//! `scripts/bench.sh`: prints one table and writes bench/out/results.json. Budgets are checked here, not in
//! timed tests: the command exits non-zero when one is missed.
//!
//! Measures: widget transfer size (loader, glue, wasm, CSS; raw, gzip, brotli); one day's availability in
//! core natively (50 resources, 10,000 reservations); edge latency p50/p99 per route under concurrent load
//! (wrangler dev); reserve throughput under contention; proxy overhead against direct upstream calls; time
//! to the catalog and to the first slots in headless chromium; the Worker bundle size.

use serde_json::{json, Value};
use slotbook_core::availability::{Booked, OpeningHours, ResourceCapacity, Schedule, Zone};
use slotbook_core::time::{Date, Timestamp};
use slotbook_tests::booking::find_slot;
use slotbook_tests::double::Server;
use slotbook_tests::http;
use slotbook_tests::webdriver::Browser;
use slotbook_tests::{demo_document, repo_root, Edge};
use std::io::Write;
use std::time::{Duration, Instant};

struct Row {
    name: String,
    value: String,
    budget: Option<(f64, f64)>, // (measured, limit)
}

fn main() {
    let mut rows = Vec::new();
    let mut json_out = serde_json::Map::new();
    sizes(&mut rows, &mut json_out);
    availability(&mut rows, &mut json_out);
    // The engine's own contention is measured, not the per-organisation reserve limit.
    let edge = Edge::start_with(&[("RESERVES_PER_ORGANISATION_PER_MINUTE", "1000000")]);
    assert_eq!(edge.import("acme-spa", &demo_document()).status, 200);
    edge_latency(&edge, &mut rows, &mut json_out);
    contention(&edge, &mut rows, &mut json_out);
    time_to_slots(&edge, &mut rows, &mut json_out);
    drop(edge);
    proxy_overhead(&mut rows, &mut json_out);

    println!("{:<58} {:>28}  budget", "measure", "value");
    let mut missed = 0;
    for r in &rows {
        let budget = match r.budget {
            Some((m, limit)) if m <= limit => format!("ok (≤ {limit})"),
            Some((_, limit)) => {
                missed += 1;
                format!("MISSED (≤ {limit})")
            }
            None => String::new(),
        };
        println!("{:<58} {:>28}  {budget}", r.name, r.value);
    }
    let out = repo_root().join("bench/out");
    std::fs::create_dir_all(&out).unwrap();
    let path = out.join("results.json");
    std::fs::File::create(&path).unwrap().write_all(serde_json::to_string_pretty(&Value::Object(json_out)).unwrap().as_bytes()).unwrap();
    println!("\nwritten: {}", path.display());
    if missed > 0 {
        std::process::exit(1);
    }
}

fn kb(n: usize) -> String {
    format!("{:.1} KB", n as f64 / 1024.0)
}

fn compressed(data: &[u8]) -> (usize, usize) {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(data).unwrap();
    let gzip = gz.finish().unwrap().len();
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        w.write_all(data).unwrap();
    }
    (gzip, br.len())
}

fn sizes(rows: &mut Vec<Row>, out: &mut serde_json::Map<String, Value>) {
    let dist = repo_root().join("dist");
    let files: Vec<(String, String)> = std::fs::read_dir(&dist)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|n| {
            let kind = if n == "widget.js" {
                "loader"
            } else if n.starts_with("slotbook-widget-") && n.ends_with("_bg.wasm") {
                "wasm"
            } else if n.starts_with("slotbook-widget-") && n.ends_with(".js") {
                "glue"
            } else {
                return None;
            };
            Some((kind.to_string(), n))
        })
        .collect();
    let mut total = (0, 0, 0);
    for kind in ["loader", "glue", "wasm"] {
        let (_, name) = files.iter().find(|(k, _)| k == kind).expect("built widget in dist/");
        let data = std::fs::read(dist.join(name)).unwrap();
        let (gz, br) = compressed(&data);
        total = (total.0 + data.len(), total.1 + gz, total.2 + br);
        rows.push(Row { name: format!("widget {kind} (raw / gzip / brotli)"), value: format!("{} / {} / {}", kb(data.len()), kb(gz), kb(br)), budget: None });
        out.insert(format!("widget_{kind}_bytes"), json!({"raw": data.len(), "gzip": gz, "brotli": br}));
    }
    let css = include_str!("../../widget/style.css").as_bytes();
    let (gz, br) = compressed(css);
    rows.push(Row { name: "widget CSS, inside the wasm (raw / gzip / brotli)".into(), value: format!("{} / {} / {}", kb(css.len()), kb(gz), kb(br)), budget: None });
    out.insert("widget_css_bytes".into(), json!({"raw": css.len(), "gzip": gz, "brotli": br}));
    rows.push(Row {
        name: "widget total transfer (gzip)".into(),
        value: kb(total.1),
        budget: Some((total.1 as f64 / 1024.0, 250.0)),
    });
    out.insert("widget_total_bytes".into(), json!({"raw": total.0, "gzip": total.1, "brotli": total.2}));
    let wasm = std::fs::read(repo_root().join("edge/build/index_bg.wasm")).unwrap();
    let js = std::fs::read(repo_root().join("edge/build/index.js")).unwrap();
    let (gz, _) = compressed(&[wasm.as_slice(), js.as_slice()].concat());
    rows.push(Row { name: "Worker bundle (wasm + js; raw / gzip)".into(), value: format!("{} / {}", kb(wasm.len() + js.len()), kb(gz)), budget: Some((gz as f64 / 1024.0, 3072.0)) });
    out.insert("worker_bundle_bytes".into(), json!({"raw": wasm.len() + js.len(), "gzip": gz}));
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn summary(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (percentile(&ms, 0.5), percentile(&ms, 0.99))
}

fn availability(rows: &mut Vec<Row>, out: &mut serde_json::Map<String, Value>) {
    let zone = Zone::named("Europe/Budapest").unwrap();
    let hours: Vec<OpeningHours> = (1..=7).map(|weekday| OpeningHours { weekday, opens: 6 * 60, closes: 22 * 60 }).collect();
    let schedule = Schedule { zone: &zone, duration_minutes: 30, slot_interval_minutes: 30, hours: &hours, closed_dates: &[] };
    let resources: Vec<ResourceCapacity> = (1..=50).map(|id| ResourceCapacity { resource_id: id, capacity: 4 }).collect();
    let day = Date::parse("2030-05-20").unwrap();
    let day_start = schedule.slot_times(day)[0].0;
    // 10,000 reservations, all on the measured day: the worst case for one day's answer.
    let booked: Vec<Booked> = (0..10_000)
        .map(|i| {
            let start = day_start.plus_minutes(30 * (i % 32) as i64);
            Booked { resource_id: (i % 50) as i64 + 1, start, end: start.plus_minutes(30), quantity: 1 }
        })
        .collect();
    let now = Timestamp(day_start.0 - 86_400);
    let slots = schedule.day(day, &resources, &booked, now);
    assert_eq!(slots.len(), 32);
    let mut times = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        std::hint::black_box(schedule.day(day, &resources, std::hint::black_box(&booked), now));
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (p50, p99) = summary(times);
    rows.push(Row { name: "availability, 50 resources, 10,000 reservations (p50 / p99)".into(), value: format!("{p50:.3} / {p99:.3} ms"), budget: Some((p50, 2.0)) });
    out.insert("availability_ms".into(), json!({"p50": p50, "p99": p99}));
}

fn acme(edge: &Edge) -> String {
    edge.url("/api/public/booking/organisations/acme-spa")
}

/// Runs `n` calls of `f` on `threads` threads; returns each call's latency in ms.
fn load(threads: usize, n: usize, f: impl Fn(usize) -> u16 + Send + Sync + Clone + 'static) -> Vec<f64> {
    let per = n / threads;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let f = f.clone();
            std::thread::spawn(move || {
                (0..per)
                    .map(|i| {
                        let s = Instant::now();
                        let status = f(t * per + i);
                        assert!(status < 500, "server error under load");
                        s.elapsed().as_secs_f64() * 1000.0
                    })
                    .collect::<Vec<f64>>()
            })
        })
        .collect();
    handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
}

fn edge_latency(edge: &Edge, rows: &mut Vec<Row>, out: &mut serde_json::Map<String, Value>) {
    let date = find_slot(&acme(edge), 10, 1, 0)["date"].as_str().unwrap().to_string();
    let catalog = acme(edge);
    let avail = format!("{catalog}/availability?date={date}&resourceTypeId=10");
    for (route, url) in [("catalog", catalog.clone()), ("availability", avail)] {
        let (p50, p99) = summary(load(4, 400, move |_| http::get(&url).unwrap().status));
        rows.push(Row { name: format!("edge {route}, 4 concurrent clients (p50 / p99)"), value: format!("{p50:.1} / {p99:.1} ms"), budget: None });
        out.insert(format!("edge_{route}_ms"), json!({"p50": p50, "p99": p99}));
    }
    // Reserve round trip: sauna places across the next days, 4 clients.
    let reserve_url = format!("{catalog}/reserve");
    let slot = find_slot(&catalog, 9, 1, 0);
    let (p50, p99) = summary(load(4, 200, move |i| {
        let body = json!({"resourceTypeId": 9, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
            "customerName": format!("Bench {i}"), "customerEmail": "bench@example.com", "customerPhone": "+3612345678"});
        http::post_json(&reserve_url, &body).status
    }));
    rows.push(Row { name: "edge reserve round trip, 4 concurrent clients (p50 / p99)".into(), value: format!("{p50:.1} / {p99:.1} ms"), budget: None });
    out.insert("edge_reserve_ms".into(), json!({"p50": p50, "p99": p99}));
}

fn contention(edge: &Edge, rows: &mut Vec<Row>, out: &mut serde_json::Map<String, Value>) {
    let mut doc = demo_document();
    doc["resourceTypes"] = json!([{"id": 1, "name": "Court", "durationMinutes": 60, "maxQuantity": 1,
        "openingHours": [{"days": ["mon","tue","wed","thu","fri","sat","sun"], "opens": "06:00", "closes": "22:00"}],
        "resources": [{"id": 1, "name": "Court", "capacity": 100}]}]);
    doc["apiKeys"] = json!([]);
    assert_eq!(edge.import("bench-courts", &doc).status, 200);
    let base = edge.url("/api/public/booking/organisations/bench-courts");
    let slot = find_slot(&base, 1, 100, 0);
    let url = format!("{base}/reserve");
    let started = Instant::now();
    let statuses = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = statuses.clone();
    load(8, 400, move |i| {
        let body = json!({"resourceTypeId": 1, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
            "customerName": format!("Racer {i}"), "customerEmail": "race@example.com", "customerPhone": "+3612345678"});
        let s = http::post_json(&url, &body).status;
        seen.lock().unwrap().push(s);
        s
    });
    let elapsed = started.elapsed().as_secs_f64();
    let statuses = statuses.lock().unwrap();
    let created = statuses.iter().filter(|s| **s == 201).count();
    assert_eq!(created, 100, "exactly the capacity is sold");
    let per_second = statuses.len() as f64 / elapsed;
    rows.push(Row { name: "reserve throughput, 8 clients on one slot of 100 places".into(), value: format!("{per_second:.0} req/s ({created} sold)"), budget: None });
    out.insert("reserve_contention".into(), json!({"requests_per_second": per_second, "sold": created, "requests": statuses.len()}));
}

fn time_to_slots(edge: &Edge, rows: &mut Vec<Row>, out: &mut serde_json::Map<String, Value>) {
    let date = find_slot(&acme(edge), 10, 1, 0)["date"].as_str().unwrap().to_string();
    let browser = Browser::start();
    let started = Instant::now();
    browser.goto(&edge.url("/"));
    let service = browser.widget_element(".sb-service[data-resource-type='10']");
    let catalog_ms = started.elapsed().as_secs_f64() * 1000.0;
    browser.click(&service);
    let same_month = browser.script(&format!("return !!document.querySelector('[data-booking-widget]').shadowRoot.querySelector(\".sb-day[data-date='{date}']\");"), json!([]));
    if same_month != json!(true) {
        browser.click(&browser.widget_element(".sb-nav[aria-label='Next month']"));
    }
    let day = browser.widget_element(&format!(".sb-day[data-date='{date}']"));
    let clicked = Instant::now();
    browser.click(&day);
    browser.widget_element(".sb-slot");
    let slots_ms = clicked.elapsed().as_secs_f64() * 1000.0;
    rows.push(Row { name: "headless chromium: page load to catalog shown".into(), value: format!("{catalog_ms:.0} ms"), budget: Some((catalog_ms, 3000.0)) });
    rows.push(Row { name: "headless chromium: day click to first slots shown".into(), value: format!("{slots_ms:.0} ms"), budget: Some((slots_ms, 1000.0)) });
    out.insert("browser_ms".into(), json!({"to_catalog": catalog_ms, "day_to_slots": slots_ms}));
}

fn proxy_overhead(rows: &mut Vec<Row>, out: &mut serde_json::Map<String, Value>) {
    let upstream = Server::start(|_| (200, json!({"organisation": {"slug": "acme-spa"}, "resourceTypes": []}).to_string()));
    let edge = Edge::start_with(&[("UPSTREAM_URL", upstream.base.as_str())]);
    let direct = format!("{}/api/public/booking/organisations/acme-spa", upstream.base);
    let proxied = edge.url("/api/public/booking/organisations/acme-spa");
    std::thread::sleep(Duration::from_millis(200));
    let (d50, d99) = summary(load(2, 300, move |_| http::get(&direct).unwrap().status));
    let (p50, p99) = summary(load(2, 300, move |_| http::get(&proxied).unwrap().status));
    rows.push(Row { name: "upstream direct (p50 / p99)".into(), value: format!("{d50:.1} / {d99:.1} ms"), budget: None });
    rows.push(Row { name: "through the edge in proxy mode (p50 / p99)".into(), value: format!("{p50:.1} / {p99:.1} ms"), budget: None });
    rows.push(Row { name: "proxy overhead (p50)".into(), value: format!("{:.1} ms", p50 - d50), budget: None });
    out.insert("proxy_ms".into(), json!({"direct_p50": d50, "direct_p99": d99, "proxied_p50": p50, "proxied_p99": p99}));
}
