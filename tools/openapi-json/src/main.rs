//! `slotbook-openapi-json IN.yaml OUT.json`: the API's OpenAPI document, checked as YAML and written as
//! compact JSON. scripts/build.sh writes it into the static files (`dist/api/openapi.json`), which the
//! platform serves (compressed) without waking the Worker.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [source, target] = args.as_slice() else {
        eprintln!("usage: slotbook-openapi-json IN.yaml OUT.json");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(source) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{source}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let document: serde_json::Value = match serde_yaml::from_str(&text) {
        Ok(document) => document,
        Err(e) => {
            eprintln!("{source} is not valid YAML: {e}");
            return ExitCode::FAILURE;
        }
    };
    if document
        .get("openapi")
        .and_then(|v| v.as_str())
        .is_none_or(|v| !v.starts_with("3."))
    {
        eprintln!("{source} is not an OpenAPI 3 document");
        return ExitCode::FAILURE;
    }
    if let Some(dir) = std::path::Path::new(target).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(target, document.to_string()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{target}: {e}");
            ExitCode::FAILURE
        }
    }
}
