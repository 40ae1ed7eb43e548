//! One organisation's booking engine: a Durable Object (named by the organisation's slug) with SQLite
//! storage. Everything that must be consistent for an organisation happens here, one request at a time:
//! checking places and allocating them is one synchronous step, so concurrent reserves never overbook.

use super::sql::{exec, exists, flag, last_insert_id, migrate, rows, transaction, Params};
use super::{Command, IdempotencyKey, Scope, Settings};
use slotbook_core::idempotency::{self, Decision, StoredKey};
use slotbook_core::ratelimit;
use crate::http::{error_response, internal, json};
use crate::runtime::{now, random_hex};
use crate::stripe::Stripe;
use slotbook_core::stripe::{local_session_id, local_session_organisation, transition, with_session_param, CheckoutRequest};
use serde::Deserialize;
use slotbook_core::availability::{allocate, places_left, Booked, OpeningHours, ResourceCapacity, Zone};
use slotbook_core::digest::sha256_hex;
use slotbook_core::document::{ApiKeyDoc, OpeningHoursDoc, OrganisationDocument, ResourceDoc, ResourceTypeDoc};
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use slotbook_core::reservation::{PaymentStatus, ReservationStatus};
use slotbook_core::time::{Date, Timestamp};
use slotbook_core::validate::{origin_of, AvailabilityQuery};
use slotbook_core::wire::{
    Availability, Branding, CheckoutStatus, CustomerInfo, PaymentData, Reservation, ReservationChanges,
    ReservationFilter, ReservationList, ReserveRequest, ReserveResponse,
};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State};

