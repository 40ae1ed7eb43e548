//! A public reserve, top to bottom: its entry (once per Idempotency-Key: a replay of the stored answer, or a
//! resumed request whose reservation was written before it died) → validate (the request against the
//! catalog) → hold places (check and allocate in one transaction, with the key's record) → start checkout
//! (for a paid service: a Stripe Checkout Session, or the local test checkout) → the answer. And the checkout
//! status the widget polls.

use super::book::book;
use super::idempotency::{idempotency_answer, Claim, KeyOutcome, Running};
use super::manage::calendar_event;
use super::reservations::{by_session, NewReservation, ReservationRecord};
use super::webhooks::emit_for;
use super::{candidates, resource_type, Organisation, Venue};
use crate::engine::sql::{exec, rows, transaction};
use crate::engine::{IdempotencyKey, Scope};
use crate::http::{internal, json};
use crate::runtime::random_hex;
use crate::stripe::Stripe;
use serde::Deserialize;
use slotbook_core::availability::ResourceCapacity;
use slotbook_core::digest::sha256_hex;
use slotbook_core::document::OrganisationDocument;
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use slotbook_core::ratelimit;
use slotbook_core::reservation::{manage_token, PaymentStatus, ReservationStatus};
use slotbook_core::stripe::{local_session_id, order_refusal, session_expires_at, CheckoutRequest, PaymentsMode};
use slotbook_core::time::Timestamp;
use slotbook_core::validate::origin_of;
use slotbook_core::webhook::EventKind;
use slotbook_core::wire::{CheckoutStatus, CustomerInfo, PaymentData, ReserveRequest, ReserveResponse};
use worker::Response;

/// Where a reserve's answer points: the edge's own origin (manage links, the test checkout, the default
/// return URL) and the public path the booking came through (its checkout-status URL).
#[derive(Clone, Copy)]
pub(super) struct Addresses<'a> {
    pub base_url: &'a str,
    pub public_path: &'a str,
}

/// A validated reserve: where it goes, what it will store, and the customer's manage link.
struct Plan {
    resources: Vec<ResourceCapacity>,
    new: NewReservation,
    manage_url: String,
}

/// A new manage link: the URL for the customer and the digest to store.
pub(super) fn new_manage_link(base_url: &str, slug: &str) -> (String, String) {
    let token = manage_token(&random_hex(32), slug);
    (
        format!("{base_url}/api/public/booking/manage/{token}"),
        sha256_hex(token.as_bytes()),
    )
}

impl Organisation {
    /// A public reserve, run at most once per Idempotency-Key.
    pub(super) async fn reserve_once(
        &self,
        req: ReserveRequest,
        scope: Option<Scope>,
        at: Addresses<'_>,
        key: Option<IdempotencyKey>,
        member_token: Option<&str>,
        now: Timestamp,
    ) -> ApiResult<Response> {
        let Some(key) = key else {
            return json(201, &self.reserve(req, scope, at, None, member_token, now).await?);
        };
        let (claim, resume) = match self.claim(&key, now)? {
            KeyOutcome::Replay(response) => return Ok(response),
            KeyOutcome::Run(claim) => (claim, None),
            KeyOutcome::Resume(claim, id) => (claim, Some(id)),
        };
        let _running = Running {
            organisation: self,
            id: claim.id.clone(),
        };
        let result = match resume {
            None => self.reserve(req, scope, at, Some(&claim), member_token, now).await,
            Some(id) => self.resume(id, at, &claim, now).await,
        };
        match &result {
            // ReservationRecord already, in the reservation's transaction or once the checkout started.
            Ok(_) => {}
            Err(e) => claim.finish(&self.sql(), idempotency_answer(e))?,
        }
        json(201, &result?)
    }

