//! Embeds the API's OpenAPI document: `openapi.yaml` at the repository's root, checked and turned into JSON.

fn main() {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.yaml");
    println!("cargo:rerun-if-changed={}", source.display());
    let text = std::fs::read_to_string(&source).expect("openapi.yaml at the repository's root");
    let value: serde_json::Value = serde_yaml::from_str(&text).expect("openapi.yaml is valid YAML");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("openapi.json");
    std::fs::write(out, serde_json::to_string(&value).unwrap()).unwrap();
}
