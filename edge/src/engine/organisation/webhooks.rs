//! Webhooks out (see `slotbook_core::webhook`): an event is queued in the same transaction as the change it
//! tells of, one delivery per configured endpoint, and delivered by the object's alarm, signed with the
//! endpoint's secret, retried with growing pauses until the endpoint answers 2xx or the attempts are spent.
//! Deliveries that ended are kept 30 days for staff to look up, then deleted.

use super::reservations::{by_id, with_allocations, ReservationRecord};
use super::Organisation;
use crate::engine::sql::{exec, rows};
use crate::http::{fetch_within, Unanswered};
use crate::runtime::random_hex;
use serde::{Deserialize, Serialize};
use slotbook_core::error::ApiResult;
use slotbook_core::time::Timestamp;
use slotbook_core::webhook::{
    retry_delay, sign, EventKind, EVENT_ID_HEADER, KEEP_ENDED_DELIVERIES_SECONDS, SIGNATURE_HEADER,
};
use std::time::Duration;
use worker::{Headers, Method, SqlStorage};

/// How long an endpoint has to answer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries sent per alarm; the rest wait for the next one, moments later.
const BATCH: i64 = 25;

/// Queues `kind` for the reservation (as `stored` now is) to every endpoint. Call inside the transaction
/// that makes the change, so the event exists exactly when the change does.
pub fn emit(sql: &SqlStorage, kind: EventKind, stored: &ReservationRecord, now: Timestamp) -> ApiResult<()> {
    #[derive(Deserialize)]
    struct Hook {
        url: String,
    }
    #[derive(Deserialize)]
    struct Org {
        slug: String,
    }
    let hooks = rows::<Hook>(sql, "SELECT url FROM webhooks ORDER BY position", vec![])?;
    if hooks.is_empty() {
        return Ok(());
    }
    let slug = rows::<Org>(sql, "SELECT slug FROM organisation WHERE id = 1", vec![])?
        .into_iter()
        .next()
        .map(|o| o.slug)
        .unwrap_or_default();
    let event_id = format!("evt_{}", random_hex(12));
    let body = serde_json::json!({
        "id": event_id, "object": "event", "type": kind.as_str(), "created": now.0, "organisation": slug,
        "data": {"reservation": stored.reservation},
    })
    .to_string();
    for hook in hooks {
        exec(
            sql,
            "INSERT INTO webhook_deliveries (event_id, type, reservation_id, url, body, status, attempts, next_attempt_at, created_at)
             VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
            vec![event_id.clone().into(), kind.as_str().into(), stored.id.into(), hook.url.into(), body.clone().into(), now.0.into(), now.0.into()],
        )?;
    }
    Ok(())
}

/// Like [`emit`], reading the reservation as the transaction has left it.
pub fn emit_for(sql: &SqlStorage, kind: EventKind, id: i64, now: Timestamp) -> ApiResult<()> {
    match by_id(sql, id)? {
        Some(row) => emit(sql, kind, &with_allocations(sql, row)?, now),
        None => Ok(()),
    }
}

/// A delivery as the staff API lists it (no secret, no body).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub id: i64,
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub reservation_id: Option<i64>,
    pub url: String,
    /// `pending`, `delivered` or `failed` (attempts spent).
    pub status: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