    /// Answers a request whose reservation was written before its request died.
    async fn resume(&self, id: i64, at: Addresses<'_>, claim: &Claim, now: Timestamp) -> ApiResult<ReserveResponse> {
        let stored = self.stored(id)?;
        let loaded = self.load()?;
        // The first answer never reached the customer: a new manage link replaces the one it held.
        let (manage_url, manage_token_hash) = new_manage_link(at.base_url, &loaded.slug);
        exec(
            &self.sql(),
            "UPDATE reservations SET manage_token_hash = ? WHERE id = ?",
            vec![manage_token_hash.into(), id.into()],
        )?;
        let waiting = stored.payment_required_snapshot && stored.status == ReservationStatus::PendingPayment;
        // A Bardge booking with several prices waits for the client's choice, not for a checkout.
        let choosing = stored.bardge_session.is_some() && stored.quoted_total_amount == 0;
        if waiting && !choosing && stored.stripe_checkout_session_id.is_none() {
            return self
                .start_checkout(&loaded, stored, at, Some(manage_url), Some(claim), now)
                .await;
        }
        let answer = reserve_answer(&stored, &loaded, at.public_path, Some(manage_url), now);
        claim.finish_created(&self.sql(), &answer)?;
        Ok(answer)
    }

    /// Runs a reserve. With a claim, the key's record is written with the reservation (see `idempotency`).
    /// A Bardge organisation books through Bardge (see `bardge`).
    async fn reserve(
        &self,
        req: ReserveRequest,
        scope: Option<Scope>,
        at: Addresses<'_>,
        claim: Option<&Claim>,
        member_token: Option<&str>,
        now: Timestamp,
    ) -> ApiResult<ReserveResponse> {
        let loaded = self.load()?;
        if loaded.doc.bardge.is_some() {
            return self
                .reserve_with_bardge(&loaded, req, at, claim, member_token, now)
                .await;
        }
        self.count_reserve(now)?;
        let plan = self.validate(&loaded, &req, scope, at.base_url, now)?;
        let stored = self.hold_places(&loaded, &plan, claim, at.public_path, now)?;
        if !plan.new.payment_required {
            return Ok(reserve_answer(
                &stored,
                &loaded,
                at.public_path,
                Some(plan.manage_url),
                now,
            ));
        }
        self.start_checkout(&loaded, stored, at, Some(plan.manage_url), claim, now)
            .await
    }

