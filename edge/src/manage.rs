//! A customer's manage link, `/api/public/booking/manage/:token`: JSON for the widget's manage view, a plain
//! page for a customer who opens the link from an email (the same URL, asked for as HTML), the calendar
//! file, and the cancel and reschedule actions (JSON, or form posts from the plain page, which go back to
//! it). The engine keeps only the token's digest.

use crate::engine::{self, Command, ManageAction, ORGANISATIONS};
use crate::html::{escape, money, page};
use crate::http::{internal, json_body, raw_json, read_body};
use slotbook_core::availability::Zone;
use slotbook_core::digest::sha256_hex;
use slotbook_core::request_url::{form_pairs, RequestUrl};
use slotbook_core::error::{ApiError, ApiResult};
use slotbook_core::reservation::{manage_token_organisation, ReservationStatus};
use slotbook_core::route::{ManageCall, BODY_LIMIT};
use slotbook_core::validate::{self, AvailabilityQuery, Query};
use slotbook_core::wire::{Availability, ManagedBooking};
use crate::incoming::Incoming;
use worker::{Env, Headers, Response};

/// The organisation a manage token belongs to; 404 for a token of no known form.
pub fn organisation(token: &str) -> ApiResult<&str> {
    manage_token_organisation(token).ok_or_else(|| ApiError::not_found("Booking"))
}

pub async fn handle(mut req: Incoming, env: &Env, token: &str, call: ManageCall, url: &RequestUrl, self_origin: &str) -> ApiResult<Response> {
    let slug = organisation(token)?.to_string();
    let manage_url = format!("{self_origin}/api/public/booking/manage/{token}");
    let form = req.header("Content-Type").is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let action = match call {
        ManageCall::View => ManageAction::View,
        ManageCall::Calendar => ManageAction::Calendar,
        ManageCall::Cancel => {
            read_body(&mut req, BODY_LIMIT).await?;
            ManageAction::Cancel
        }
        ManageCall::Reschedule if form => {
            let text = String::from_utf8(read_body(&mut req, BODY_LIMIT).await?).unwrap_or_default();
            let fields: serde_json::Map<String, serde_json::Value> =
                form_pairs(&text).into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
            let (start_time, end_time) = validate::reschedule_request(&serde_json::Value::Object(fields))?;
            ManageAction::Reschedule { start_time, end_time }
        }
        ManageCall::Reschedule => {
            let (start_time, end_time) = validate::reschedule_request(&json_body(&mut req, BODY_LIMIT).await?.1)?;
            ManageAction::Reschedule { start_time, end_time }
        }
    };
    let command = Command::Manage { token_hash: sha256_hex(token.as_bytes()), action, manage_url: manage_url.clone() };
    match call {
        ManageCall::Calendar => {
            let answer: serde_json::Value = engine::call_json(env, ORGANISATIONS, &slug, &command).await?;
            let headers = Headers::new();
            let _ = headers.set("Content-Type", "text/calendar; charset=utf-8");
            let _ = headers.set("Content-Disposition", &format!("attachment; filename=\"booking-{}.ics\"", answer["reservationId"]));
            let _ = headers.set("Cache-Control", "no-store");
            Ok(Response::ok(answer["ics"].as_str().unwrap_or_default()).map_err(|e| internal("calendar", e))?.with_headers(headers))
        }
        // The plain page's forms: back to the page, which says how it went.
        ManageCall::Cancel | ManageCall::Reschedule if form => {
            let done = engine::call(env, ORGANISATIONS, &slug, &command).await;
            let notice = match done {
                Ok(_) => if call == ManageCall::Cancel { "cancelled".to_string() } else { "moved".to_string() },
                Err(e) if e.status() >= 500 => return Err(e),
                Err(e) => serde_json::to_value(e.code).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            };
            let headers = Headers::new();
            let _ = headers.set("Location", &format!("{manage_url}?notice={notice}"));
            Ok(Response::empty().map_err(|e| internal("redirect", e))?.with_status(303).with_headers(headers))
        }
        ManageCall::View if wants_html(&req) => {
            let booking: ManagedBooking = engine::call_json(env, ORGANISATIONS, &slug, &command).await?;
            let pairs = url.query_pairs();
            let query = Query::new(&pairs);
            let day = match query.get("date") {
                Some(_) if booking.can_reschedule => {
                    let date = validate::availability_query(&query, false)?.date;
                    let q = AvailabilityQuery { date, resource_type_id: Some(booking.resource_type_id), resource_id: None };
                    let a: Availability = engine::call_json(env, ORGANISATIONS, &slug, &Command::Availability { query: q, scope: None }).await?;
                    Some(a)
                }
                _ => None,
            };
            render(&booking, &manage_url, query.get("notice"), day.as_ref())
        }
        _ => {
            let answer = engine::call(env, ORGANISATIONS, &slug, &command).await?;
            raw_json(answer.status, answer.body)
        }
    }
}

/// A browser that follows the link asks for HTML first; the widget asks for JSON.
fn wants_html(req: &Incoming) -> bool {
    let accept = req.header("Accept").unwrap_or_default();
    let html = accept.find("text/html");
    let json = accept.find("application/json");
    matches!((html, json), (Some(h), j) if j.is_none_or(|j| h < j))
}

