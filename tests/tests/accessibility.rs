//! Accessibility (WCAG 2.2 AA, the WAI-ARIA date-picker grid pattern): axe-core (pinned, from npm) on every
//! step of a booking in light and dark themes, failing on any violation from the widget; and a booking
//! made with the keyboard alone.

use serde_json::json;
use slotbook_tests::booking::find_slot;
use slotbook_tests::pages::{choose, fill, venue_site};
use slotbook_tests::webdriver::Browser;
use slotbook_tests::Edge;

fn check(browser: &Browser, step: &str, theme: &str) {
    let violations = browser.axe_violations();
    assert!(
        violations.is_empty(),
        "{theme}, {step}: {} violations\n{}",
        violations.len(),
        violations.join("\n")
    );
}

#[test]
fn every_step_passes_axe_in_light_and_dark() {
    for theme in ["light", "dark"] {
        let edge = Edge::start();
        let slug = format!("axe-{theme}");
        let host = venue_site(&edge, &slug, &format!(r#"data-theme="{theme}""#), "");
        let slot = find_slot(
            &edge.url(&format!("/api/public/booking/organisations/{slug}")),
            10,
            1,
            0,
        );
        let browser = Browser::start();
        browser.goto(&format!("{}/", host.base));
        browser.widget_element(".sb-service[data-resource-type='10']");
        // The theme asked for is the one shown: the card's background is dark only in the dark theme.
        let shown = browser.script(
            "const r = document.querySelector('[data-booking-widget]').shadowRoot; \
             const [red, green, blue] = getComputedStyle(r.querySelector('.sb-card')).backgroundColor.match(/\\d+/g).map(Number); \
             return [r.querySelector('section.sb').classList.contains('dark'), red + green + blue < 3 * 128];",
            json!([]),
        );
        assert_eq!(
            shown,
            json!([theme == "dark", theme == "dark"]),
            "{theme} theme applied"
        );
        check(&browser, "services", theme);
        browser.click(&browser.widget_element(".sb-service[data-resource-type='10']"));
        browser.widget_element(".sb-day:not([aria-disabled='true'])");
        check(&browser, "calendar", theme);
        choose(&browser, 10, &slot);
        browser.widget_element("#sb-name");
        check(&browser, "times and details", theme);
        browser.click(&browser.widget_element(".sb-primary"));
        browser.widget_element("#sb-name[aria-invalid='true']");
        check(&browser, "field errors", theme);
        fill(&browser, "Alex Axe", "alex@example.com", "+49 40 1112229");
        browser.click(&browser.widget_element(".sb-primary"));
        browser.widget_element(".sb-confirmed");
        check(&browser, "confirmation", theme);
    }
}

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const RIGHT: &str = "\u{E014}";

/// Presses Tab until `pred` holds for the focused element (at most `max` times).
fn tab_until(browser: &Browser, what: &str, max: usize, pred: impl Fn(&serde_json::Value) -> bool) {
    for _ in 0..max {
        browser.keys(TAB);
        if pred(&browser.focused()) {
            return;
        }
    }
    panic!("Tab never reached {what}; focus is on {}", browser.focused());
}

#[test]
fn a_booking_made_with_the_keyboard_alone() {
    let edge = Edge::start();
    let host = venue_site(&edge, "keys-spa", r#"data-theme="light""#, "");
    let base = edge.url("/api/public/booking/organisations/keys-spa");
    let slot = find_slot(&base, 10, 1, 0);
    let date = slotbook_core::time::Date::parse(slot["date"].as_str().unwrap()).unwrap();
    let browser = Browser::start();
    browser.goto(&format!("{}/", host.base));
    browser.widget_element(".sb-service[data-resource-type='10']");

    tab_until(&browser, "the sauna", 10, |f| f["type"] == "10");
    browser.keys(ENTER);
    // Into the day grid: one Tab stop, then the arrow keys to the day.
    tab_until(&browser, "the day grid", 6, |f| {
        f["className"].as_str().unwrap_or("").contains("sb-day")
    });
    let mut at = slotbook_core::time::Date::parse(browser.focused()["date"].as_str().unwrap()).unwrap();
    let mut presses = 0;
    while at < date {
        browser.keys(RIGHT);
        // Focus moves on the next frame: wait for the next day.
        let next = at.add_days(1).to_string();
        browser.wait_for("the next day", &format!("let e = document.activeElement; while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement; return e && e.dataset.date === '{next}';"));
        at = at.add_days(1);
        presses += 1;
        assert!(presses < 40, "the arrow keys did not reach {date}");
    }
    assert_eq!(at, date);
    browser.keys(ENTER);
    // Tab moves straight out of the grid to the times: one stop for the whole month.
    tab_until(&browser, "the slot", 40, |f| f["start"] == slot["startTime"]);
    browser.keys(ENTER);
    tab_until(&browser, "the name field", 4, |f| f["id"] == "sb-name");
    browser.keys("Kim Keys");
    browser.keys(TAB);
    browser.keys("kim@example.com");
    browser.keys(TAB);
    browser.keys("+49 40 1112230");
    tab_until(&browser, "the book button", 4, |f| {
        f["className"].as_str().unwrap_or("").contains("sb-primary")
    });
    browser.keys(ENTER);
    browser.widget_element(".sb-confirmed");
    let list = slotbook_tests::http::send(
        "GET",
        &edge.url("/api/reservations"),
        None,
        &[("Authorization", &format!("Bearer {}", slotbook_tests::DEMO_KEY))],
    )
    .unwrap()
    .json();
    let booked = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["customerInfo"]["name"] == "Kim Keys")
        .expect("booked with the keyboard");
    assert_eq!(booked["startTime"], slot["startTime"]);
}

#[test]
fn the_grid_keys_move_by_day_week_and_month() {
    let edge = Edge::start();
    let host = venue_site(&edge, "grid-spa", "", "");
    let browser = Browser::start();
    browser.goto(&format!("{}/", host.base));
    browser.click(&browser.widget_element(".sb-service[data-resource-type='10']"));
    let first = browser.widget_element(".sb-day[tabindex='0']");
    browser.script("arguments[0].focus();", json!([first]));
    let date = |b: &Browser| slotbook_core::time::Date::parse(b.focused()["date"].as_str().unwrap()).unwrap();
    // Focus moves on the next frame: wait for it to land.
    let lands = |b: &Browser, want: &dyn Fn(slotbook_core::time::Date) -> bool, what: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let d = date(b);
            if want(d) {
                return d;
            }
            assert!(std::time::Instant::now() < deadline, "{what}: focus is on {d}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    let start = date(&browser);
    browser.keys("\u{E015}"); // down: a week later
    let week = lands(&browser, &|d| d == start.add_days(7), "a week later");
    browser.keys("\u{E011}"); // Home: Monday of that week
    lands(&browser, &|d| d.weekday() == 1 && d.add_days(6) >= week, "Home");
    browser.keys("\u{E010}"); // End: Sunday
    let before = lands(&browser, &|d| d.weekday() == 7, "End");
    browser.keys("\u{E00F}"); // PageDown: the next month, shown
    lands(&browser, &|d| d == before.add_months(1), "PageDown");
    let tab_stops = browser.script(
        "return document.querySelector('#booking-here').shadowRoot.querySelectorAll(\".sb-day[tabindex='0']\").length;",
        json!([]),
    );
    assert_eq!(tab_stops, json!(1), "one Tab stop in the grid");
    let disabled = browser.script("return [...document.querySelector('#booking-here').shadowRoot.querySelectorAll(\".sb-day[aria-disabled='true']\")].map(d => d.getAttribute('aria-label'));", json!([]));
    let labels = disabled.as_array().unwrap();
    assert!(
        !labels.is_empty() && labels.iter().all(|l| l.as_str().unwrap().contains(", ")),
        "disabled days say why: {labels:?}"
    );
}

#[test]
fn the_auto_theme_follows_the_visitors_colour_scheme() {
    let edge = Edge::start();
    let host = venue_site(&edge, "auto-theme", r#"data-theme="auto""#, "");
    let browser = Browser::start();
    let dark_card = "const r = document.querySelector('[data-booking-widget]').shadowRoot; \
        const [red, green, blue] = getComputedStyle(r.querySelector('.sb-card')).backgroundColor.match(/\\d+/g).map(Number); \
        return red + green + blue < 3 * 128;";
    for (scheme, dark) in [("dark", true), ("light", false)] {
        browser.cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        );
        browser.goto(&format!("{}/?{scheme}", host.base));
        browser.widget_element(".sb-service[data-resource-type='10']");
        assert_eq!(browser.script(dark_card, json!([])), json!(dark), "{scheme} scheme");
    }
}
