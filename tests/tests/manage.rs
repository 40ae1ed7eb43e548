//! After the booking: the confirmation's details on the edge's answers, the customer's manage link (see,
//! move, cancel, within the organisation's notice), the calendar file read by an independent iCalendar
//! parser, and the plain manage page for a customer who opens the link from an email.

use icalendar::{Calendar, CalendarComponent, Component, EventLike};
use serde_json::{json, Value};
use slotbook_core::time::Timestamp;
use slotbook_tests::booking::{find_slot, places_left};
use slotbook_tests::http::{self, Answer};
use slotbook_tests::{document_for, Edge};
use std::sync::OnceLock;

const ADDRESS: &str = "Fő utca 1, 1011 Budapest; 2nd floor";

fn edge() -> &'static Edge {
    static EDGE: OnceLock<Edge> = OnceLock::new();
    EDGE.get_or_init(|| {
        let e = Edge::start();
        let mut doc = document_for("manage-spa");
        doc["address"] = json!(ADDRESS);
        doc["cancellationNoticeHours"] = json!(2);
        assert_eq!(e.import("manage-spa", &doc).status, 200);
        let mut strict = document_for("strict-spa");
        strict["cancellationNoticeHours"] = json!(720);
        assert_eq!(e.import("strict-spa", &strict).status, 200);
        e
    })
}

fn base(slug: &str) -> String {
    edge().url(&format!("/api/public/booking/organisations/{slug}"))
}

/// Books the `nth` slot with room for `quantity`; tests run in parallel on one organisation, so each picks
/// slots far from the others'.
fn book(slug: &str, type_id: i64, nth: usize, quantity: u32) -> (Value, Value) {
    let slot = find_slot(&base(slug), type_id, quantity as u64, nth);
    let body = json!({"resourceTypeId": type_id, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": quantity,
        "customerName": "Mia Manage", "customerEmail": "mia@example.com", "customerPhone": "+36301112222"});
    let r = http::post_json(&format!("{}/reserve", base(slug)), &body);
    assert_eq!(r.status, 201, "{}", r.body);
    (r.json(), slot)
}

fn get_json(url: &str) -> Answer {
    http::send("GET", url, None, &[("Accept", "application/json")]).unwrap()
}

fn calendar(manage_url: &str) -> (Answer, icalendar::Event) {
    let a = http::get(&format!("{manage_url}/calendar.ics")).unwrap();
    assert_eq!(a.status, 200, "{}", a.body);
    let cal: Calendar = a
        .body
        .parse()
        .unwrap_or_else(|e| panic!("not iCalendar ({e}): {}", a.body));
    let event = cal.components.iter().find_map(|c| match c {
        CalendarComponent::Event(e) => Some(e.clone()),
        _ => None,
    });
    (a, event.expect("one event"))
}