    /// Checks the request against the catalog; nothing is written.
    fn validate(
        &self,
        loaded: &Venue,
        req: &ReserveRequest,
        scope: Option<Scope>,
        base_url: &str,
        now: Timestamp,
    ) -> ApiResult<Plan> {
        let doc = &loaded.doc;
        let type_id = scope
            .map(|s| s.resource_type_id)
            .or(req.resource_type_id)
            .ok_or_else(|| ApiError::validation("resourceTypeId", "resourceTypeId is required"))?;
        let rt = resource_type(doc, type_id)?;
        let only = scope.map(|s| s.resource_id).or(req.resource_id);
        if req.resource_id.is_some() && scope.is_some_and(|s| Some(s.resource_id) != req.resource_id) {
            return Err(ApiError::not_found("Resource"));
        }
        let resources = candidates(rt, only.map(|r| vec![r]).as_deref())?;
        if req.quantity > rt.max_quantity {
            return Err(ApiError {
                param: Some("quantity".into()),
                ..ApiError::new(
                    ErrorCode::CapacityExceeded,
                    format!("At most {} places can be booked at once", rt.max_quantity),
                )
            });
        }
        if rt.requires_payment && (!doc.accepts_payments || self.payments_mode() == PaymentsMode::Unavailable) {
            return Err(ApiError::new(
                ErrorCode::PaymentsUnavailable,
                "This service needs online payment, which the venue cannot take right now",
            ));
        }
        // A document imported before Stripe's limits were checked may still hold such a price: refused here,
        // before any place is held, rather than by Stripe after.
        if rt.requires_payment && order_refusal(&doc.currency, rt.unit_amount, req.quantity).is_some() {
            return Err(ApiError::new(
                ErrorCode::PaymentsUnavailable,
                "This booking's amount cannot be paid online; please contact the venue",
            ));
        }
        if let Some(url) = &req.return_url {
            if !return_url_allowed(doc, url, base_url) {
                return Err(ApiError::validation(
                    "returnUrl",
                    "returnUrl must be on one of the organisation's allowed origins",
                ));
            }
        }
        let schedule = loaded.schedule(rt);
        let (start, end) = schedule
            .slot_at(req.start_time)
            .ok_or_else(|| ApiError::validation("startTime", "startTime is not the start of a slot of this service"))?;
        if end != req.end_time {
            return Err(ApiError::validation(
                "endTime",
                format!("endTime must be {end} for a slot starting at {start}"),
            ));
        }
        if !loaded.bookable_at(start, now) {
            return Err(ApiError::new(
                ErrorCode::SlotUnavailable,
                "This time can no longer be booked",
            ));
        }
        let payment = rt.requires_payment;
        let (manage_url, manage_token_hash) = new_manage_link(base_url, &loaded.slug);
        let new = NewReservation {
            resource_type_id: rt.id,
            start,
            end,
            quantity: req.quantity,
            status: if payment {
                ReservationStatus::PendingPayment
            } else {
                ReservationStatus::Confirmed
            },
            payment_status: if payment {
                PaymentStatus::Pending
            } else {
                PaymentStatus::NotRequired
            },
            customer: CustomerInfo {
                name: Some(req.customer_name.clone()),
                email: Some(req.customer_email.clone()),
                phone: Some(req.customer_phone.clone()),
            },
            notes: req.notes.clone(),
            unit_amount: rt.unit_amount,
            currency: doc.currency.clone(),
            payment_required: payment,
            hold_expires_at: payment.then(|| Timestamp(now.0 + self.hold_seconds(doc))),
            // Kept as sent to Stripe, so a resumed request sends Stripe the very same parameters.
            return_url: payment.then(|| req.return_url.clone().unwrap_or_else(|| format!("{base_url}/"))),
            source: if scope.is_some() { "public_token" } else { "public" },
            manage_token_hash: Some(manage_token_hash),
        };
        Ok(Plan {
            resources,
            new,
            manage_url,
        })
    }

    /// Checks places and allocates them, with the key's record, in one transaction (no await inside, so
    /// nothing interleaves). A free booking's answer is complete here and stored with it.
    fn hold_places(
        &self,
        loaded: &Venue,
        plan: &Plan,
        claim: Option<&Claim>,
        public_path: &str,
        now: Timestamp,
    ) -> ApiResult<ReservationRecord> {
        let sql = self.sql();
        let new = &plan.new;
        transaction(&self.state.storage(), || {
            let stored = book(&sql, &plan.resources, new, now)?;
            if let Some(claim) = claim {
                let answer = (!new.payment_required)
                    .then(|| reserve_answer(&stored, loaded, public_path, Some(plan.manage_url.clone()), now));
                claim.link(&sql, stored.id, answer.as_ref())?;
            }
            Ok(stored)
        })
    }

