//! Dates, times and prices for people, through the browser's `Intl` (no tz database in the wasm).

use js_sys::{Array, Intl, Object, Reflect};
use slotbook_core::time::{Date, Timestamp};
use wasm_bindgen::JsValue;

fn options(pairs: &[(&str, &str)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    o
}

fn locales(locale: &str) -> Array {
    Array::of1(&JsValue::from_str(locale))
}

fn js_date(ts: Timestamp) -> js_sys::Date {
    js_sys::Date::new(&JsValue::from_f64(ts.0 as f64 * 1000.0))
}

fn date_format(locale: &str, pairs: &[(&str, &str)]) -> Intl::DateTimeFormat {
    Intl::DateTimeFormat::new(&locales(locale), &options(pairs))
}

fn call_format(f: &Intl::DateTimeFormat, d: &js_sys::Date) -> String {
    f.format()
        .call1(f, d)
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Times of day in a zone, `14:30`: the 24-hour clock, but for English in North America (`2:30 PM`). Made
/// once per list: a browser makes a formatter slowly and uses it quickly.
#[derive(Clone)]
pub struct Times(Intl::DateTimeFormat);

impl Times {
    pub fn new(zone: &str, locale: &str) -> Times {
        let cycle = if twelve_hour(locale, zone) { "h12" } else { "h23" };
        Times(date_format(
            locale,
            &[
                ("timeZone", zone),
                ("hour", "numeric"),
                ("minute", "2-digit"),
                ("hourCycle", cycle),
            ],
        ))
    }

    pub fn of(&self, ts: Timestamp) -> String {
        call_format(&self.0, &js_date(ts))
    }
}

/// English in the US and Canada reads the 12-hour clock; German, Hungarian and English elsewhere the 24-hour.
fn twelve_hour(locale: &str, zone: &str) -> bool {
    locale.to_ascii_lowercase().starts_with("en")
        && (zone.starts_with("America/") || zone.starts_with("US/") || zone == "Pacific/Honolulu")
}

/// Calendar dates, `Saturday, 21 November 2026` (formatted at noon UTC so no zone moves them); made once
/// per list, like [`Times`].
#[derive(Clone)]
pub struct LongDates(Intl::DateTimeFormat);

impl LongDates {
    pub fn new(locale: &str) -> LongDates {
        LongDates(date_format(
            locale,
            &[
                ("timeZone", "UTC"),
                ("weekday", "long"),
                ("year", "numeric"),
                ("month", "long"),
                ("day", "numeric"),
            ],
        ))
    }

    pub fn of(&self, date: Date) -> String {
        call_format(&self.0, &js_date(Timestamp(date.days() * 86_400 + 12 * 3600)))
    }
}

/// `November 2026`.
pub fn month(date: Date, locale: &str) -> String {
    let noon = Timestamp(date.days() * 86_400 + 12 * 3600);
    call_format(
        &date_format(locale, &[("timeZone", "UTC"), ("year", "numeric"), ("month", "long")]),
        &js_date(noon),
    )
}

/// Weekday names, Monday first, in `style` (`short` or `long`).
pub fn weekday_names(locale: &str, style: &str) -> Vec<String> {
    let f = date_format(locale, &[("timeZone", "UTC"), ("weekday", style)]);
    // 2024-01-01 was a Monday.
    (0..7)
        .map(|i| call_format(&f, &js_date(Timestamp((19_723 + i) * 86_400 + 43_200))))
        .collect()
}

/// The date it is now in `zone`.
pub fn today_in(zone: &str) -> Date {
    date_in(Timestamp::from_millis(js_sys::Date::now()), zone)
}

/// The calendar date of an instant in `zone`.
pub fn date_in(ts: Timestamp, zone: &str) -> Date {
    // en-CA formats dates as YYYY-MM-DD.
    let s = call_format(
        &date_format(
            "en-CA",
            &[
                ("timeZone", zone),
                ("year", "numeric"),
                ("month", "2-digit"),
                ("day", "2-digit"),
            ],
        ),
        &js_date(ts),
    );
    Date::parse(&s).unwrap_or_else(|| ts.utc_date())
}

/// The visitor's own time zone.
pub fn visitor_zone() -> String {
    let f = Intl::DateTimeFormat::new(&Array::new(), &Object::new());
    Reflect::get(&f.resolved_options(), &JsValue::from_str("timeZone"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// `€65.00` from minor units.
pub fn money(minor: i64, currency: &str, locale: &str) -> String {
    let f = Intl::NumberFormat::new(
        &locales(locale),
        &options(&[("style", "currency"), ("currency", &currency.to_ascii_uppercase())]),
    );
    let digits = Reflect::get(&f.resolved_options(), &JsValue::from_str("maximumFractionDigits"))
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(2.0);
    let amount = minor as f64 / 10f64.powi(digits as i32);
    f.format()
        .call1(&f, &JsValue::from_f64(amount))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}
