//! `scripts/bench.sh [--compare OLD.json] [--save-reference]`: measures, prints one table, writes
//! `bench/out/results.json` and `bench/out/chart.svg`, and fails when a budget is missed. Budgets live here,
//! not in timed tests. `--compare` prints the change per row against an earlier results file;
//! `--save-reference` also writes the run to `bench/reference/` (the chart the README shows); `--only KIND`
//! (sizes, native, browser, edge, proxy) measures one kind, for work on it (no reference is saved then).
//!
//! One module per kind of measure: [`sizes`] (what a first visit downloads, the Worker bundle), [`native`]
//! (availability in core), [`edge`] (the Workers runtime under load, proxy overhead), [`browser`]
//! (chromium, cold visits and a day click); [`report`] turns the rows into the table, JSON and chart.

mod browser;
mod edge;
mod native;
mod report;
mod sizes;

use slotbook_tests::{demo_document, repo_root, Edge};

/// p50 and p99 of latencies in ms.
pub fn summary(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    (at(0.5), at(0.99))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let compare_with = args
        .iter()
        .position(|a| a == "--compare")
        .map(|i| args.get(i + 1).expect("--compare OLD.json").clone());
    let old = compare_with.map(|p| {
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}")))
            .expect("a results.json")
    });

    let only = args.iter().position(|a| a == "--only").map(|i| {
        args.get(i + 1)
            .expect("--only sizes|native|browser|edge|proxy")
            .as_str()
    });
    let wanted = |kind: &str| only.is_none_or(|o| o == kind);

    // The Worker's request lines are not printed while measuring (printing them costs the machine, not the Worker).
    std::env::set_var("SLOTBOOK_EDGE_LOG_LEVEL", "warn");
    let mut rows = Vec::new();
    // The engine's own contention is measured, not the per-organisation reserve limit.
    let edge = (wanted("sizes") || wanted("browser") || wanted("edge")).then(|| {
        let edge = Edge::start_with(&[("RESERVES_PER_ORGANISATION_PER_MINUTE", "1000000")]);
        assert_eq!(edge.import("acme-spa", &demo_document()).status, 200);
        edge
    });
    if let Some(edge) = edge.as_ref().filter(|_| wanted("sizes")) {
        sizes::widget(edge, &mut rows);
        sizes::worker(&mut rows);
    }
    if wanted("native") {
        native::availability(&mut rows);
    }
    if let Some(edge) = edge.as_ref().filter(|_| wanted("browser")) {
        browser::first_visits(edge, &mut rows);
    }
    if let Some(edge) = edge.as_ref().filter(|_| wanted("edge")) {
        edge::latency(edge, &mut rows);
        edge::contention(edge, &mut rows);
    }
    drop(edge);
    if wanted("proxy") {
        edge::proxy_overhead(&mut rows);
    }

    report::print(&rows);
    let out = repo_root().join("bench/out");
    report::write(&out, &rows);
    println!("\nwritten: {0}/results.json, {0}/chart.svg", out.display());
    if only.is_none() && args.iter().any(|a| a == "--save-reference") {
        report::write(&repo_root().join("bench/reference"), &rows);
        println!("written: bench/reference/ (the reference run the README shows)");
    }
    if let Some(old) = old {
        report::compare(&rows, &old);
    }
    let missed: Vec<&str> = rows.iter().filter(|r| !r.ok()).map(|r| r.id).collect();
    if !missed.is_empty() {
        println!("\nbudgets missed: {}", missed.join(", "));
        std::process::exit(1);
    }
}