    /// Starts payment for a held reservation (or finds the session started before a crash: Stripe's
    /// Idempotency-Key is one per reservation) and answers the reserve.
    pub(super) async fn start_checkout(
        &self,
        loaded: &Venue,
        stored: ReservationRecord,
        at: Addresses<'_>,
        manage_url: Option<String>,
        claim: Option<&Claim>,
        now: Timestamp,
    ) -> ApiResult<ReserveResponse> {
        let id = stored.id;
        let hold_end = stored
            .hold_expires_at
            .ok_or_else(|| internal("checkout", "a paid reservation without a hold"))?;
        // The alarm is set before Stripe is asked, so a hold is released even if this request dies here.
        self.wake_at(hold_end).await;
        let (session_id, checkout_url) = match (&stored.stripe_checkout_session_id, &stored.checkout_url) {
            (Some(session), Some(url)) => (session.clone(), url.clone()),
            _ => match self.create_session(loaded, &stored, at.base_url).await {
                Ok(found) => found,
                Err(e) => {
                    // No session, no hold: the places go back at once, and the key is free for a retry.
                    let sql = self.sql();
                    transaction(&self.state.storage(), || {
                        exec(
                            &sql,
                            "UPDATE reservations SET status = ?, payment_status = ?, updated_at = ? WHERE id = ?",
                            vec![
                                ReservationStatus::Cancelled.as_str().into(),
                                PaymentStatus::Failed.as_str().into(),
                                now.0.into(),
                                id.into(),
                            ],
                        )?;
                        emit_for(&sql, EventKind::Cancelled, id, now)?;
                        claim.map_or(Ok(()), |c| c.forget(&sql))
                    })?;
                    return Err(e);
                }
            },
        };
        exec(
            &self.sql(),
            "UPDATE reservations SET stripe_session_id = ?, checkout_url = ? WHERE id = ?",
            vec![session_id.into(), checkout_url.into(), id.into()],
        )?;
        let answer = reserve_answer(&self.stored(id)?, loaded, at.public_path, manage_url, now);
        if let Some(claim) = claim {
            claim.finish_created(&self.sql(), &answer)?;
        }
        Ok(answer)
    }

    async fn create_session(
        &self,
        loaded: &Venue,
        r: &ReservationRecord,
        base_url: &str,
    ) -> ApiResult<(String, String)> {
        let Some(stripe) = Stripe::from_env(&self.env) else {
            // Only reached with the test checkout on (`validate` refuses paid services otherwise).
            let session_id = local_session_id(&random_hex(12), &loaded.slug);
            let url = format!("{base_url}/api/test-checkout/{session_id}");
            return Ok((session_id, url));
        };
        let return_url = r.return_url.clone().unwrap_or_else(|| format!("{base_url}/"));
        let product_name = loaded
            .doc
            .resource_type(r.resource_type_id)
            .map(|rt| rt.name.clone())
            .unwrap_or_default();
        let hold_end = r.hold_expires_at.map_or(0, |t| t.0);
        let checkout = CheckoutRequest {
            organisation: &loaded.slug,
            reservation_id: r.id,
            product_name: &product_name,
            currency: &r.quoted_currency,
            unit_amount: r.quoted_unit_amount,
            quantity: r.quantity,
            customer_email: r.customer_info.email.as_deref().unwrap_or_default(),
            return_url: &return_url,
            expires_at: session_expires_at(r.created_at.0, hold_end),
        };
        let session = stripe.create_checkout(&checkout).await?;
        let url = session
            .url
            .clone()
            .ok_or_else(|| internal("stripe session", "no url"))?;
        Ok((session.id, url))
    }

    pub(super) fn checkout_status(
        &self,
        session_id: &str,
        scope: Option<Scope>,
        now: Timestamp,
    ) -> ApiResult<CheckoutStatus> {
        let row = by_session(&self.sql(), session_id)?.ok_or_else(|| ApiError::not_found("Checkout session"))?;
        let r = self.with_resources(row)?;
        if scope.is_some_and(|s| !r.resource_ids.contains(&s.resource_id)) {
            return Err(ApiError::not_found("Checkout session"));
        }
        let open = r.payable(now);
        let loaded = self.load()?;
        Ok(CheckoutStatus {
            booking: Some(loaded.doc.summary(&r)),
            reservation_id: r.id,
            status: r.status,
            payment_status: r.payment_status,
            requires_payment: r.payment_required_snapshot,
            can_retry_payment: open,
            checkout_url: if open { r.checkout_url.clone() } else { None },
            reason: r.bardge_failure.clone(),
        })
    }