const MIGRATIONS: &[&str] = &["
    CREATE TABLE organisation (
        id INTEGER PRIMARY KEY CHECK (id = 1), slug TEXT NOT NULL, name TEXT NOT NULL, time_zone TEXT NOT NULL,
        currency TEXT NOT NULL, locale TEXT NOT NULL, logo_url TEXT, brand_color TEXT,
        allowed_origins TEXT NOT NULL, accepts_payments INTEGER NOT NULL, booking_window_days INTEGER NOT NULL,
        hold_minutes INTEGER NOT NULL, updated_at INTEGER NOT NULL);
    CREATE TABLE resource_types (
        id INTEGER PRIMARY KEY, position INTEGER NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,
        duration_minutes INTEGER NOT NULL, slot_interval_minutes INTEGER NOT NULL, max_quantity INTEGER NOT NULL,
        unit_amount INTEGER NOT NULL, requires_payment INTEGER NOT NULL, allow_resource_choice INTEGER NOT NULL);
    CREATE TABLE resources (
        id INTEGER PRIMARY KEY, resource_type_id INTEGER NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL,
        capacity INTEGER NOT NULL, public_token_hash TEXT);
    CREATE TABLE opening_hours (
        resource_type_id INTEGER NOT NULL, weekday INTEGER NOT NULL, opens INTEGER NOT NULL, closes INTEGER NOT NULL);
    CREATE TABLE closed_dates (date TEXT PRIMARY KEY);
    CREATE TABLE api_keys (key_hash TEXT PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE reservations (
        id INTEGER PRIMARY KEY AUTOINCREMENT, resource_type_id INTEGER NOT NULL,
        start_time INTEGER NOT NULL, end_time INTEGER NOT NULL, quantity INTEGER NOT NULL,
        status TEXT NOT NULL, payment_status TEXT NOT NULL,
        customer_name TEXT, customer_email TEXT, customer_phone TEXT, notes TEXT,
        quoted_unit_amount INTEGER NOT NULL, quoted_total_amount INTEGER NOT NULL, quoted_currency TEXT NOT NULL,
        payment_required_snapshot INTEGER NOT NULL, hold_expires_at INTEGER,
        stripe_session_id TEXT UNIQUE, checkout_url TEXT, return_url TEXT,
        source TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
    CREATE INDEX reservations_by_start ON reservations (start_time);
    CREATE TABLE allocations (
        reservation_id INTEGER NOT NULL REFERENCES reservations (id) ON DELETE CASCADE,
        resource_id INTEGER NOT NULL, quantity INTEGER NOT NULL,
        start_time INTEGER NOT NULL, end_time INTEGER NOT NULL,
        PRIMARY KEY (reservation_id, resource_id));
    CREATE INDEX allocations_by_time ON allocations (start_time, end_time)
", "
    CREATE TABLE stripe_events (id TEXT PRIMARY KEY, type TEXT NOT NULL, received_at INTEGER NOT NULL)
", "
    CREATE TABLE idempotency_keys (
        key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, finished INTEGER NOT NULL,
        status INTEGER, body TEXT, created_at INTEGER NOT NULL);
    CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)
", "
    CREATE TABLE reserve_windows (window_start INTEGER PRIMARY KEY, count INTEGER NOT NULL)
"];

/// How often a hold whose payment Stripe is still processing (delayed methods) is looked at again.
const DELAYED_PAYMENT_RECHECK_SECONDS: i64 = 24 * 3600;

/// Statuses whose allocations may hold places (pending_payment only until its hold expires).
const HOLDING: &str = "('pending', 'pending_payment', 'confirmed', 'completed')";

#[durable_object]
pub struct Organisation {
    state: State,
    env: Env,
    /// The catalog as stored, read once per object life and after each import.
    loaded: RefCell<Option<Rc<Loaded>>>,
}

struct Loaded {
    slug: String,
    doc: OrganisationDocument,
    zone: Zone,
    hours: HashMap<i64, Vec<OpeningHours>>,
}

impl DurableObject for Organisation {
    fn new(state: State, env: Env) -> Self {
        if let Err(e) = migrate(&state.storage().sql(), MIGRATIONS) {
            worker::console_error!("organisation migration failed: {e}");
        }
        Organisation { state, env, loaded: RefCell::new(None) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command = req.json::<Command>().await.map_err(|e| internal("decode command", e));
        let now = now();
        let answer = match command {
            Ok(c) => self.run(c, now).await,
            Err(e) => Err(e),
        };
        Ok(answer.unwrap_or_else(|e| error_response(&e, "")))
    }

    /// At a hold's end: release every expired payment hold (asking Stripe first), then wake for the next.
    async fn alarm(&self) -> Result<Response> {
        if let Err(e) = self.release_expired_holds(now()).await {
            worker::console_error!("releasing holds failed: {e}");
            let _ = self.state.storage().set_alarm(60_000i64).await; // an offset: try again in a minute
        }
        Response::ok("")
    }
}

impl Organisation {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    async fn run(&self, command: Command, now: Timestamp) -> ApiResult<Response> {
        match command {
            Command::Import { slug, document } => {
                transaction(&self.state.storage(), || store_document(&self.sql(), &slug, &document, now))?;
                self.loaded.replace(None);
                json(200, &serde_json::json!({"slug": slug, "resourceTypes": document.resource_types.len()}))
            }
            Command::Settings => {
                let loaded = self.load()?;
                json(200, &Settings { allowed_origins: loaded.doc.allowed_origins.clone() })
            }
            Command::Catalog { scope } => {
                let loaded = self.load()?;
                let today = loaded.zone.local_date(now);
                json(200, &loaded.doc.catalog(&loaded.slug, today, scope.map(|s| (s.resource_type_id, s.resource_id))))
            }
            Command::Availability { query, scope } => json(200, &self.availability(query, scope, now)?),
            Command::Reserve { request, scope, base_url, public_path, idempotency: None } => {
                json(201, &self.reserve(request, scope, &base_url, &public_path, now).await?)
            }
            Command::ClaimIdempotencyKey { key } => match self.claim_key(&key, now)? {
                Some(replay) => Ok(replay),
                None => Ok(Response::empty().map_err(|e| internal("claim", e))?.with_status(204)),
            },
            Command::FinishIdempotencyKey { key, answer } => {
                self.store_answer(&key, answer)?;
                Ok(Response::empty().map_err(|e| internal("finish", e))?.with_status(204))
            }
            Command::Reserve { request, scope, base_url, public_path, idempotency: Some(key) } => {
                if let Some(replay) = self.claim_key(&key, now)? {
                    return Ok(replay);
                }
                let result = self.reserve(request, scope, &base_url, &public_path, now).await;
                self.finish_key(&key.key, &result)?;
                json(201, &result?)
            }
            Command::CheckoutStatus { session_id, scope } => json(200, &self.checkout_status(&session_id, scope, now)?),
            Command::ListReservations { filter } => json(200, &self.list(&filter)?),
            Command::CreateReservation { changes } => json(201, &self.staff_create(changes, now)?),
            Command::GetReservation { id } => json(200, &self.reservation(id)?),
            Command::UpdateReservation { id, changes } => json(200, &self.staff_update(id, changes, now)?),
            Command::ApplyCheckoutEvent { event_id, kind, session_id, payment_status } => {
                json(200, &self.apply_checkout_event(&event_id, &kind, &session_id, payment_status.as_deref(), now)?)
            }
            Command::CheckoutSession { session_id, base_url } => json(200, &self.checkout_session(&session_id, &base_url)?),
            Command::DeleteReservation { id } => {
                self.reservation(id)?;
                exec(&self.sql(), "DELETE FROM reservations WHERE id = ?", vec![id.into()])?;
                json(200, &serde_json::json!({"id": id, "deleted": true}))
            }
        }
    }

    fn load(&self) -> ApiResult<Rc<Loaded>> {
        if let Some(l) = self.loaded.borrow().as_ref() {
            return Ok(l.clone());
        }
        let (slug, doc) = load_document(&self.sql())?.ok_or_else(super::not_found_organisation)?;
        let zone = Zone::named(&doc.time_zone).ok_or_else(|| internal("stored time zone", &doc.time_zone))?;
        let hours = doc.resource_types.iter().map(|rt| (rt.id, rt.weekly_hours())).collect();
        let loaded = Rc::new(Loaded { slug, doc, zone, hours });
        self.loaded.replace(Some(loaded.clone()));
        Ok(loaded)
    }

    fn availability(&self, query: AvailabilityQuery, scope: Option<Scope>, now: Timestamp) -> ApiResult<Availability> {
        let loaded = self.load()?;
        let type_id = scope.map(|s| s.resource_type_id).or(query.resource_type_id).ok_or_else(|| {
            ApiError::validation("resourceTypeId", "resourceTypeId is required")
        })?;
        let resource_id = scope.map(|s| s.resource_id).or(query.resource_id);
        let rt = resource_type(&loaded.doc, type_id)?;
        let resources = candidates(rt, resource_id.map(|r| vec![r]).as_deref())?;
        let today = loaded.zone.local_date(now);
        let in_window = query.date >= today && query.date < today.add_days(loaded.doc.booking_window_days as i64);
        let slots = if in_window {
            let hours = &loaded.hours[&rt.id];
            let schedule = rt.schedule(&loaded.zone, hours, &loaded.doc.closed_dates);
            let day_start = Timestamp(query.date.days() * 86_400 - 86_400);
            let booked = holding(&self.sql(), day_start, Timestamp(day_start.0 + 3 * 86_400), None, now)?;
            schedule.day(query.date, &resources, &booked, now)
        } else {
            Vec::new()
        };
        Ok(Availability { date: query.date, time_zone: loaded.doc.time_zone.clone(), resource_type_id: rt.id, resource_id, slots })
    }

    async fn reserve(&self, req: ReserveRequest, scope: Option<Scope>, base_url: &str, public_path: &str, now: Timestamp) -> ApiResult<ReserveResponse> {
        let loaded = self.load()?;
        let doc = &loaded.doc;
        self.count_reserve(now)?;
        let type_id = scope.map(|s| s.resource_type_id).or(req.resource_type_id).ok_or_else(|| {
            ApiError::validation("resourceTypeId", "resourceTypeId is required")
        })?;
        let rt = resource_type(doc, type_id)?;
        let only = scope.map(|s| s.resource_id).or(req.resource_id);
        if req.resource_id.is_some() && scope.is_some_and(|s| Some(s.resource_id) != req.resource_id) {
            return Err(ApiError::not_found("Resource"));
        }
        let resources = candidates(rt, only.map(|r| vec![r]).as_deref())?;
        if req.quantity > rt.max_quantity {
            return Err(ApiError {
                param: Some("quantity".into()),
                ..ApiError::new(ErrorCode::CapacityExceeded, format!("At most {} places can be booked at once", rt.max_quantity))
            });
        }
        if rt.requires_payment && !doc.accepts_payments {
            return Err(ApiError::new(ErrorCode::PaymentsUnavailable, "This service needs online payment, which the venue cannot take right now"));
        }
        if let Some(url) = &req.return_url {
            // The edge's own pages (the demo) may always receive customers back.
            let allowed = origin_of(url).is_some_and(|o| o == base_url || doc.allowed_origins.iter().any(|a| a.trim_end_matches('/') == o));
            if !allowed {
                return Err(ApiError::validation("returnUrl", "returnUrl must be on one of the organisation's allowed origins"));
            }
        }
        let hours = &loaded.hours[&rt.id];
        let schedule = rt.schedule(&loaded.zone, hours, &doc.closed_dates);
        let (start, end) = schedule
            .slot_at(req.start_time)
            .ok_or_else(|| ApiError::validation("startTime", "startTime is not the start of a slot of this service"))?;
        if end != req.end_time {
            return Err(ApiError::validation("endTime", format!("endTime must be {end} for a slot starting at {start}")));
        }
        let date = loaded.zone.local_date(start);
        let window_end = loaded.zone.local_date(now).add_days(doc.booking_window_days as i64);
        if start <= now || date >= window_end {
            return Err(ApiError::new(ErrorCode::SlotUnavailable, "This time can no longer be booked"));
        }
        let payment = rt.requires_payment;
        let hold_expires_at = payment.then(|| Timestamp(now.0 + self.hold_seconds(doc)));
        let new = NewReservation {
            resource_type_id: rt.id,
            start,
            end,
            quantity: req.quantity,
            status: if payment { ReservationStatus::PendingPayment } else { ReservationStatus::Confirmed },
            payment_status: if payment { PaymentStatus::Pending } else { PaymentStatus::NotRequired },
            customer: CustomerInfo {
                name: Some(req.customer_name.clone()),
                email: Some(req.customer_email.clone()),
                phone: Some(req.customer_phone.clone()),
            },
            notes: req.notes.clone(),
            unit_amount: rt.unit_amount,
            currency: doc.currency.clone(),
            payment_required: payment,
            hold_expires_at,
            return_url: req.return_url.clone(),
            source: if scope.is_some() { "public_token" } else { "public" },
        };
        let sql = self.sql();
        // Check and allocate with no await in between: nothing can interleave.
        let (id, allocated) = transaction(&self.state.storage(), || {
            let booked = holding(&sql, start, end, None, now)?;
            let left = places_left(&resources, &booked, start, end);
            let allocated = allocate(&left, req.quantity).ok_or_else(|| {
                ApiError::new(ErrorCode::SlotUnavailable, "Not enough places are left at this time")
            })?;
            let id = insert_reservation(&sql, &new, &allocated, now)?;
            Ok((id, allocated))
        })?;
        let mut answer = ReserveResponse {
            reservation_id: id,
            status: new.status,
            payment_status: new.payment_status,
            requires_payment: payment,
            resource_type_id: rt.id,
            resource_ids: allocated.iter().map(|(r, _)| *r).collect(),
            start_time: start,
            end_time: end,
            quantity: req.quantity,
            quoted_amount: rt.unit_amount * req.quantity as i64,
            quoted_currency: doc.currency.clone(),
            checkout_url: None,
            stripe_checkout_session_id: None,
            payment_data: None,
        };
        if let Some(expires_at) = hold_expires_at {
            // The places are held already; only now talk to Stripe (other requests may run meanwhile).
            let return_url = req.return_url.clone().unwrap_or_else(|| format!("{base_url}/"));
            let checkout = CheckoutRequest {
                organisation: &loaded.slug,
                reservation_id: id,
                product_name: &rt.name,
                currency: &doc.currency,
                unit_amount: rt.unit_amount,
                quantity: req.quantity,
                customer_email: &req.customer_email,
                return_url: &return_url,
                expires_at: expires_at.0,
            };
            let (session_id, checkout_url) = match Stripe::from_env(&self.env) {
                Some(stripe) => match stripe.create_checkout(&checkout).await {
                    Ok(session) => {
                        let url = session.url.clone().ok_or_else(|| internal("stripe session", "no url"))?;
                        (session.id, url)
                    }
                    Err(e) => {
                        // No session, no hold: give the places back at once.
                        exec(&sql, "UPDATE reservations SET status = ?, payment_status = ?, updated_at = ? WHERE id = ?",
                            vec![ReservationStatus::Cancelled.as_str().into(), PaymentStatus::Failed.as_str().into(), now.0.into(), id.into()])?;
                        return Err(e);
                    }
                },
                None => {
                    let session_id = local_session_id(&random_hex(12), &loaded.slug);
                    let url = format!("{base_url}/api/test-checkout/{session_id}");
                    (session_id, url)
                }
            };
            exec(
                &sql,
                "UPDATE reservations SET stripe_session_id = ?, checkout_url = ? WHERE id = ?",
                vec![session_id.clone().into(), checkout_url.clone().into(), id.into()],
            )?;
            self.wake_at(expires_at).await;
            answer.checkout_url = Some(checkout_url.clone());
            answer.stripe_checkout_session_id = Some(session_id.clone());
            answer.payment_data = Some(PaymentData {
                provider: "stripe".into(),
                mode: "checkout".into(),
                checkout_url,
                stripe_checkout_session_id: session_id.clone(),
                amount: answer.quoted_amount,
                currency: doc.currency.clone(),
                status: PaymentStatus::Pending,
                status_url: format!("{public_path}/checkout-status?sessionId={session_id}"),
                expires_at,
            });
        }
        Ok(answer)
    }

    fn checkout_status(&self, session_id: &str, scope: Option<Scope>, now: Timestamp) -> ApiResult<CheckoutStatus> {
        let row = by_session(&self.sql(), session_id)?.ok_or_else(|| ApiError::not_found("Checkout session"))?;
        let r = self.with_resources(row)?;
        if scope.is_some_and(|s| !r.resource_ids.contains(&s.resource_id)) {
            return Err(ApiError::not_found("Checkout session"));
        }
        let open = r.status == ReservationStatus::PendingPayment
            && r.payment_status == PaymentStatus::Pending
            && r.hold_expires_at.is_some_and(|t| t > now);
        Ok(CheckoutStatus {
            reservation_id: r.id,
            status: r.status,
            payment_status: r.payment_status,
            requires_payment: r.payment_required_snapshot,
            can_retry_payment: open,
            checkout_url: if open { r.checkout_url.clone() } else { None },
        })
    }

    /// Claims an Idempotency-Key for a reserve about to run, or returns the answer to give again.
    /// The check and the claim are one synchronous step, so two requests cannot both claim a key.
    fn claim_key(&self, key: &IdempotencyKey, now: Timestamp) -> ApiResult<Option<Response>> {
        #[derive(Deserialize)]
        struct Row {
            fingerprint: String,
            finished: i64,
            status: Option<i64>,
            body: Option<String>,
            created_at: i64,
        }
        let sql = self.sql();
        transaction(&self.state.storage(), || {
            exec(&sql, "DELETE FROM idempotency_keys WHERE created_at <= ?", vec![(now.0 - idempotency::KEEP_SECONDS).into()])?;
            let row = rows::<Row>(&sql, "SELECT fingerprint, finished, status, body, created_at FROM idempotency_keys WHERE key = ?", vec![key.key.clone().into()])?
                .into_iter()
                .next();
            let stored = row.as_ref().map(|r| StoredKey { fingerprint: r.fingerprint.clone(), finished: r.finished != 0, created_at: Timestamp(r.created_at) });
            match idempotency::decide(stored.as_ref(), &key.fingerprint, now)? {
                Decision::Replay => {
                    let row = row.expect("a replay has a stored answer");
                    let mut response = crate::http::raw_json(row.status.unwrap_or(200) as u16, row.body.unwrap_or_default())?;
                    let _ = response.headers_mut().set(super::REPLAYED_HEADER, "true");
                    Ok(Some(response))
                }
                Decision::Run => {
                    exec(&sql, "INSERT OR REPLACE INTO idempotency_keys (key, fingerprint, finished, created_at) VALUES (?, ?, 0, ?)",
                        vec![key.key.clone().into(), key.fingerprint.clone().into(), now.0.into()])?;
                    Ok(None)
                }
            }
        })
    }

    /// Remembers a reserve's answer under its key. A failure on our side (5xx) frees the key for a retry.
    fn finish_key(&self, key: &str, result: &ApiResult<ReserveResponse>) -> ApiResult<()> {
        let answer = match result {
            Ok(answer) => Some((201, serde_json::to_string(answer).map_err(|e| internal("store answer", e))?)),
            Err(e) => idempotency_answer(e),
        };
        self.store_answer(key, answer)
    }

    fn store_answer(&self, key: &str, answer: Option<(u16, String)>) -> ApiResult<()> {
        let sql = self.sql();
        match answer {
            Some((status, body)) => exec(&sql, "UPDATE idempotency_keys SET finished = 1, status = ?, body = ? WHERE key = ?",
                vec![(status as i64).into(), body.into(), key.into()]),
            None => exec(&sql, "DELETE FROM idempotency_keys WHERE key = ?", vec![key.into()]),
        }
    }

    /// Counts a reserve in this minute's window; over RESERVES_PER_ORGANISATION_PER_MINUTE it is refused.
    fn count_reserve(&self, now: Timestamp) -> ApiResult<()> {
        let Some(limit) = crate::runtime::setting(&self.env, "RESERVES_PER_ORGANISATION_PER_MINUTE").and_then(|v| v.parse::<i64>().ok()) else {
            return Ok(());
        };
        #[derive(Deserialize)]
        struct Count {
            count: i64,
        }
        let (window, retry_after) = ratelimit::minute_window(now);
        let sql = self.sql();
        exec(&sql, "DELETE FROM reserve_windows WHERE window_start < ?", vec![window.into()])?;
        exec(&sql, "INSERT INTO reserve_windows (window_start, count) VALUES (?, 1) ON CONFLICT (window_start) DO UPDATE SET count = count + 1", vec![window.into()])?;
        let count = rows::<Count>(&sql, "SELECT count FROM reserve_windows WHERE window_start = ?", vec![window.into()])?.first().map_or(0, |c| c.count);
        if count > limit {
            return Err(ratelimit::limited(retry_after));
        }
        Ok(())
    }

    /// How long payment holds last: the organisation's setting, unless HOLD_SECONDS_OVERRIDE is set (tests).
    fn hold_seconds(&self, doc: &OrganisationDocument) -> i64 {
        crate::runtime::setting(&self.env, "HOLD_SECONDS_OVERRIDE")
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|s| *s > 0)
            .unwrap_or(doc.hold_minutes as i64 * 60)
    }

    /// Makes sure the alarm fires by `at`.
    async fn wake_at(&self, at: Timestamp) {
        let storage = self.state.storage();
        let wanted = at.0 as f64 * 1000.0;
        let current = storage.get_alarm().await.ok().flatten();
        if current.is_none_or(|c| c as f64 > wanted) {
            let when = worker::ScheduledTime::new(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(wanted)));
            if let Err(e) = storage.set_alarm(when).await {
                worker::console_error!("set_alarm failed: {e}");
            }
        }
    }

    /// Ends every payment hold past its time: Stripe's session is expired first, and a session Stripe
    /// reports paid confirms the reservation instead. Then the alarm is set for the next hold.
    async fn release_expired_holds(&self, now: Timestamp) -> ApiResult<()> {
        #[derive(Deserialize)]
        struct Hold {
            id: i64,
            stripe_session_id: Option<String>,
        }
        let sql = self.sql();
        let due = rows::<Hold>(&sql, "SELECT id, stripe_session_id FROM reservations WHERE status = 'pending_payment' AND hold_expires_at <= ?", vec![now.0.into()])?;
        let stripe = Stripe::from_env(&self.env);
        for hold in due {
            let session = hold.stripe_session_id.unwrap_or_default();
            let session_now = match (&stripe, local_session_organisation(&session)) {
                (Some(stripe), None) if !session.is_empty() => match stripe.expire(&session).await {
                    Ok(s) => Some(s),
                    // Stripe refuses to expire a session that is no longer open: ask how it ended.
                    Err(_) => Some(stripe.retrieve(&session).await?),
                },
                _ => None,
            };
            match session_now {
                Some(s) if s.is_paid() => {
                    transaction(&self.state.storage(), || settle(&sql, hold.id, "checkout.session.completed", Some("paid"), now))?
                }
                // Completed with a delayed payment method, or still open: the result comes later (by webhook,
                // or at the next look), and the places stay held until then.
                Some(s) if s.status != "expired" => {
                    let processing = s.status == "complete";
                    let again = now.0 + if processing { DELAYED_PAYMENT_RECHECK_SECONDS } else { 60 };
                    transaction(&self.state.storage(), || {
                        if processing {
                            settle(&sql, hold.id, "checkout.session.completed", Some("unpaid"), now)?;
                        }
                        exec(&sql, "UPDATE reservations SET hold_expires_at = ? WHERE id = ? AND status = 'pending_payment'", vec![again.into(), hold.id.into()])
                    })?;
                }
                _ => transaction(&self.state.storage(), || settle(&sql, hold.id, "checkout.session.expired", Some("unpaid"), now))?,
            }
        }
        #[derive(Deserialize)]
        struct Next {
            next: Option<i64>,
        }
        let next = rows::<Next>(&sql, "SELECT MIN(hold_expires_at) AS next FROM reservations WHERE status = 'pending_payment'", vec![])?;
        if let Some(next) = next.first().and_then(|n| n.next) {
            self.wake_at(Timestamp(next.max(now.0 + 1))).await;
        }
        Ok(())
    }

    /// Applies a verified Stripe event once (by event id). Unknown sessions are acknowledged.
    fn apply_checkout_event(&self, event_id: &str, kind: &str, session_id: &str, payment_status: Option<&str>, now: Timestamp) -> ApiResult<serde_json::Value> {
        let sql = self.sql();
        transaction(&self.state.storage(), || {
            if exists(&sql, "SELECT 1 FROM stripe_events WHERE id = ?", vec![event_id.into()])? {
                return Ok(serde_json::json!({"received": true, "duplicate": true}));
            }
            exec(&sql, "INSERT INTO stripe_events (id, type, received_at) VALUES (?, ?, ?)", vec![event_id.into(), kind.into(), now.0.into()])?;
            let Some(row) = by_session(&sql, session_id)? else {
                worker::console_warn!("{{\"stripe_event\":{:?},\"unknown_session\":{:?}}}", event_id, session_id);
                return Ok(serde_json::json!({"received": true, "reservation": null}));
            };
            settle(&sql, row.id, kind, payment_status, now)?;
            Ok(serde_json::json!({"received": true, "reservation": row.id}))
        })
    }

    /// What the local test checkout page shows, and where it sends the customer afterwards.
    fn checkout_session(&self, session_id: &str, base_url: &str) -> ApiResult<serde_json::Value> {
        let loaded = self.load()?;
        let row = by_session(&self.sql(), session_id)?.ok_or_else(|| ApiError::not_found("Checkout session"))?;
        #[derive(Deserialize)]
        struct Back {
            return_url: Option<String>,
        }
        let back = rows::<Back>(&self.sql(), "SELECT return_url FROM reservations WHERE id = ?", vec![row.id.into()])?
            .into_iter()
            .next()
            .and_then(|b| b.return_url)
            .unwrap_or_else(|| format!("{base_url}/"));
        let success_url = with_session_param(&back, session_id);
        let service = loaded.doc.resource_type(row.resource_type_id).map(|rt| rt.name.clone()).unwrap_or_default();
        Ok(serde_json::json!({
            "organisation": loaded.doc.name, "service": service, "quantity": row.quantity,
            "amount": row.quoted_total_amount, "currency": row.quoted_currency, "status": row.status,
            "reservationId": row.id, "startTime": Timestamp(row.start_time), "timeZone": loaded.doc.time_zone,
            "successUrl": success_url, "cancelUrl": success_url,
        }))
    }

    fn reservation(&self, id: i64) -> ApiResult<Reservation> {
        let row = rows::<ReservationRow>(&self.sql(), &format!("{SELECT_RESERVATION} WHERE id = ?"), vec![id.into()])?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found("Reservation"))?;
        Ok(self.with_resources(row)?.reservation)
    }

    fn with_resources(&self, row: ReservationRow) -> ApiResult<Stored> {
        #[derive(Deserialize)]
        struct Alloc {
            resource_id: i64,
        }
        let ids = rows::<Alloc>(&self.sql(), "SELECT resource_id FROM allocations WHERE reservation_id = ? ORDER BY resource_id", vec![row.id.into()])?;
        row.into_stored(ids.into_iter().map(|a| a.resource_id).collect())
    }

    fn list(&self, f: &ReservationFilter) -> ApiResult<ReservationList> {
        let mut query = format!("{SELECT_RESERVATION} WHERE 1 = 1");
        let mut params: Params = Vec::new();
        if let Some(t) = f.resource_type_id {
            query.push_str(" AND resource_type_id = ?");
            params.push(t.into());
        }
        if let Some(r) = f.resource_id {
            query.push_str(" AND id IN (SELECT reservation_id FROM allocations WHERE resource_id = ?)");
            params.push(r.into());
        }
        if let Some(s) = f.status {
            query.push_str(" AND status = ?");
            params.push(s.as_str().into());
        }
        if let Some(t) = f.start_from {
            query.push_str(" AND start_time >= ?");
            params.push(t.0.into());
        }
        if let Some(t) = f.end_to {
            query.push_str(" AND end_time <= ?");
            params.push(t.0.into());
        }
        query.push_str(" ORDER BY start_time, id LIMIT 1000");
        let data = rows::<ReservationRow>(&self.sql(), &query, params)?
            .into_iter()
            .map(|row| self.with_resources(row).map(|s| s.reservation))
            .collect::<ApiResult<_>>()?;
        Ok(ReservationList { data })
    }

    fn staff_create(&self, c: ReservationChanges, now: Timestamp) -> ApiResult<Reservation> {
        let loaded = self.load()?;
        let doc = &loaded.doc;
        let (start, end) = (c.start_time.expect("validated"), c.end_time.expect("validated"));
        let wanted = wanted_resources(&c);
        let type_id = match c.resource_type_id {
            Some(t) => t,
            None => wanted
                .as_ref()
                .and_then(|w| doc.resource_types.iter().find(|rt| rt.resources.iter().any(|r| r.id == w[0])))
                .map(|rt| rt.id)
                .ok_or_else(|| ApiError::validation("resourceTypeId", "resourceTypeId is required"))?,
        };
        let rt = resource_type(doc, type_id)?;
        let resources = candidates(rt, wanted.as_deref())?;
        let quantity = c.quantity.unwrap_or(1);
        let new = NewReservation {
            resource_type_id: rt.id,
            start,
            end,
            quantity,
            status: ReservationStatus::Confirmed,
            payment_status: PaymentStatus::NotRequired,
            customer: c.customer_info.clone().unwrap_or_default(),
            notes: c.notes.clone().filter(|n| !n.is_empty()),
            unit_amount: rt.unit_amount,
            currency: doc.currency.clone(),
            payment_required: rt.requires_payment,
            hold_expires_at: None,
            return_url: None,
            source: "staff",
        };
        let sql = self.sql();
        let id = transaction(&self.state.storage(), || {
            let allocated = place(&sql, &resources, start, end, quantity, None, now)?;
            insert_reservation(&sql, &new, &allocated, now)
        })?;
        self.reservation(id)
    }

    fn staff_update(&self, id: i64, c: ReservationChanges, now: Timestamp) -> ApiResult<Reservation> {
        let loaded = self.load()?;
        let current = self.reservation(id)?;
        let status = c.status.unwrap_or(current.status);
        current.status.transition_to(status)?;
        let (start, end) = (c.start_time.unwrap_or(current.start_time), c.end_time.unwrap_or(current.end_time));
        if end <= start {
            return Err(ApiError::validation("endTime", "endTime must be after startTime"));
        }
        let type_id = c.resource_type_id.unwrap_or(current.resource_type_id);
        let rt = resource_type(&loaded.doc, type_id)?;
        let quantity = c.quantity.unwrap_or(current.quantity);
        let wanted = wanted_resources(&c).or_else(|| (type_id == current.resource_type_id).then(|| current.resource_ids.clone()).filter(|_| c.quantity.is_none()));
        let resources = candidates(rt, wanted.as_deref())?;
        let placement_changed = c.start_time.is_some() || c.end_time.is_some() || c.quantity.is_some()
            || c.resource_type_id.is_some() || c.resource_id.is_some() || c.resource_ids.is_some();
        let starts_holding = !current.status.holds_places(current.hold_expires_at, now) && status.holds_places(None, now);
        let customer = c.customer_info.clone().unwrap_or(current.customer_info.clone());
        let notes = c.notes.clone().or(current.notes.clone()).filter(|n| !n.is_empty());
        let sql = self.sql();
        transaction(&self.state.storage(), || {
            if (placement_changed || starts_holding) && status.holds_places(current.hold_expires_at, now) {
                let allocated = place(&sql, &resources, start, end, quantity, Some(id), now)?;
                exec(&sql, "DELETE FROM allocations WHERE reservation_id = ?", vec![id.into()])?;
                insert_allocations(&sql, id, &allocated, start, end)?;
            } else if placement_changed {
                // Not holding places: keep the resources, move the times.
                exec(&sql, "UPDATE allocations SET start_time = ?, end_time = ? WHERE reservation_id = ?", vec![start.0.into(), end.0.into(), id.into()])?;
            }
            exec(
                &sql,
                "UPDATE reservations SET resource_type_id = ?, start_time = ?, end_time = ?, quantity = ?, status = ?,
                 customer_name = ?, customer_email = ?, customer_phone = ?, notes = ?, updated_at = ? WHERE id = ?",
                vec![
                    rt.id.into(), start.0.into(), end.0.into(), (quantity as i64).into(), status.as_str().into(),
                    customer.name.clone().into(), customer.email.clone().into(), customer.phone.clone().into(),
                    notes.clone().into(), now.0.into(), id.into(),
                ],
            )
        })?;
        self.reservation(id)
    }
}