#[test]
fn the_reserve_answer_says_what_was_booked_and_gives_a_manage_link() {
    let (r, slot) = book("manage-spa", 10, 0, 2);
    let b = &r["booking"];
    assert_eq!(b["organisation"], "Acme Spa");
    assert_eq!(b["service"], "Sauna session");
    assert_eq!(
        (b["startTime"].clone(), b["endTime"].clone()),
        (slot["startTime"].clone(), slot["endTime"].clone())
    );
    assert_eq!(b["timeZone"], "Europe/Budapest");
    assert_eq!(
        (b["quantity"].as_u64(), b["amount"].as_i64()),
        (Some(2), Some(r["quotedAmount"].as_i64().unwrap()))
    );
    assert!(b["durationMinutes"].as_u64().unwrap() > 0);
    assert_eq!(b["address"], ADDRESS);
    assert_eq!(b["reference"], r["reservationId"].to_string());
    let manage = r["manageUrl"].as_str().unwrap();
    assert!(
        manage.starts_with(&edge().url("/api/public/booking/manage/")),
        "{manage}"
    );
    let token = manage.rsplit('/').next().unwrap();
    assert!(
        token.len() > 64 && token.ends_with(".manage-spa"),
        "an unguessable token naming its organisation"
    );

    let m = get_json(manage).json();
    assert_eq!(m["reservationId"], r["reservationId"]);
    assert_eq!(m["booking"]["service"], "Sauna session");
    assert_eq!(
        (m["canCancel"].as_bool(), m["canReschedule"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(m["googleCalendarUrl"]
        .as_str()
        .unwrap()
        .starts_with("https://calendar.google.com/calendar/render?action=TEMPLATE"));
    assert_eq!(m["calendarUrl"], format!("{manage}/calendar.ics"));
    assert_eq!(
        r["googleCalendarUrl"], m["googleCalendarUrl"],
        "the confirmation's Google Calendar link is the manage view's"
    );

    // A token with one character changed, or naming another organisation, finds nothing.
    let last = token.chars().nth(63).unwrap();
    let forged = token.replacen(
        &token[..64],
        &format!("{}{}", &token[..63], if last == '0' { '1' } else { '0' }),
        1,
    );
    get_json(&edge().url(&format!("/api/public/booking/manage/{forged}"))).error(404, "resource_not_found");
    get_json(&edge().url(&format!("/api/public/booking/manage/{}.strict-spa", &token[..64])))
        .error(404, "resource_not_found");
    get_json(&edge().url(&format!("/api/public/booking/manage/{}.nobody-here", &token[..64])))
        .error(404, "resource_not_found");
    get_json(&edge().url("/api/public/booking/manage/not-a-token")).error(404, "resource_not_found");
}

#[test]
fn the_calendar_file_follows_rfc_5545_and_each_change() {
    let (r, slot) = book("manage-spa", 10, 10, 1);
    let manage = r["manageUrl"].as_str().unwrap().to_string();
    let (answer, event) = calendar(&manage);
    assert!(answer.header("content-type").unwrap().starts_with("text/calendar"));
    assert!(
        answer.body.contains("\r\n") && !answer.body.replace("\r\n", "").contains('\n'),
        "CRLF only"
    );
    assert!(answer.body.split("\r\n").all(|l| l.len() <= 75), "folded at 75 octets");
    let id = r["reservationId"].as_i64().unwrap();
    assert_eq!(event.get_uid(), Some(format!("manage-spa-{id}@slotbook").as_str()));
    assert_eq!(event.get_summary(), Some("Sauna session, Acme Spa"));
    assert_eq!(
        event.get_location(),
        Some(ADDRESS),
        "escaped commas and semicolons read back"
    );
    assert_eq!(event.get_url(), Some(manage.as_str()));
    assert_eq!(event.get_status(), Some(icalendar::EventStatus::Confirmed));
    assert_eq!(event.property_value("SEQUENCE"), Some("0"));
    assert!(event.get_timestamp().is_some(), "DTSTAMP");
    let utc = |v: &Value| v.as_str().unwrap().to_string();
    let start = match event.get_start() {
        Some(icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(t))) => t,
        other => panic!("{other:?}"),
    };
    let end = match event.get_end() {
        Some(icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(t))) => t,
        other => panic!("{other:?}"),
    };
    assert_eq!(start.format("%Y-%m-%dT%H:%M:%SZ").to_string(), utc(&slot["startTime"]));
    assert_eq!(end.format("%Y-%m-%dT%H:%M:%SZ").to_string(), utc(&slot["endTime"]));

    // Moved: the same UID, a higher SEQUENCE, the new times.
    let other = find_slot(&base("manage-spa"), 10, 1, 30);
    let moved = http::post_json(
        &format!("{manage}/reschedule"),
        &json!({"startTime": other["startTime"], "endTime": other["endTime"]}),
    );
    assert_eq!(moved.status, 200, "{}", moved.body);
    let (_, event) = calendar(&manage);
    assert_eq!(event.property_value("SEQUENCE"), Some("1"));
    let start = match event.get_start() {
        Some(icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(t))) => t,
        other => panic!("{other:?}"),
    };
    assert_eq!(start.format("%Y-%m-%dT%H:%M:%SZ").to_string(), utc(&other["startTime"]));
    // Cancelled: STATUS:CANCELLED, SEQUENCE up again.
    assert_eq!(http::post_json(&format!("{manage}/cancel"), &json!({})).status, 200);
    let (_, event) = calendar(&manage);
    assert_eq!(
        (event.get_status(), event.property_value("SEQUENCE")),
        (Some(icalendar::EventStatus::Cancelled), Some("2"))
    );
}