impl Organisation {
    /// The most recent deliveries, newest first.
    pub(super) fn deliveries(&self) -> ApiResult<serde_json::Value> {
        #[derive(Deserialize)]
        struct Row {
            id: i64,
            event_id: String,
            r#type: String,
            reservation_id: Option<i64>,
            url: String,
            status: String,
            attempts: i64,
            last_status: Option<i64>,
            last_error: Option<String>,
            next_attempt_at: Option<i64>,
            created_at: i64,
            delivered_at: Option<i64>,
        }
        let found = rows::<Row>(&self.sql(),
            "SELECT id, event_id, type, reservation_id, url, status, attempts, last_status, last_error, next_attempt_at, created_at, delivered_at
             FROM webhook_deliveries ORDER BY id DESC LIMIT 100", vec![])?;
        let data: Vec<Delivery> = found
            .into_iter()
            .map(|r| Delivery {
                id: r.id,
                event_id: r.event_id,
                kind: r.r#type,
                reservation_id: r.reservation_id,
                url: r.url,
                status: r.status,
                attempts: r.attempts,
                last_status: r.last_status,
                last_error: r.last_error,
                next_attempt_at: r.next_attempt_at.map(Timestamp),
                created_at: Timestamp(r.created_at),
                delivered_at: r.delivered_at.map(Timestamp),
            })
            .collect();
        Ok(serde_json::json!({ "data": data }))
    }

    /// Sends the deliveries that are due.
    pub(super) async fn deliver_webhooks(&self, now: Timestamp) -> ApiResult<()> {
        #[derive(Deserialize)]
        struct Due {
            id: i64,
            event_id: String,
            url: String,
            body: String,
            attempts: i64,
        }
        #[derive(Deserialize)]
        struct Secret {
            secret: String,
        }
        let sql = self.sql();
        let keep = crate::runtime::test_seconds(&self.env, "WEBHOOK_KEEP_SECONDS");
        exec(
            &sql,
            "DELETE FROM webhook_deliveries WHERE status != 'pending' AND created_at <= ?",
            vec![(now.0 - keep.unwrap_or(KEEP_ENDED_DELIVERIES_SECONDS)).into()],
        )?;
        let due = rows::<Due>(&sql,
            "SELECT id, event_id, url, body, attempts FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
            vec![now.0.into(), BATCH.into()])?;
        for d in due {
            let secret = rows::<Secret>(
                &sql,
                "SELECT secret FROM webhooks WHERE url = ? ORDER BY position LIMIT 1",
                vec![d.url.clone().into()],
            )?
            .into_iter()
            .next();
            let Some(secret) = secret else {
                exec(&sql, "UPDATE webhook_deliveries SET status = 'failed', last_error = 'the endpoint was removed', next_attempt_at = NULL WHERE id = ?", vec![d.id.into()])?;
                continue;
            };
            let outcome = send(&d.url, &d.event_id, &d.body, &secret.secret, now).await;
            let attempts = d.attempts + 1;
            match outcome {
                Ok(status) if (200..300).contains(&status) => exec(&sql,
                    "UPDATE webhook_deliveries SET status = 'delivered', attempts = ?, last_status = ?, last_error = NULL, next_attempt_at = NULL, delivered_at = ? WHERE id = ?",
                    vec![attempts.into(), (status as i64).into(), now.0.into(), d.id.into()])?,
                outcome => {
                    let (status, error) = match outcome {
                        Ok(status) => (Some(status as i64), format!("answered {status}")),
                        Err(e) => (None, e),
                    };
                    let next = self.retry_after(attempts as u32).map(|pause| now.0 + pause);
                    exec(&sql,
                        "UPDATE webhook_deliveries SET status = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ? WHERE id = ?",
                        vec![if next.is_some() { "pending" } else { "failed" }.into(), attempts.into(), status.into(), error.into(), next.into(), d.id.into()])?;
                }
            }
        }
        Ok(())
    }

    /// The pause before the next attempt; WEBHOOK_RETRY_SECONDS (testing only, never with a live key)
    /// replaces each pause, not the number of attempts.
    fn retry_after(&self, failed_attempts: u32) -> Option<i64> {
        let pause = retry_delay(failed_attempts)?;
        let fixed = crate::runtime::test_seconds(&self.env, "WEBHOOK_RETRY_SECONDS");
        Some(fixed.unwrap_or(pause))
    }
}

/// One attempt: the HTTP status the endpoint answered, or why there was none.
async fn send(url: &str, event_id: &str, body: &str, secret: &str, now: Timestamp) -> Result<u16, String> {
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json");
    let _ = headers.set("User-Agent", "Slotbook-Webhooks/1");
    let _ = headers.set(SIGNATURE_HEADER, &sign(body.as_bytes(), secret, now.0));
    let _ = headers.set(EVENT_ID_HEADER, event_id);
    // A redirect is not followed: it would send the signed body, with the customer's contact details, to a
    // URL the venue never registered. A 3xx counts as a failed attempt, as any other non-2xx.
    let request = crate::http::outgoing(url, Method::Post, &headers, Some(body.into()), false);
    match fetch_within(request, DELIVERY_TIMEOUT).await {
        Ok(response) => Ok(response.status_code()),
        Err(Unanswered::Unreachable(e)) => Err(format!("not reached: {e}")),
        Err(Unanswered::TimedOut) => Err("no answer within 10 s".into()),
    }
}