/// What an Idempotency-Key keeps of a refusal: refusals are answers too; a failure on our side (5xx) is
/// not kept, so a retry can succeed.
pub fn idempotency_answer(e: &ApiError) -> Option<(u16, String)> {
    (e.status() < 500).then(|| (e.status(), serde_json::to_string(&e.body("")).unwrap_or_default()))
}

/// Moves a reservation waiting for payment as a Checkout Session event says (see `stripe::transition`).
fn settle(sql: &SqlStorage, id: i64, kind: &str, payment_status: Option<&str>, now: Timestamp) -> ApiResult<()> {
    #[derive(Deserialize)]
    struct Current {
        status: String,
    }
    let Some(row) = rows::<Current>(sql, "SELECT status FROM reservations WHERE id = ?", vec![id.into()])?.into_iter().next() else {
        return Ok(());
    };
    let current = ReservationStatus::parse(&row.status).ok_or_else(|| internal("stored status", &row.status))?;
    match transition(kind, payment_status, current) {
        Some((status, payment)) => exec(
            sql,
            "UPDATE reservations SET status = ?, payment_status = ?, updated_at = ? WHERE id = ?",
            vec![status.as_str().into(), payment.as_str().into(), now.0.into(), id.into()],
        ),
        None => {
            if kind == "checkout.session.completed" && payment_status == Some("paid") && current != ReservationStatus::Confirmed {
                // Paid after the hold was released: the money must go back; staff see it in the log.
                worker::console_error!("{{\"late_payment\":true,\"reservation\":{},\"status\":{:?}}}", id, row.status);
            }
            Ok(())
        }
    }
}

