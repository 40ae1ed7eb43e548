//! A customer's manage link, `/api/public/booking/manage/:token`: JSON for the widget's manage view, a plain
//! page for a customer who opens the link from an email (the same URL, asked for as HTML), the calendar
//! file, and the cancel and reschedule actions (JSON, or form posts from the plain page, which go back to
//! it). The engine keeps only the token's digest.

use crate::engine::{self, Command, ManageAction, ORGANISATIONS};
use crate::http::{internal, json_body, raw_json, read_body};
use crate::incoming::Incoming;
use crate::manage_page;
use slotbook_core::digest::sha256_hex;
use slotbook_core::error::{ApiError, ApiResult};
use slotbook_core::lang::Lang;
use slotbook_core::request_url::{form_pairs, RequestUrl};
use slotbook_core::reservation::manage_token_organisation;
use slotbook_core::route::{ManageCall, BODY_LIMIT};
use slotbook_core::validate::{self, AvailabilityQuery, Query};
use slotbook_core::wire::{Availability, ManagedBooking};
use worker::{Env, Headers, Response};

/// The organisation a manage token belongs to; 404 for a token of no known form.
pub fn organisation(token: &str) -> ApiResult<&str> {
    manage_token_organisation(token).ok_or_else(|| ApiError::not_found("Booking"))
}

pub async fn handle(
    mut req: Incoming,
    env: &Env,
    token: &str,
    call: ManageCall,
    url: &RequestUrl,
    self_origin: &str,
) -> ApiResult<Response> {
    let slug = organisation(token)?.to_string();
    let manage_url = format!("{self_origin}/api/public/booking/manage/{token}");
    let form = req
        .header("Content-Type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let action = match call {
        ManageCall::View => ManageAction::View,
        ManageCall::Calendar => ManageAction::Calendar,
        ManageCall::Cancel => {
            read_body(&mut req, BODY_LIMIT).await?;
            ManageAction::Cancel
        }
        ManageCall::Reschedule if form => {
            let text = String::from_utf8(read_body(&mut req, BODY_LIMIT).await?).unwrap_or_default();
            let fields: serde_json::Map<String, serde_json::Value> = form_pairs(&text)
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect();
            let (start_time, end_time) = validate::reschedule_request(&serde_json::Value::Object(fields))?;
            ManageAction::Reschedule { start_time, end_time }
        }
        ManageCall::Reschedule => {
            let (start_time, end_time) = validate::reschedule_request(&json_body(&mut req, BODY_LIMIT).await?.1)?;
            ManageAction::Reschedule { start_time, end_time }
        }
        ManageCall::Pay => ManageAction::Pay {
            choice: slotbook_core::bardge::Choice::read(&json_body(&mut req, BODY_LIMIT).await?.1)?,
        },
    };
    let command = Command::Manage {
        token_hash: sha256_hex(token.as_bytes()),
        action,
        manage_url: manage_url.clone(),
    };
    match call {
        ManageCall::Calendar => {
            let answer: serde_json::Value = engine::call_json(env, ORGANISATIONS, &slug, &command).await?;
            let headers = Headers::new();
            let _ = headers.set("Content-Type", "text/calendar; charset=utf-8");
            let _ = headers.set(
                "Content-Disposition",
                &format!("attachment; filename=\"booking-{}.ics\"", answer["reservationId"]),
            );
            let _ = headers.set("Cache-Control", "no-store");
            Ok(Response::ok(answer["ics"].as_str().unwrap_or_default())
                .map_err(|e| internal("calendar", e))?
                .with_headers(headers))
        }
        // The plain page's forms: back to the page, which says how it went.
        ManageCall::Cancel | ManageCall::Reschedule if form => {
            let done = engine::call(env, ORGANISATIONS, &slug, &command).await;
            let notice = match done {
                Ok(_) => {
                    if call == ManageCall::Cancel {
                        "cancelled".to_string()
                    } else {
                        "moved".to_string()
                    }
                }
                Err(e) if e.status() >= 500 => return Err(e),
                Err(e) => serde_json::to_value(e.code)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
            };
            let headers = Headers::new();
            let _ = headers.set("Location", &format!("{manage_url}?notice={notice}"));
            Ok(Response::empty()
                .map_err(|e| internal("redirect", e))?
                .with_status(303)
                .with_headers(headers))
        }
        ManageCall::View if wants_html(&req) => {
            let booking: ManagedBooking = engine::call_json(env, ORGANISATIONS, &slug, &command).await?;
            let pairs = url.query_pairs();
            let query = Query::new(&pairs);
            // The page's day picker may submit an empty date: then no day is shown.
            let day = match query.get("date").filter(|d| !d.is_empty()) {
                Some(_) if booking.can_reschedule => {
                    let date = validate::availability_query(&query, false)?.date;
                    let q = AvailabilityQuery {
                        date,
                        resource_type_id: Some(booking.resource_type_id),
                        resource_id: None,
                    };
                    let a: Availability = engine::call_json(
                        env,
                        ORGANISATIONS,
                        &slug,
                        &Command::Availability { query: q, scope: None },
                    )
                    .await?;
                    Some(a)
                }
                _ => None,
            };
            let lang = req
                .header("Accept-Language")
                .and_then(|h| Lang::from_accept_language(&h))
                .unwrap_or(Lang::En);
            manage_page::render(
                &booking,
                lang,
                &manage_url,
                query.get("notice").filter(|n| !n.is_empty()),
                day.as_ref(),
            )
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
