//! Core measured natively: one day's availability for a busy organisation, budgeted by how it grows (ten
//! times the reservations may take at most ten times as long) and against a baseline computed in the same run
//! (one plain pass over the same reservations, adding up the places each slot has taken), so that the budget
//! holds on any machine.

use crate::report::Row;
use slotbook_core::availability::{Booked, OpeningHours, ResourceCapacity, Schedule, Zone};
use slotbook_core::time::{Date, Timestamp};
use std::time::Instant;

/// `runs` timings of `f`: the fastest (what the computation costs when nothing else interferes: the ratios
/// are taken of these) and the p50 and p99, in ms.
fn timed(runs: usize, mut f: impl FnMut()) -> (f64, f64, f64) {
    let times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let fastest = times.iter().cloned().fold(f64::MAX, f64::min);
    let (p50, p99) = crate::summary(times);
    (fastest, p50, p99)
}

/// 50 resources and `count` reservations, all on the measured day: the worst case for one day's answer.
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
    let booked = |count: usize| -> Vec<Booked> {
        (0..count)
            .map(|i| {
                let start = day_start.plus_minutes(30 * (i % 32) as i64);
                Booked {
                    resource_id: (i % 50) as i64 + 1,
                    start,
                    end: start.plus_minutes(30),
                    quantity: 1,
                }
            })
            .collect()
    };
    let now = Timestamp(day_start.0 - 86_400);
    let (small, large) = (booked(10_000), booked(100_000));
    assert_eq!(schedule.day(day, &resources, &small, now).len(), 32);
    let day_of = |b: &[Booked]| {
        std::hint::black_box(schedule.day(day, &resources, std::hint::black_box(b), now));
    };
    // The baseline: the least any answer must do, one pass adding each reservation's places to its slot.
    let baseline = |b: &[Booked]| {
        let mut taken = [0u32; 32];
        for r in std::hint::black_box(b) {
            let slot = ((r.start.0 - day_start.0) / 1800) as usize;
            if let Some(t) = taken.get_mut(slot) {
                *t += r.quantity;
            }
        }
        std::hint::black_box(taken);
    };
    // Both sizes warmed up (their pages touched, the CPU at speed), then timed in turn, so that a change of the
    // machine's pace during the run meets both alike; the growth is taken of the fastest runs.
    timed(10, || day_of(&large));
    timed(100, || day_of(&small));
    let (mut small_ms, mut large_ms) = (Vec::new(), Vec::new());
    for _ in 0..100 {
        for _ in 0..10 {
            small_ms.push(timed(1, || day_of(&small)).0);
        }
        large_ms.push(timed(1, || day_of(&large)).0);
    }
    let fastest = |v: &[f64]| v.iter().cloned().fold(f64::MAX, f64::min);
    let (at_10k, at_100k) = (fastest(&small_ms), fastest(&large_ms));
    let (p50, p99) = crate::summary(small_ms);
    let (pass_10k, _, _) = timed(300, || baseline(&small));
    rows.push(
        Row::new(
            "availability_p50",
            "availability, 50 resources × 10,000 reservations, p50",
            p50,
            "ms",
        )
        .detail(format!("p99 {p99:.3}")),
    );
    rows.push(
        Row::new(
            "availability_growth",
            "… 100,000 reservations ÷ 10,000 (ten times the reservations), fastest runs",
            at_100k / at_10k,
            "×",
        )
        .detail(format!("{at_100k:.2} ÷ {at_10k:.3} ms"))
        .budget(GROWTH_RATIO),
    );
    rows.push(
        Row::new(
            "availability_vs_one_pass",
            "… 10,000 reservations ÷ one plain pass over them, fastest runs",
            at_10k / pass_10k,
            "×",
        )
        .detail(format!("{at_10k:.3} ÷ {pass_10k:.4} ms"))
        .budget(BASELINE_RATIO),
    );
}

/// Ten times the reservations may cost at most this many times as long: linear within 10 % (measured here
/// 9.9–10.2×, the memory a larger list takes included), while n·log n would be 12.5× and anything quadratic far
/// more. A budget of exactly 10× would pass or fail a linear answer by noise alone.
const GROWTH_RATIO: f64 = 11.0;

/// How many plain passes over the reservations one day's answer may cost: it reads each reservation once, finds
/// its resource and the slots it overlaps, and adds its places (measured here 12–18×, by the CPU's pace).
const BASELINE_RATIO: f64 = 25.0;