fn resource_type(doc: &OrganisationDocument, id: i64) -> ApiResult<&ResourceTypeDoc> {
    doc.resource_type(id).ok_or_else(|| ApiError { param: Some("resourceTypeId".into()), ..ApiError::not_found("Resource type") })
}

/// The resources of a type a reservation may use: all of them, or the ones asked for (each must belong).
fn candidates(rt: &ResourceTypeDoc, wanted: Option<&[i64]>) -> ApiResult<Vec<ResourceCapacity>> {
    let all = rt.resources.iter().map(|r| ResourceCapacity { resource_id: r.id, capacity: r.capacity });
    match wanted {
        None => Ok(all.collect()),
        Some(ids) => {
            if let Some(missing) = ids.iter().find(|id| !rt.resources.iter().any(|r| r.id == **id)) {
                return Err(ApiError { param: Some("resourceId".into()), ..ApiError::not_found(&format!("Resource {missing} of this type")) });
            }
            Ok(all.filter(|r| ids.contains(&r.resource_id)).collect())
        }
    }
}

fn wanted_resources(c: &ReservationChanges) -> Option<Vec<i64>> {
    c.resource_ids.clone().or_else(|| c.resource_id.map(|r| vec![r]))
}

/// Checks places and picks resources for `quantity` during `[start, end)`, not counting reservation `exclude`.
fn place(sql: &SqlStorage, resources: &[ResourceCapacity], start: Timestamp, end: Timestamp, quantity: u32, exclude: Option<i64>, now: Timestamp) -> ApiResult<Vec<(i64, u32)>> {
    let booked = holding(sql, start, end, exclude, now)?;
    let left = places_left(resources, &booked, start, end);
    allocate(&left, quantity).ok_or_else(|| ApiError::new(ErrorCode::SlotUnavailable, "Not enough places are left at this time"))
}