#[test]
fn a_customer_moves_and_cancels_under_the_no_overbooking_rule() {
    let (r, slot) = book("manage-spa", 10, 50, 2);
    let manage = r["manageUrl"].as_str().unwrap().to_string();
    let before = places_left(&base("manage-spa"), 10, &slot);
    // A slot without room for both places is refused, and nothing changes.
    let full = find_slot(&base("manage-spa"), 10, 1, 70);
    let left = full["available"].as_u64().unwrap();
    for _ in 0..left - 1 {
        let body = json!({"resourceTypeId": 10, "startTime": full["startTime"], "endTime": full["endTime"], "quantity": 1,
            "customerName": "Filler", "customerEmail": "fill@example.com", "customerPhone": "+36301112222"});
        assert_eq!(
            http::post_json(&format!("{}/reserve", base("manage-spa")), &body).status,
            201
        );
    }
    let refused = http::post_json(
        &format!("{manage}/reschedule"),
        &json!({"startTime": full["startTime"], "endTime": full["endTime"]}),
    );
    refused.error(409, "slot_unavailable");
    assert_eq!(
        places_left(&base("manage-spa"), 10, &slot),
        before,
        "still held where it was"
    );
    let bad = http::post_json(
        &format!("{manage}/reschedule"),
        &json!({"startTime": slot["endTime"], "endTime": slot["startTime"]}),
    );
    assert_eq!(bad.error(400, "validation_error")["param"], "endTime");

    let target = find_slot(&base("manage-spa"), 10, 2, 90);
    let target_before = target["available"].as_u64().unwrap();
    let moved = http::post_json(
        &format!("{manage}/reschedule"),
        &json!({"startTime": target["startTime"], "endTime": target["endTime"]}),
    );
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.json()["booking"]["startTime"], target["startTime"]);
    assert_eq!(
        places_left(&base("manage-spa"), 10, &slot),
        before + 2,
        "the old places are free again"
    );
    assert_eq!(places_left(&base("manage-spa"), 10, &target), target_before - 2);

    let cancelled = http::post_json(&format!("{manage}/cancel"), &json!({}));
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.json()["booking"]["status"], "cancelled");
    assert_eq!(cancelled.json()["canCancel"], false);
    assert_eq!(places_left(&base("manage-spa"), 10, &target), target_before);
    http::post_json(&format!("{manage}/cancel"), &json!({})).error(409, "already_cancelled");
    http::post_json(
        &format!("{manage}/reschedule"),
        &json!({"startTime": target["startTime"], "endTime": target["endTime"]}),
    )
    .error(409, "already_cancelled");
}

#[test]
fn inside_the_notice_it_is_too_late_to_change() {
    // strict-spa allows changes until 30 days before; every bookable slot here is sooner.
    let (r, _) = book("strict-spa", 10, 0, 1);
    let manage = r["manageUrl"].as_str().unwrap().to_string();
    let m = get_json(&manage).json();
    assert_eq!(
        (m["canCancel"].as_bool(), m["canReschedule"].as_bool()),
        (Some(false), Some(false))
    );
    let e = http::post_json(&format!("{manage}/cancel"), &json!({})).error(409, "too_late_to_change");
    assert!(e["message"].as_str().unwrap().contains("720 hours"));
    // Moving it is refused the same way, to a time that is free.
    let target = find_slot(&base("strict-spa"), 10, 1, 5);
    let e = http::post_json(
        &format!("{manage}/reschedule"),
        &json!({"startTime": target["startTime"], "endTime": target["endTime"]}),
    )
    .error(409, "too_late_to_change");
    assert!(e["message"].as_str().unwrap().contains("720 hours"), "{e}");
    let kept = get_json(&manage).json();
    assert_eq!(
        (
            kept["booking"]["status"].as_str(),
            kept["booking"]["startTime"].as_str()
        ),
        (Some("confirmed"), r["startTime"].as_str()),
        "nothing changed"
    );
    // The plain page says why there is nothing to press.
    let page = http::send("GET", &manage, None, &[("Accept", "text/html")]).unwrap();
    assert!(
        page.body.contains("It is too late to change this booking online")
            && !page.body.contains("Cancel this booking"),
        "{}",
        page.body
    );
    let de = http::send(
        "GET",
        &manage,
        None,
        &[("Accept", "text/html"), ("Accept-Language", "de-AT, en;q=0.5")],
    )
    .unwrap();
    assert!(
        de.body.contains("Diese Buchung kann online nicht mehr geändert werden"),
        "{}",
        de.body
    );
    // The setting is checked on import.
    let mut doc = document_for("strict-spa");
    doc["cancellationNoticeHours"] = json!(721);
    let refused = edge().import("strict-spa", &doc);
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["error"]["param"], "cancellationNoticeHours");
}

