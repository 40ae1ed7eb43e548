//! The OpenAPI document fuzzed against the real edge: schemathesis (pinned, in the cache's virtualenv, put
//! there by scripts/setup.sh) runs every operation of `openapi.yaml` against `wrangler dev` in built-in
//! mode, and the run fails on any 5xx, any status, content type, header or body the document does not
//! describe (so every error must be JSON in the shared shape), any request the document allows that the edge
//! refuses or one it forbids that the edge takes, and any method the document does not name that is not
//! answered 405 with `Allow`. Its checks and their few documented exceptions: scripts/fuzz/schemathesis.toml.

use slotbook_tests::{demo_document, repo_root, Edge, ADMIN_TOKEN};
use std::process::Command;

#[test]
fn every_operation_answers_as_the_openapi_document_says() {
    let bin = std::env::var("SCHEMATHESIS_BIN").expect("SCHEMATHESIS_BIN (scripts/env.sh) names the fuzzer");
    assert!(
        std::path::Path::new(&bin).exists(),
        "{bin} is missing: run scripts/setup.sh"
    );
    // Thousands of requests from one address: the per-IP limits would answer most of them 429.
    let edge = Edge::start_without_rate_limits(&[("RESERVES_PER_ORGANISATION_PER_MINUTE", "100000")]);
    // The document's examples name the demo organisation; one bearer token serves the admin and staff routes.
    let mut doc = demo_document();
    doc["apiKeys"] = serde_json::json!([{"name": "fuzz", "key": ADMIN_TOKEN}]);
    assert_eq!(edge.import("acme-spa", &doc).status, 200);
    let served = slotbook_tests::http::get(&edge.url("/api/openapi.json")).unwrap();
    assert_eq!(served.status, 200);
    assert_eq!(served.json()["openapi"], "3.1.0", "the edge serves the document");
    // A static file: any website may read it, and the Worker is not woken for it (it would add a request id).
    assert_eq!(served.header("access-control-allow-origin"), Some("*"));
    assert!(served
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json")));
    assert_eq!(
        served.header("x-request-id"),
        None,
        "answered by the static files, not the Worker"
    );

    let report = edge
        .state_dir
        .with_file_name(format!("schemathesis-{}.json", edge.port));
    let output = Command::new(&bin)
        .arg("--config-file")
        .arg(repo_root().join("scripts/fuzz/schemathesis.toml"))
        .arg("run")
        .arg(repo_root().join("openapi.yaml"))
        .args(["--url", &edge.base])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args([
            "--max-examples",
            "40",
            "--seed",
            "20261203",
            "--workers",
            "1",
            "--request-timeout",
            "20",
        ])
        .args(["--header", &format!("Authorization: Bearer {ADMIN_TOKEN}")])
        .args(["--report", "json", "--report-json-path"])
        .arg(&report)
        .env("NO_COLOR", "1")
        // Its cache stays with the run, out of the repository.
        .current_dir(report.parent().unwrap())
        .output()
        .expect("run schemathesis");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("passed") || l.contains("failed") || l.contains("test cases"))
        .collect();
    println!("schemathesis: {}", summary.join(" | "));
    assert!(
        output.status.success(),
        "schemathesis found answers outside the document:\n{text}"
    );
}