    /// Counts a reserve in this minute's window; over RESERVES_PER_ORGANISATION_PER_MINUTE it is refused.
    pub(super) fn count_reserve(&self, now: Timestamp) -> ApiResult<()> {
        let Some(limit) = crate::runtime::setting(&self.env, "RESERVES_PER_ORGANISATION_PER_MINUTE")
            .and_then(|v| v.parse::<i64>().ok())
        else {
            return Ok(());
        };
        #[derive(Deserialize)]
        struct Count {
            count: i64,
        }
        let (window, retry_after) = ratelimit::minute_window(now);
        let sql = self.sql();
        exec(
            &sql,
            "DELETE FROM reserve_windows WHERE window_start < ?",
            vec![window.into()],
        )?;
        exec(&sql, "INSERT INTO reserve_windows (window_start, count) VALUES (?, 1) ON CONFLICT (window_start) DO UPDATE SET count = count + 1", vec![window.into()])?;
        let count = rows::<Count>(
            &sql,
            "SELECT count FROM reserve_windows WHERE window_start = ?",
            vec![window.into()],
        )?
        .first()
        .map_or(0, |c| c.count);
        if count > limit {
            return Err(ratelimit::limited(retry_after));
        }
        Ok(())
    }

    /// How long payment holds last: the organisation's setting, unless HOLD_SECONDS_OVERRIDE is set (tests;
    /// honoured only with the test checkout or a Stripe test key, never with a live key).
    pub(super) fn hold_seconds(&self, doc: &OrganisationDocument) -> i64 {
        crate::runtime::test_seconds(&self.env, "HOLD_SECONDS_OVERRIDE").unwrap_or(doc.hold_minutes as i64 * 60)
    }
}

/// Whether customers may be sent back to `url`: one of the organisation's allowed origins, or the edge's own
/// pages (the demo).
pub(super) fn return_url_allowed(doc: &OrganisationDocument, url: &str, base_url: &str) -> bool {
    origin_of(url).is_some_and(|o| o == base_url || doc.allowed_origins.iter().any(|a| a.trim_end_matches('/') == o))
}

/// The answer to a reserve, from the reservation as stored: the same for the first answer, a replay's
/// stored copy, and a resumed request.
pub(super) fn reserve_answer(
    r: &ReservationRecord,
    loaded: &Venue,
    public_path: &str,
    manage_url: Option<String>,
    now: Timestamp,
) -> ReserveResponse {
    let payment_data = match (&r.stripe_checkout_session_id, &r.checkout_url, r.hold_expires_at) {
        (Some(session), Some(url), Some(expires_at)) if r.payment_required_snapshot => Some(PaymentData {
            provider: "stripe".into(),
            mode: "checkout".into(),
            checkout_url: url.clone(),
            stripe_checkout_session_id: session.clone(),
            amount: r.quoted_total_amount,
            currency: r.quoted_currency.clone(),
            status: r.payment_status,
            status_url: format!("{public_path}/checkout-status?sessionId={session}"),
            expires_at,
        }),
        _ => None,
    };
    ReserveResponse {
        reservation_id: r.id,
        status: r.status,
        payment_status: r.payment_status,
        requires_payment: r.payment_required_snapshot,
        resource_type_id: r.resource_type_id,
        resource_ids: r.resource_ids.clone(),
        start_time: r.start_time,
        end_time: r.end_time,
        quantity: r.quantity,
        quoted_amount: r.quoted_total_amount,
        quoted_currency: r.quoted_currency.clone(),
        checkout_url: payment_data.as_ref().map(|p| p.checkout_url.clone()),
        stripe_checkout_session_id: payment_data.as_ref().map(|p| p.stripe_checkout_session_id.clone()),
        payment_data,
        booking: Some(loaded.doc.summary(r)),
        google_calendar_url: manage_url
            .as_deref()
            .map(|url| calendar_event(loaded, r, url, now, |e| e.google_calendar_url())),
        manage_url,
        // A Bardge booking whose payment has not started waits for the client's choice.
        co_pay: match &r.stripe_checkout_session_id {
            None if r.status == ReservationStatus::PendingPayment => {
                super::bardge::due_of(loaded, r).and_then(|d| d.offer())
            }
            _ => None,
        },
    }
}
