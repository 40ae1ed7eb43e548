//! The document's text forms: weekday names (`mon` … `sun`) and clock times (`HH:MM`, up to `24:00`).

use serde::{Deserialize, Deserializer, Serializer};

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub(super) mod weekday_names {
    use super::*;

    pub fn serialize<S: Serializer>(days: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(days.iter().map(|d| WEEKDAYS[(*d as usize).clamp(1, 7) - 1]))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        names
            .iter()
            .map(|n| {
                WEEKDAYS
                    .iter()
                    .position(|w| w.eq_ignore_ascii_case(n.get(..3).unwrap_or("")) && n.len() >= 3)
                    .map(|i| i as u8 + 1)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown day {n:?}; use mon, tue, … sun")))
            })
            .collect()
    }
}

pub(super) mod clock {
    use super::*;

    pub fn serialize<S: Serializer>(minutes: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{:02}:{:02}", minutes / 60, minutes % 60))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || serde::de::Error::custom(format!("expected a time HH:MM, got {s:?}"));
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h.to_string().len() > 2 || m > 59 || h * 60 + m > 1440 || m.to_string().len() > 2 {
            return Err(bad());
        }
        Ok(h * 60 + m)
    }
}
