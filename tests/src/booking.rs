//! Booking helpers shared by the end-to-end tests and the benchmark: finding a free slot through the
//! public API and reading how many places it has left.

use crate::http;
use serde_json::Value;
use slotbook_core::time::{Date, Timestamp};

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn today() -> Date {
    Timestamp(now()).utc_date()
}

/// The `skip`-th slot from tomorrow on (three weeks ahead) with at least `need` places. `base` is a public
/// booking base URL (`…/organisations/:slug` or `…/:token`). The answer's `date` is added to the slot.
pub fn find_slot(base: &str, type_id: i64, need: u64, skip: usize) -> Value {
    let mut seen = 0;
    for i in 1..22 {
        let date = today().add_days(i);
        let a = http::get(&format!("{base}/availability?date={date}&resourceTypeId={type_id}")).unwrap();
        assert_eq!(a.status, 200, "{}", a.body);
        for slot in a.json()["slots"].as_array().unwrap() {
            if slot["available"].as_u64().unwrap() >= need {
                if seen == skip {
                    let mut slot = slot.clone();
                    slot["date"] = Value::String(date.to_string());
                    return slot;
                }
                seen += 1;
            }
        }
    }
    panic!("no slot of type {type_id} with {need} places");
}

/// Places left at `slot` (looked up on its UTC date and the days around it, as the organisation's day
/// can differ).
pub fn places_left(base: &str, type_id: i64, slot: &Value) -> u64 {
    let day = Date::parse(&slot["startTime"].as_str().unwrap()[..10]).unwrap();
    for d in [day, day.add_days(-1), day.add_days(1)] {
        let a = http::get(&format!("{base}/availability?date={d}&resourceTypeId={type_id}"))
            .unwrap()
            .json();
        if let Some(s) = a["slots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["startTime"] == slot["startTime"])
        {
            return s["available"].as_u64().unwrap();
        }
    }
    // A full slot is listed with 0 places; one that vanished is a failure, not "full".
    panic!("the slot {} is not listed any more", slot["startTime"]);
}