/// What the page says after one of its forms: the notice's name, whether it is good news, the text.
const NOTICES: &[(&str, bool, &str)] = &[
    ("cancelled", true, "Your booking is cancelled. If you paid for it, the payment is on its way back to you."),
    ("moved", true, "Your booking has moved to its new time."),
    ("too_late_to_change", false, TOO_LATE),
    ("slot_unavailable", false, "That time was just taken. Please choose another."),
    ("already_cancelled", false, "This booking was already cancelled."),
];

const TOO_LATE: &str = "It is too late to change this booking online. Please contact the venue.";

fn render(b: &ManagedBooking, manage_url: &str, notice: Option<&str>, day: Option<&Availability>) -> ApiResult<Response> {
    let s = &b.booking;
    let zone = Zone::named(&s.time_zone);
    let when = |t| zone.as_ref().map_or_else(|| format!("{t}"), |z| z.wall_clock(t));
    let status = match s.status {
        ReservationStatus::Cancelled | ReservationStatus::Failed => "Cancelled",
        ReservationStatus::PendingPayment => "Waiting for payment",
        _ => "Confirmed",
    };
    let mut body = format!("<h1>{}</h1>", escape(&s.organisation));
    if let Some((_, good, text)) = notice.and_then(|n| NOTICES.iter().find(|(k, _, _)| *k == n)) {
        let class = if *good { "notice done" } else { "notice" };
        body.push_str(&format!(r#"<p class="{class}" role="status">{}</p>"#, escape(text)));
    }
    body.push_str("<dl>");
    let mut row = |k: &str, v: String| body.push_str(&format!("<dt>{}</dt><dd>{}</dd>", escape(k), escape(&v)));
    row("Booking", s.service.clone());
    if !s.resources.is_empty() {
        row("Where", s.resources.join(", "));
    }
    row("When", format!("{} – {} ({})", when(s.start_time), when(s.end_time).split(' ').nth(1).unwrap_or_default(), s.time_zone));
    row("Duration", format!("{} min", s.duration_minutes));
    row("Places", s.quantity.to_string());
    if s.amount > 0 {
        let paid = match s.payment_status {
            slotbook_core::reservation::PaymentStatus::Succeeded => " (payment received)",
            slotbook_core::reservation::PaymentStatus::Refunded => " (refunded)",
            _ => "",
        };
        row("Amount", format!("{}{paid}", money(s.amount, &s.currency)));
    }
    if let Some(a) = &s.address {
        row("Address", a.clone());
    }
    row("Status", status.to_string());
    row("Reference", s.reference.clone());
    body.push_str("</dl>");
    if s.status != ReservationStatus::Cancelled {
        body.push_str(&format!(
            r#"<p><a class="button" href="{ics}">Add to calendar (.ics)</a><a class="button" href="{google}" rel="noopener">Google Calendar</a></p>"#,
            ics = escape(&b.calendar_url),
            google = escape(&b.google_calendar_url),
        ));
    }
    if b.can_cancel || b.can_reschedule {
        body.push_str(&format!("<p>You can change this booking online until {} ({}).</p>", escape(&when(b.change_deadline)), escape(&s.time_zone)));
    } else if !matches!(s.status, ReservationStatus::Cancelled | ReservationStatus::Failed) && notice != Some("too_late_to_change") {
        body.push_str(&format!("<p>{TOO_LATE}</p>"));
    }
    if b.can_reschedule {
        let value = day.map(|d| d.date.to_string()).unwrap_or_default();
        body.push_str(&format!(
            r#"<h2>Move to another time</h2><form method="get" action="{manage_url}"><label for="date">Day</label> <input id="date" type="date" name="date" value="{value}" required> <button type="submit">Show times</button></form>"#,
            manage_url = escape(manage_url),
        ));
        if let Some(day) = day {
            let free: Vec<_> = day.slots.iter().filter(|slot| slot.available >= s.quantity && slot.start_time != s.start_time).collect();
            if free.is_empty() {
                body.push_str("<p>No free times that day.</p>");
            }
            body.push_str(r#"<div class="slots">"#);
            for slot in free {
                body.push_str(&format!(
                    r#"<form method="post" action="{manage_url}/reschedule"><input type="hidden" name="startTime" value="{start}"><input type="hidden" name="endTime" value="{end}"><button type="submit">{label}</button></form>"#,
                    manage_url = escape(manage_url),
                    start = slot.start_time,
                    end = slot.end_time,
                    label = escape(when(slot.start_time).split(' ').nth(1).unwrap_or_default()),
                ));
            }
            body.push_str("</div>");
        }
    }
    if b.can_cancel {
        body.push_str(&format!(
            r#"<h2>Cancel</h2><form method="post" action="{manage_url}/cancel"><button type="submit" class="primary">Cancel this booking</button></form>"#,
            manage_url = escape(manage_url),
        ));
    }
    page("en", &format!("{} – {}", s.service, s.organisation), &body)
}