#[test]
fn the_link_opened_in_a_browser_is_a_plain_page_that_cancels() {
    let (r, _) = book("manage-spa", 10, 20, 1);
    let manage = r["manageUrl"].as_str().unwrap().to_string();
    let page = http::send(
        "GET",
        &manage,
        None,
        &[("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
    )
    .unwrap();
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    for text in [
        "Acme Spa",
        "Sauna session",
        "Europe/Budapest",
        "Fő utca 1",
        "Cancel this booking",
        "calendar.ics",
        "Move to another time",
    ] {
        assert!(page.body.contains(text), "{text} on the page");
    }
    assert_eq!(
        page.header("referrer-policy"),
        Some("no-referrer"),
        "the token does not leak to other sites"
    );
    let day = r["booking"]["startTime"].as_str().unwrap()[..10].to_string();
    // In the customer's language, from their browser's preferences.
    let hu = http::send(
        "GET",
        &manage,
        None,
        &[("Accept", "text/html"), ("Accept-Language", "hu-HU,hu;q=0.9,en;q=0.8")],
    )
    .unwrap();
    for text in [
        r#"<html lang="hu">"#,
        "Foglalás lemondása",
        "Áthelyezés másik időpontra",
        "Foglalási szám",
        "Sauna session",
    ] {
        assert!(hu.body.contains(text), "{text} on the Hungarian page");
    }
    assert!(!hu.body.contains("Cancel this booking"));
    let times = http::send("GET", &format!("{manage}?date={day}"), None, &[("Accept", "text/html")]).unwrap();
    assert!(times.body.contains("/reschedule"), "the day's free times to move to");
    let done = http::send(
        "POST",
        &format!("{manage}/cancel"),
        Some(""),
        &[("Content-Type", "application/x-www-form-urlencoded")],
    )
    .unwrap();
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.header("location"),
        Some(format!("{manage}?notice=cancelled").as_str())
    );
    let after = http::send(
        "GET",
        &format!("{manage}?notice=cancelled"),
        None,
        &[("Accept", "text/html")],
    )
    .unwrap();
    assert!(
        after
            .body
            .contains(r#"<p class="notice done" role="status">Your booking is cancelled."#)
            && !after.body.contains("Cancel this booking"),
        "{}",
        after.body
    );
    assert!(
        !after.body.contains("too late"),
        "a cancelled booking is not 'too late to change': {}",
        after.body
    );
}

#[test]
fn checkout_status_carries_the_booking_too() {
    let slot = find_slot(&base("manage-spa"), 8, 1, 0);
    let body = json!({"resourceTypeId": 8, "startTime": slot["startTime"], "endTime": slot["endTime"], "quantity": 1,
        "customerName": "Pia", "customerEmail": "pia@example.com", "customerPhone": "+36301112222"});
    let r = http::post_json(&format!("{}/reserve", base("manage-spa")), &body).json();
    assert_eq!(r["booking"]["service"], "Deep tissue massage");
    assert_eq!(
        r["booking"]["resources"].as_array().map(|a| a.len()),
        Some(1),
        "the room, as the customer may choose one"
    );
    let session = r["stripeCheckoutSessionId"].as_str().unwrap();
    let s = http::get(&format!("{}/checkout-status?sessionId={session}", base("manage-spa")))
        .unwrap()
        .json();
    assert_eq!(s["booking"]["amount"], 6500);
    assert_eq!(s["booking"]["paymentStatus"], "pending");
}

#[test]
fn the_rules_of_moving_a_booking() {
    // In UTC, so that a week earlier or later is the same time of day whatever the season.
    let mut doc = document_for("move-spa");
    doc["timeZone"] = json!("UTC");
    doc["bookingWindowDays"] = json!(3);
    doc["cancellationNoticeHours"] = json!(0);
    doc["closedDates"] = json!([]);
    assert_eq!(edge().import("move-spa", &doc).status, 200);
    let shifted = |slot: &Value, minutes: i64| {
        let at = |k: &str| Timestamp::parse(slot[k].as_str().unwrap()).unwrap().0 + minutes * 60;
        json!({"startTime": Timestamp(at("startTime")).to_string(), "endTime": Timestamp(at("endTime")).to_string()})
    };
    let move_to = |manage: &str, target: &Value| http::post_json(&format!("{manage}/reschedule"), target);

    // A massage in the room the customer chose, still waiting for its payment: it cannot be moved yet.
    let massages = find_slot(&base("move-spa"), 8, 1, 0);
    let body = json!({"resourceTypeId": 8, "resourceId": 22, "startTime": massages["startTime"], "endTime": massages["endTime"],
        "quantity": 1, "customerName": "Mo Ver", "customerEmail": "mo@example.com", "customerPhone": "+36301112222"});
    let r = http::post_json(&format!("{}/reserve", base("move-spa")), &body).json();
    let manage = r["manageUrl"].as_str().unwrap().to_string();
    let later = shifted(&massages, 60);
    move_to(&manage, &later).error(409, "invalid_transition");
    let session = r["paymentData"]["stripeCheckoutSessionId"].as_str().unwrap();
    let paid = http::send(
        "POST",
        &edge().url(&format!("/api/test-checkout/{session}/complete")),
        Some("outcome=pay"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
    )
    .unwrap();
    assert_eq!(paid.status, 303, "{}", paid.body);
    // Paid: it moves, and keeps the chosen room.
    let rooms = r["booking"]["resources"].clone();
    assert_eq!(rooms.as_array().map(Vec::len), Some(1), "{r}");
    let moved = move_to(&manage, &later);
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.json()["booking"]["resources"], rooms, "the chosen room is kept");
    // Not into the past, not beyond the booking window.
    let past = shifted(&massages, -7 * 24 * 60);
    assert!(move_to(&manage, &past).error(409, "slot_unavailable")["message"].is_string());
    move_to(&manage, &shifted(&massages, 7 * 24 * 60)).error(409, "slot_unavailable");

    // A sauna booking moved half an hour on overlaps its own slot: its own places do not count against it.
    let sauna = find_slot(&base("move-spa"), 10, 8, 0);
    let r = http::post_json(
        &format!("{}/reserve", base("move-spa")),
        &json!({"resourceTypeId": 10, "startTime": sauna["startTime"], "endTime": sauna["endTime"], "quantity": 4,
            "customerName": "Sam Sauna", "customerEmail": "sam@example.com", "customerPhone": "+36301112222"}),
    )
    .json();
    let fill = json!({"resourceTypeId": 10, "startTime": sauna["startTime"], "endTime": sauna["endTime"], "quantity": 4,
        "customerName": "Filler", "customerEmail": "fill@example.com", "customerPhone": "+36301112222"});
    assert_eq!(
        http::post_json(&format!("{}/reserve", base("move-spa")), &fill).status,
        201
    );
    let half_past = shifted(&sauna, 30);
    let manage = r["manageUrl"].as_str().unwrap().to_string();
    // The plain page's form posts the move; the customer lands back on the page, told it moved.
    let form = format!(
        "startTime={}&endTime={}",
        half_past["startTime"].as_str().unwrap().replace(':', "%3A"),
        half_past["endTime"].as_str().unwrap().replace(':', "%3A")
    );
    let posted = http::send(
        "POST",
        &format!("{manage}/reschedule"),
        Some(&form),
        &[("Content-Type", "application/x-www-form-urlencoded")],
    )
    .unwrap();
    assert_eq!(posted.status, 303, "{}", posted.body);
    assert_eq!(
        posted.header("location"),
        Some(format!("{manage}?notice=moved").as_str())
    );
    let now_at = get_json(&manage).json();
    assert_eq!(now_at["booking"]["startTime"], half_past["startTime"], "{now_at}");
    // Every place of the overlap is taken now: nobody else fits there.
    let one_more = json!({"resourceTypeId": 10, "startTime": half_past["startTime"], "endTime": half_past["endTime"], "quantity": 1,
        "customerName": "Late", "customerEmail": "late@example.com", "customerPhone": "+36301112222"});
    http::post_json(&format!("{}/reserve", base("move-spa")), &one_more).error(409, "slot_unavailable");
}
