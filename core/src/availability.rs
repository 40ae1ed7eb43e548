//! Availability: a day's slots from weekly opening hours in the organisation's time zone, the places each
//! slot has left after the reservations that hold places, and how a reserve spreads over resources.
//!
//! Slots are generated on the wall clock: a start that does not exist on a DST day is skipped, a start
//! that exists twice is offered once (its earlier instant). Durations are real elapsed minutes.

use crate::time::{Date, Timestamp};
use crate::wire::Slot;

pub use crate::zone::{LocalTime, Zone};

/// Opening hours on one ISO weekday (1 = Monday), minutes after local midnight; `closes` up to 1440.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpeningHours {
    pub weekday: u8,
    pub opens: u32,
    pub closes: u32,
}

/// What slots a service offers: its length, how often slots start, when it is open.
#[derive(Debug, Clone, Copy)]
pub struct Schedule<'a> {
    pub zone: &'a Zone,
    pub duration_minutes: u32,
    pub slot_interval_minutes: u32,
    pub hours: &'a [OpeningHours],
    pub closed_dates: &'a [Date],
}

/// A resource and its places per slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceCapacity {
    pub resource_id: i64,
    pub capacity: u32,
}

/// Places a reservation holds on one resource (only reservations that hold places are passed in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Booked {
    pub resource_id: i64,
    pub start: Timestamp,
    pub end: Timestamp,
    pub quantity: u32,
}

impl Schedule<'_> {
    /// Every slot the schedule offers on `date`, ignoring occupancy and the current time.
    pub fn slot_times(&self, date: Date) -> Vec<(Timestamp, Timestamp)> {
        let mut out = Vec::new();
        if self.closed_dates.contains(&date) || self.duration_minutes == 0 || self.slot_interval_minutes == 0 {
            return out;
        }
        let weekday = date.weekday();
        for hours in self.hours.iter().filter(|h| h.weekday == weekday) {
            let closes = self.zone.boundary(date, hours.closes);
            let mut minute = hours.opens;
            while minute + self.duration_minutes <= hours.closes {
                if let LocalTime::Unique(start) | LocalTime::Repeated(start) = self.zone.local_time(date, minute) {
                    let end = start.plus_minutes(self.duration_minutes as i64);
                    if end <= closes && !out.iter().any(|(s, _)| *s == start) {
                        out.push((start, end));
                    }
                }
                minute += self.slot_interval_minutes;
            }
        }
        out.sort();
        out
    }

    /// The slot that starts at `start`, if the schedule offers one then.
    pub fn slot_at(&self, start: Timestamp) -> Option<(Timestamp, Timestamp)> {
        self.slot_times(self.zone.local_date(start))
            .into_iter()
            .find(|(s, _)| *s == start)
    }

    /// The day's bookable slots: not started yet, each with its capacity and places left.
    pub fn day(&self, date: Date, resources: &[ResourceCapacity], booked: &[Booked], now: Timestamp) -> Vec<Slot> {
        // Sorted by start (slot_times sorts them).
        let times: Vec<_> = self.slot_times(date).into_iter().filter(|(s, _)| *s > now).collect();
        let used = taken(resources, booked, &times);
        let capacity = resources.iter().map(|r| r.capacity).sum();
        times
            .iter()
            .enumerate()
            .map(|(k, &(start, end))| Slot {
                start_time: start,
                end_time: end,
                capacity,
                available: resources
                    .iter()
                    .zip(&used)
                    .map(|(r, row)| r.capacity.saturating_sub(row.get(k).copied().unwrap_or(0)))
                    .sum(),
            })
            .collect()
    }
}

/// The places taken on each resource (in the resources' order) during each window (sorted by start). Each
/// reservation is read once, adding its places to the windows it overlaps (found by their sorted starts), so
/// the work grows with the reservations alone and a busy day is not read again for every slot. Every
/// reservation overlapping a window counts in full, which never overbooks even when staff book times that do
/// not line up with the slots.
fn taken(resources: &[ResourceCapacity], booked: &[Booked], windows: &[(Timestamp, Timestamp)]) -> Vec<Vec<u32>> {
    let mut used = vec![vec![0u32; windows.len()]; resources.len()];
    let (Some(first), Some(to)) = (windows.first(), windows.iter().map(|(_, e)| *e).max()) else {
        return used;
    };
    let longest = windows.iter().map(|(s, e)| e.0 - s.0).max().unwrap_or(0);
    let mut index: Vec<(i64, usize)> = resources.iter().enumerate().map(|(i, r)| (r.resource_id, i)).collect();
    index.sort_unstable();
    for b in booked.iter().filter(|b| b.start < to && b.end > first.0) {
        let Ok(k) = index.binary_search_by_key(&b.resource_id, |(id, _)| *id) else {
            continue;
        };
        let Some(row) = used.get_mut(index[k].1) else { continue };
        // Windows starting at or before `b.start - longest` end by `b.start`; those starting at `b.end` or
        // later begin after it: only the ones between can overlap, and each is checked.
        let lo = windows.partition_point(|(s, _)| s.0 + longest <= b.start.0);
        let hi = windows.partition_point(|(s, _)| *s < b.end);
        for (window, places) in windows.iter().zip(row.iter_mut()).take(hi).skip(lo) {
            if window.1 > b.start {
                *places = places.saturating_add(b.quantity);
            }
        }
    }
    used
}