/// Allocations overlapping `[from, to)` of reservations that hold places at `now`.
fn holding(sql: &SqlStorage, from: Timestamp, to: Timestamp, exclude: Option<i64>, now: Timestamp) -> ApiResult<Vec<Booked>> {
    #[derive(Deserialize)]
    struct Row {
        resource_id: i64,
        quantity: i64,
        start_time: i64,
        end_time: i64,
        status: String,
        hold_expires_at: Option<i64>,
    }
    let found = rows::<Row>(
        sql,
        &format!(
            "SELECT a.resource_id, a.quantity, a.start_time, a.end_time, r.status, r.hold_expires_at
             FROM allocations a JOIN reservations r ON r.id = a.reservation_id
             WHERE a.start_time < ? AND a.end_time > ? AND r.id != ? AND r.status IN {HOLDING}"
        ),
        vec![to.0.into(), from.0.into(), exclude.unwrap_or(0).into()],
    )?;
    Ok(found
        .into_iter()
        .filter(|r| {
            ReservationStatus::parse(&r.status).is_some_and(|s| s.holds_places(r.hold_expires_at.map(Timestamp), now))
        })
        .map(|r| Booked { resource_id: r.resource_id, start: Timestamp(r.start_time), end: Timestamp(r.end_time), quantity: r.quantity as u32 })
        .collect())
}

