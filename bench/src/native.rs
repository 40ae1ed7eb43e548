//! Core measured natively: one day's availability for a busy organisation.

use crate::report::Row;
use slotbook_core::availability::{Booked, OpeningHours, ResourceCapacity, Schedule, Zone};
use slotbook_core::time::{Date, Timestamp};
use std::time::Instant;

/// 50 resources and 10,000 reservations, all on the measured day: the worst case for one day's answer.
pub fn availability(rows: &mut Vec<Row>) {
    let zone = Zone::named("Europe/Budapest").unwrap();
    let hours: Vec<OpeningHours> = (1..=7)
        .map(|weekday| OpeningHours {
            weekday,
            opens: 6 * 60,
            closes: 22 * 60,
        })
        .collect();
    let schedule = Schedule {
        zone: &zone,
        duration_minutes: 30,
        slot_interval_minutes: 30,
        hours: &hours,
        closed_dates: &[],
    };
    let resources: Vec<ResourceCapacity> = (1..=50)
        .map(|id| ResourceCapacity {
            resource_id: id,
            capacity: 4,
        })
        .collect();
    let day = Date::parse("2030-05-20").unwrap();
    let day_start = schedule.slot_times(day)[0].0;
    let booked: Vec<Booked> = (0..10_000)
        .map(|i| {
            let start = day_start.plus_minutes(30 * (i % 32) as i64);
            Booked {
                resource_id: (i % 50) as i64 + 1,
                start,
                end: start.plus_minutes(30),
                quantity: 1,
            }
        })
        .collect();
    let now = Timestamp(day_start.0 - 86_400);
    assert_eq!(schedule.day(day, &resources, &booked, now).len(), 32);
    let mut times = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        std::hint::black_box(schedule.day(day, &resources, std::hint::black_box(&booked), now));
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (p50, p99) = crate::summary(times);
    rows.push(
        Row::new(
            "availability_p50",
            "availability, 50 resources × 10,000 reservations, p50",
            p50,
            "ms",
        )
        .detail(format!("p99 {p99:.3}"))
        .budget(0.5),
    );
}