/// Places left on each resource during `[start, end)`.
pub fn places_left(
    resources: &[ResourceCapacity],
    booked: &[Booked],
    start: Timestamp,
    end: Timestamp,
) -> Vec<(i64, u32)> {
    let used = taken(resources, booked, &[(start, end)]);
    resources
        .iter()
        .zip(&used)
        .map(|(r, row)| {
            (
                r.resource_id,
                r.capacity.saturating_sub(row.first().copied().unwrap_or(0)),
            )
        })
        .collect()
}

/// Spreads `quantity` places over resources: the one resource that fits them all with the least room to
/// spare, else the fullest-free resources first. `None` when there are not enough places.
pub fn allocate(left: &[(i64, u32)], quantity: u32) -> Option<Vec<(i64, u32)>> {
    if quantity == 0 || left.iter().map(|(_, l)| *l as u64).sum::<u64>() < quantity as u64 {
        return None;
    }
    if let Some((id, _)) = left
        .iter()
        .filter(|(_, l)| *l >= quantity)
        .min_by_key(|(id, l)| (*l, *id))
    {
        return Some(vec![(*id, quantity)]);
    }
    let mut by_room: Vec<(i64, u32)> = left.iter().filter(|(_, l)| *l > 0).copied().collect();
    by_room.sort_by_key(|(id, l)| (std::cmp::Reverse(*l), *id));
    let mut remaining = quantity;
    let mut out = Vec::new();
    for (id, l) in by_room {
        let take = l.min(remaining);
        out.push((id, take));
        remaining -= take;
        if remaining == 0 {
            break;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn every_day(opens: u32, closes: u32) -> Vec<OpeningHours> {
        (1..=7).map(|weekday| OpeningHours { weekday, opens, closes }).collect()
    }

    fn schedule<'a>(zone: &'a Zone, hours: &'a [OpeningHours], closed: &'a [Date], len: u32) -> Schedule<'a> {
        Schedule {
            zone,
            duration_minutes: len,
            slot_interval_minutes: len,
            hours,
            closed_dates: closed,
        }
    }

    fn starts(zone: &Zone, hours: &[OpeningHours], day: &str) -> Vec<String> {
        schedule(zone, hours, &[], 30)
            .slot_times(date(day))
            .iter()
            .map(|(s, _)| s.to_string())
            .collect()
    }

    #[test]
    fn ordinary_day_in_budapest() {
        let zone = Zone::named("Europe/Budapest").unwrap();
        let hours = every_day(9 * 60, 12 * 60);
        let slots = schedule(&zone, &hours, &[], 60).slot_times(date("2026-05-20"));
        let got: Vec<_> = slots.iter().map(|(s, e)| (s.to_string(), e.to_string())).collect();
        assert_eq!(
            got,
            [
                ("2026-05-20T07:00:00Z".into(), "2026-05-20T08:00:00Z".into()),
                ("2026-05-20T08:00:00Z".into(), "2026-05-20T09:00:00Z".into()),
                ("2026-05-20T09:00:00Z".into(), "2026-05-20T10:00:00Z".into()),
            ] as [(String, String); 3]
        );
    }

    #[test]
    fn spring_forward_skips_the_missing_hour() {
        // Budapest: 2026-03-29 02:00 → 03:00. New York: 2026-03-08 02:00 → 03:00.
        for (zone, day, utc_first) in [
            ("Europe/Budapest", "2026-03-29", "2026-03-29T00:00:00Z"),
            ("America/New_York", "2026-03-08", "2026-03-08T06:00:00Z"),
        ] {
            let zone = Zone::named(zone).unwrap();
            let hours = every_day(60, 5 * 60); // 01:00–05:00 local
            let got = starts(&zone, &hours, day);
            assert_eq!(got.len(), 6, "{got:?}"); // 01:00 01:30 (02:00 02:30 skipped) 03:00 03:30 04:00 04:30
            assert_eq!(got[0], utc_first);
            let s = schedule(&zone, &hours, &[], 30).slot_times(date(day));
            assert!(s.iter().all(|(a, b)| b.0 - a.0 == 1800));
            assert!(s.windows(2).all(|w| w[0].1 <= w[1].0), "slots overlap: {got:?}");
        }
    }

    #[test]
    fn fall_back_offers_the_repeated_hour_once() {
        // Budapest: 2026-10-25 03:00 → 02:00. New York: 2026-11-01 02:00 → 01:00.
        for (zone, day, repeated_local_hour) in [
            ("Europe/Budapest", "2026-10-25", 2),
            ("America/New_York", "2026-11-01", 1),
        ] {
            let zone = Zone::named(zone).unwrap();
            let hours = every_day(0, 5 * 60);
            let got = starts(&zone, &hours, day);
            assert_eq!(got.len(), 10, "{got:?}"); // 00:00 … 04:30 on the wall clock, each once
            let mut dedup = got.clone();
            dedup.dedup();
            assert_eq!(dedup, got);
            let repeated = zone.local_time(date(day), repeated_local_hour * 60);
            assert!(matches!(repeated, LocalTime::Repeated(_)), "{repeated:?}");
        }
    }

    #[test]
    fn closed_dates_and_closed_weekdays_have_no_slots() {
        let zone = Zone::named("Europe/Budapest").unwrap();
        let hours = vec![OpeningHours {
            weekday: 3,
            opens: 600,
            closes: 720,
        }]; // Wednesdays only
        let closed = [date("2026-05-27")];
        let s = schedule(&zone, &hours, &closed, 60);
        assert_eq!(s.slot_times(date("2026-05-20")).len(), 2); // a Wednesday
        assert!(s.slot_times(date("2026-05-21")).is_empty()); // a Thursday
        assert!(s.slot_times(date("2026-05-27")).is_empty()); // closed Wednesday
    }

    #[test]
    fn past_slots_are_not_offered_and_places_are_counted() {
        let zone = Zone::named("Europe/Budapest").unwrap();
        let hours = every_day(9 * 60, 12 * 60);
        let s = schedule(&zone, &hours, &[], 60);
        let rooms = [
            ResourceCapacity {
                resource_id: 1,
                capacity: 1,
            },
            ResourceCapacity {
                resource_id: 2,
                capacity: 1,
            },
        ];
        let booked = [
            Booked {
                resource_id: 1,
                start: ts("2026-05-20T08:00:00Z"),
                end: ts("2026-05-20T09:00:00Z"),
                quantity: 1,
            },
            Booked {
                resource_id: 2,
                start: ts("2026-05-20T08:30:00Z"),
                end: ts("2026-05-20T08:45:00Z"),
                quantity: 1,
            },
        ];
        let day = s.day(date("2026-05-20"), &rooms, &booked, ts("2026-05-20T07:30:00Z"));
        assert_eq!(day.len(), 2, "the 09:00 slot has started");
        assert_eq!((day[0].capacity, day[0].available), (2, 0));
        assert_eq!((day[1].capacity, day[1].available), (2, 2));
    }

    #[test]
    fn allocation_prefers_one_resource_then_spreads() {
        assert_eq!(allocate(&[(1, 6), (2, 4)], 4), Some(vec![(2, 4)]));
        assert_eq!(allocate(&[(1, 1), (2, 1), (3, 1)], 2), Some(vec![(1, 1), (2, 1)]));
        assert_eq!(allocate(&[(1, 1), (2, 0)], 2), None);
        assert_eq!(allocate(&[(1, 3), (2, 2)], 5), Some(vec![(1, 3), (2, 2)]));
        assert_eq!(allocate(&[], 1), None);
    }

    #[test]
    fn a_days_answer_agrees_with_each_slot_asked_alone() {
        // Overlapping slots (90 minutes every 30), DST days, and reservations of any length and alignment (staff
        // book odd times; some span several slots, some the whole day, some none): each slot's places must equal
        // what the reserve's own check (`places_left`) finds for that slot alone.
        let zone = Zone::named("Europe/Budapest").unwrap();
        let hours = every_day(8 * 60, 20 * 60);
        let resources: Vec<ResourceCapacity> = (1..=4)
            .map(|id| ResourceCapacity {
                resource_id: id,
                capacity: id as u32,
            })
            .collect();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for day in ["2026-05-20", "2026-03-29", "2026-10-25"] {
            let schedule = Schedule {
                zone: &zone,
                duration_minutes: 90,
                slot_interval_minutes: 30,
                hours: &hours,
                closed_dates: &[],
            };
            let midnight = Timestamp(date(day).days() * 86_400);
            for _ in 0..40 {
                let booked: Vec<Booked> = (0..next(60))
                    .map(|_| {
                        let start = midnight.plus_minutes(next(26 * 60) as i64 - 60);
                        Booked {
                            resource_id: next(6) as i64,
                            start,
                            end: start.plus_minutes(1 + next(8 * 60) as i64),
                            quantity: 1 + next(3) as u32,
                        }
                    })
                    .collect();
                let now = midnight.plus_minutes(next(12 * 60) as i64);
                for slot in schedule.day(date(day), &resources, &booked, now) {
                    let alone: u32 = places_left(&resources, &booked, slot.start_time, slot.end_time)
                        .iter()
                        .map(|(_, l)| l)
                        .sum();
                    assert_eq!(slot.available, alone, "{day} {}", slot.start_time);
                    // And as counted by hand: each resource's capacity less every overlapping reservation on it.
                    let by_hand: u32 = resources
                        .iter()
                        .map(|r| {
                            let used: u32 = booked
                                .iter()
                                .filter(|b| b.resource_id == r.resource_id)
                                .filter(|b| b.start < slot.end_time && b.end > slot.start_time)
                                .map(|b| b.quantity)
                                .sum();
                            r.capacity.saturating_sub(used)
                        })
                        .sum();
                    assert_eq!(slot.available, by_hand, "{day} {}", slot.start_time);
                }
            }
        }
    }
}