struct NewReservation {
    resource_type_id: i64,
    start: Timestamp,
    end: Timestamp,
    quantity: u32,
    status: ReservationStatus,
    payment_status: PaymentStatus,
    customer: CustomerInfo,
    notes: Option<String>,
    unit_amount: i64,
    currency: String,
    payment_required: bool,
    hold_expires_at: Option<Timestamp>,
    return_url: Option<String>,
    source: &'static str,
}

fn insert_reservation(sql: &SqlStorage, r: &NewReservation, allocated: &[(i64, u32)], now: Timestamp) -> ApiResult<i64> {
    exec(
        sql,
        "INSERT INTO reservations (resource_type_id, start_time, end_time, quantity, status, payment_status,
            customer_name, customer_email, customer_phone, notes, quoted_unit_amount, quoted_total_amount,
            quoted_currency, payment_required_snapshot, hold_expires_at, return_url, source, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            r.resource_type_id.into(), r.start.0.into(), r.end.0.into(), (r.quantity as i64).into(),
            r.status.as_str().into(), r.payment_status.as_str().into(),
            r.customer.name.clone().into(), r.customer.email.clone().into(), r.customer.phone.clone().into(),
            r.notes.clone().into(), r.unit_amount.into(), (r.unit_amount * r.quantity as i64).into(),
            r.currency.clone().into(), flag(r.payment_required), r.hold_expires_at.map(|t| t.0).into(),
            r.return_url.clone().into(), r.source.into(), now.0.into(), now.0.into(),
        ],
    )?;
    let id = last_insert_id(sql)?;
    insert_allocations(sql, id, allocated, r.start, r.end)?;
    Ok(id)
}

fn insert_allocations(sql: &SqlStorage, id: i64, allocated: &[(i64, u32)], start: Timestamp, end: Timestamp) -> ApiResult<()> {
    for (resource_id, quantity) in allocated {
        exec(
            sql,
            "INSERT INTO allocations (reservation_id, resource_id, quantity, start_time, end_time) VALUES (?, ?, ?, ?, ?)",
            vec![id.into(), (*resource_id).into(), (*quantity as i64).into(), start.0.into(), end.0.into()],
        )?;
    }
    Ok(())
}

const SELECT_RESERVATION: &str = "SELECT id, resource_type_id, start_time, end_time, quantity, status, payment_status,
    customer_name, customer_email, customer_phone, notes, quoted_unit_amount, quoted_total_amount, quoted_currency,
    payment_required_snapshot, hold_expires_at, stripe_session_id, checkout_url, source, created_at, updated_at
    FROM reservations";

/// The reservation a checkout session was created for.
fn by_session(sql: &SqlStorage, session_id: &str) -> ApiResult<Option<ReservationRow>> {
    Ok(rows::<ReservationRow>(sql, &format!("{SELECT_RESERVATION} WHERE stripe_session_id = ?"), vec![session_id.into()])?.into_iter().next())
}

#[derive(Deserialize)]
struct ReservationRow {
    id: i64,
    resource_type_id: i64,
    start_time: i64,
    end_time: i64,
    quantity: i64,
    status: String,
    payment_status: String,
    customer_name: Option<String>,
    customer_email: Option<String>,
    customer_phone: Option<String>,
    notes: Option<String>,
    quoted_unit_amount: i64,
    quoted_total_amount: i64,
    quoted_currency: String,
    payment_required_snapshot: i64,
    hold_expires_at: Option<i64>,
    stripe_session_id: Option<String>,
    checkout_url: Option<String>,
    source: String,
    created_at: i64,
    updated_at: i64,
}

/// A stored reservation with what only the engine sees.
struct Stored {
    reservation: Reservation,
    checkout_url: Option<String>,
}

impl std::ops::Deref for Stored {
    type Target = Reservation;
    fn deref(&self) -> &Reservation {
        &self.reservation
    }
}

impl ReservationRow {
    fn into_stored(self, resource_ids: Vec<i64>) -> ApiResult<Stored> {
        let status = ReservationStatus::parse(&self.status).ok_or_else(|| internal("stored status", &self.status))?;
        let payment_status = PaymentStatus::parse(&self.payment_status).ok_or_else(|| internal("stored payment status", &self.payment_status))?;
        Ok(Stored {
            checkout_url: self.checkout_url,
            reservation: Reservation {
                id: self.id,
                resource_type_id: self.resource_type_id,
                resource_ids,
                start_time: Timestamp(self.start_time),
                end_time: Timestamp(self.end_time),
                quantity: self.quantity as u32,
                status,
                payment_status,
                customer_info: CustomerInfo { name: self.customer_name, email: self.customer_email, phone: self.customer_phone },
                notes: self.notes,
                quoted_unit_amount: self.quoted_unit_amount,
                quoted_total_amount: self.quoted_total_amount,
                quoted_currency: self.quoted_currency,
                payment_required_snapshot: self.payment_required_snapshot != 0,
                hold_expires_at: self.hold_expires_at.map(Timestamp),
                stripe_checkout_session_id: self.stripe_session_id,
                source: self.source,
                created_at: Timestamp(self.created_at),
                updated_at: Timestamp(self.updated_at),
            },
        })
    }
}

/// Replaces the stored catalog with `doc` (reservations stay). Runs inside a transaction.
fn store_document(sql: &SqlStorage, slug: &str, doc: &OrganisationDocument, now: Timestamp) -> ApiResult<()> {
    for table in ["resource_types", "resources", "opening_hours", "closed_dates", "api_keys"] {
        exec(sql, &format!("DELETE FROM {table}"), vec![])?;
    }
    exec(
        sql,
        "INSERT OR REPLACE INTO organisation (id, slug, name, time_zone, currency, locale, logo_url, brand_color,
            allowed_origins, accepts_payments, booking_window_days, hold_minutes, updated_at)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            slug.into(), doc.name.clone().into(), doc.time_zone.clone().into(), doc.currency.clone().into(),
            doc.locale.clone().into(), doc.branding.logo_url.clone().into(), doc.branding.brand_color.clone().into(),
            serde_json::to_string(&doc.allowed_origins).unwrap_or_default().into(), flag(doc.accepts_payments),
            (doc.booking_window_days as i64).into(), (doc.hold_minutes as i64).into(), now.0.into(),
        ],
    )?;
    for (position, rt) in doc.resource_types.iter().enumerate() {
        exec(
            sql,
            "INSERT INTO resource_types (id, position, name, description, duration_minutes, slot_interval_minutes,
                max_quantity, unit_amount, requires_payment, allow_resource_choice) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                rt.id.into(), (position as i64).into(), rt.name.clone().into(), rt.description.clone().into(),
                (rt.duration_minutes as i64).into(), (rt.slot_interval() as i64).into(), (rt.max_quantity as i64).into(),
                rt.unit_amount.into(), flag(rt.requires_payment), flag(rt.allow_resource_choice),
            ],
        )?;
        for h in rt.weekly_hours() {
            exec(
                sql,
                "INSERT INTO opening_hours (resource_type_id, weekday, opens, closes) VALUES (?, ?, ?, ?)",
                vec![rt.id.into(), (h.weekday as i64).into(), (h.opens as i64).into(), (h.closes as i64).into()],
            )?;
        }
        for (position, r) in rt.resources.iter().enumerate() {
            exec(
                sql,
                "INSERT INTO resources (id, resource_type_id, position, name, capacity, public_token_hash) VALUES (?, ?, ?, ?, ?, ?)",
                vec![
                    r.id.into(), rt.id.into(), (position as i64).into(), r.name.clone().into(), (r.capacity as i64).into(),
                    r.public_token.as_ref().map(|t| sha256_hex(t.as_bytes())).into(),
                ],
            )?;
        }
    }
    for d in &doc.closed_dates {
        exec(sql, "INSERT OR IGNORE INTO closed_dates (date) VALUES (?)", vec![d.to_string().into()])?;
    }
    for k in &doc.api_keys {
        exec(sql, "INSERT OR REPLACE INTO api_keys (key_hash, name) VALUES (?, ?)", vec![sha256_hex(k.key.as_bytes()).into(), k.name.clone().into()])?;
    }
    Ok(())
}

/// Reads the stored catalog back (API keys and tokens stay digests and are left out).
fn load_document(sql: &SqlStorage) -> ApiResult<Option<(String, OrganisationDocument)>> {
    #[derive(Deserialize)]
    struct Org {
        slug: String,
        name: String,
        time_zone: String,
        currency: String,
        locale: String,
        logo_url: Option<String>,
        brand_color: Option<String>,
        allowed_origins: String,
        accepts_payments: i64,
        booking_window_days: i64,
        hold_minutes: i64,
    }
    #[derive(Deserialize)]
    struct Type {
        id: i64,
        name: String,
        description: String,
        duration_minutes: i64,
        slot_interval_minutes: i64,
        max_quantity: i64,
        unit_amount: i64,
        requires_payment: i64,
        allow_resource_choice: i64,
    }
    #[derive(Deserialize)]
    struct Res {
        id: i64,
        resource_type_id: i64,
        name: String,
        capacity: i64,
    }
    #[derive(Deserialize)]
    struct Hours {
        resource_type_id: i64,
        weekday: i64,
        opens: i64,
        closes: i64,
    }
    #[derive(Deserialize)]
    struct Closed {
        date: String,
    }
    let Some(org) = rows::<Org>(sql, "SELECT * FROM organisation WHERE id = 1", vec![])?.into_iter().next() else {
        return Ok(None);
    };
    let resources = rows::<Res>(sql, "SELECT id, resource_type_id, name, capacity FROM resources ORDER BY position", vec![])?;
    let hours = rows::<Hours>(sql, "SELECT * FROM opening_hours ORDER BY weekday, opens", vec![])?;
    let types = rows::<Type>(sql, "SELECT * FROM resource_types ORDER BY position", vec![])?;
    let closed = rows::<Closed>(sql, "SELECT date FROM closed_dates ORDER BY date", vec![])?;
    let doc = OrganisationDocument {
        name: org.name,
        time_zone: org.time_zone,
        currency: org.currency,
        locale: org.locale,
        branding: Branding { logo_url: org.logo_url, brand_color: org.brand_color },
        allowed_origins: serde_json::from_str(&org.allowed_origins).unwrap_or_default(),
        accepts_payments: org.accepts_payments != 0,
        booking_window_days: org.booking_window_days as u32,
        hold_minutes: org.hold_minutes as u32,
        closed_dates: closed.iter().filter_map(|c| Date::parse(&c.date)).collect(),
        api_keys: Vec::<ApiKeyDoc>::new(),
        resource_types: types
            .into_iter()
            .map(|t| ResourceTypeDoc {
                id: t.id,
                name: t.name,
                description: t.description,
                duration_minutes: t.duration_minutes as u32,
                slot_interval_minutes: Some(t.slot_interval_minutes as u32),
                max_quantity: t.max_quantity as u32,
                unit_amount: t.unit_amount,
                requires_payment: t.requires_payment != 0,
                allow_resource_choice: t.allow_resource_choice != 0,
                opening_hours: hours
                    .iter()
                    .filter(|h| h.resource_type_id == t.id)
                    .map(|h| OpeningHoursDoc { days: vec![h.weekday as u8], opens: h.opens as u32, closes: h.closes as u32 })
                    .collect(),
                resources: resources
                    .iter()
                    .filter(|r| r.resource_type_id == t.id)
                    .map(|r| ResourceDoc { id: r.id, name: r.name.clone(), capacity: r.capacity as u32, public_token: None })
                    .collect(),
            })
            .collect(),
    };
    Ok(Some((org.slug, doc)))
}

