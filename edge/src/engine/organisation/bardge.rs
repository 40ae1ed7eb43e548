//! A Bardge organisation: its offers named at import as Bardge names them, its times asked of Bardge (through
//! the cache, see `crate::bardge`), and a reserve that verifies the member token and initiates with Bardge
//! under a key derived from the reserve's own Idempotency-Key. A booking the pass covers is confirmed at once.

use super::book::record;
use super::idempotency::Claim;
use super::reservations::{NewReservation, ReservationRecord};
use super::reserve::{new_manage_link, reserve_answer, return_url_allowed, Addresses};
use super::webhooks::emit_for;
use super::{resource_type, schema, Organisation, Venue};
use crate::bardge::Bardge;
use crate::engine::sql::{exec, rows, transaction};
use crate::http::{from_json, internal};
use crate::runtime::random_hex;
use slotbook_core::bardge::member_token::{self, Member};
use slotbook_core::bardge::wire::{
    booking_id, spa_slots, Class, ClassInitiate, ClassWithInstances, Initiation, Service, SpaInitiate,
};
use slotbook_core::bardge::{checkout_expires_at, derived_key, verdict, Choice, Due, Verdict};
use slotbook_core::document::{BardgeOffer, OrganisationDocument};
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use slotbook_core::reservation::{PaymentStatus, ReservationStatus};
use slotbook_core::stripe::{order_refusal, PaymentsMode};
use slotbook_core::time::{Date, Timestamp};
use slotbook_core::webhook::EventKind;
use slotbook_core::wire::{
    Availability, CustomerInfo, DayAvailability, MonthAvailability, ReserveRequest, ReserveResponse, Slot,
};
use worker::Env;

/// How long Bardge's answer about times is reused: short, as places go; enough that a busy page asks once.
const TIMES_TTL_SECONDS: u32 = 30;

/// One time of an offer, as Bardge has it.
struct Time {
    /// The class instance's id (a spa slot has none).
    instance_id: Option<String>,
    start: Timestamp,
    end: Timestamp,
    capacity: u32,
    available: u32,
}

/// At import: each offer becomes one of the catalog's services, named as Bardge names it. An offer Bardge does
/// not know is refused, naming it.
pub async fn name_offers(env: &Env, doc: &mut OrganisationDocument) -> ApiResult<()> {
    let Some(section) = &doc.bardge else {
        return Ok(());
    };
    let bardge = Bardge::new(env, section.api_key.clone());
    let mut types = Vec::new();
    for (i, offer) in section.offers.iter().enumerate() {
        let unknown = |what: &str| {
            ApiError::validation(
                &format!("bardge.offers[{i}].{what}"),
                format!(
                    "bardge.offers[{i}].{what} is not offered by provider {}",
                    offer.provider_id
                ),
            )
        };
        let rt = match (&offer.class_id, &offer.service_id) {
            (Some(class_id), _) => {
                let text = bardge
                    .read(&format!("/classes?provider_id={}&limit=100", offer.provider_id), 0)
                    .await?;
                let classes = Class::list(&read_json(&text, "bardge classes")?);
                let c = classes
                    .iter()
                    .find(|c| &c.id == class_id)
                    .ok_or_else(|| unknown("classId"))?;
                offer.resource_type(&c.name, &c.description, c.duration_minutes, &c.provider_name)
            }
            (None, Some(service_id)) => {
                let text = bardge
                    .read(&format!("/providers/{}/services", offer.provider_id), 0)
                    .await?;
                let services = Service::list(&read_json(&text, "bardge services")?);
                let s = services
                    .iter()
                    .find(|s| &s.id == service_id)
                    .ok_or_else(|| unknown("serviceId"))?;
                offer.resource_type(&s.name, "", s.duration_minutes, "")
            }
            (None, None) => return Err(unknown("classId")),
        };
        if !(5..=1440).contains(&rt.duration_minutes) {
            return Err(internal("bardge offer", "a duration outside 5 to 1440 minutes"));
        }
        types.push(rt);
    }
    doc.resource_types = types;
    Ok(())
}

impl Organisation {
    fn bardge_client(&self) -> ApiResult<(Bardge, String)> {
        let (api_key, secret) = schema::bardge_secrets(&self.sql())?;
        Ok((Bardge::new(&self.env, api_key), secret))
    }

    /// An offer's times from `from` to `to` (the provider's days, assumed in the organisation's zone).
    async fn times(
        &self,
        bardge: &Bardge,
        offer: &BardgeOffer,
        minutes: u32,
        from: Date,
        to: Date,
    ) -> ApiResult<Vec<Time>> {
        if let Some(class_id) = &offer.class_id {
            let text = bardge
                .read(&format!("/classes/{class_id}?from={from}&to={to}"), TIMES_TTL_SECONDS)
                .await?;
            let class = ClassWithInstances::read(&read_json(&text, "bardge class")?)
                .ok_or_else(|| internal("bardge class", "not a class with instances"))?;
            return Ok(class
                .instances
                .into_iter()
                .map(|i| Time {
                    start: Timestamp(i.scheduled_for),
                    end: Timestamp(i.scheduled_for + 60 * i.duration_minutes.unwrap_or(class.duration_minutes) as i64),
                    instance_id: Some(i.id),
                    capacity: i.capacity,
                    available: i.spots_left.min(i.capacity),
                })
                .collect());
        }
        let service_id = offer.service_id.as_deref().unwrap_or_default();
        let mut times = Vec::new();
        let mut day = from;
        while day <= to {
            let path = format!(
                "/providers/{}/services/{service_id}/availability?date={day}",
                offer.provider_id
            );
            let text = bardge.read(&path, TIMES_TTL_SECONDS).await?;
            let slots = spa_slots(&read_json(&text, "bardge availability")?);
            times.extend(slots.into_iter().map(|start| Time {
                instance_id: None,
                start: Timestamp(start),
                end: Timestamp(start + 60 * minutes as i64),
                capacity: 1,
                available: 1,
            }));
            day = day.add_days(1);
        }
        Ok(times)
    }

    /// The offer a service id names, and the service's duration in minutes.
    fn offer(loaded: &Venue, type_id: Option<i64>) -> ApiResult<(&BardgeOffer, u32)> {
        let type_id = type_id.ok_or_else(|| ApiError::validation("resourceTypeId", "resourceTypeId is required"))?;
        let rt = resource_type(&loaded.doc, type_id)?;
        let offer = loaded
            .doc
            .bardge
            .iter()
            .flat_map(|b| &b.offers)
            .find(|o| o.id == type_id)
            .ok_or_else(|| internal("bardge", "a service without its offer"))?;
        Ok((offer, rt.duration_minutes))
    }

    pub(super) async fn bardge_availability(
        &self,
        loaded: &Venue,
        date: Date,
        type_id: Option<i64>,
        now: Timestamp,
    ) -> ApiResult<Availability> {
        let (offer, minutes) = Self::offer(loaded, type_id)?;
        let (bardge, _) = self.bardge_client()?;
        let mut slots: Vec<Slot> = self
            .times(&bardge, offer, minutes, date, date)
            .await?
            .into_iter()
            .filter(|t| loaded.zone.local_date(t.start) == date && loaded.bookable_at(t.start, now))
            .map(|t| Slot {
                start_time: t.start,
                end_time: t.end,
                capacity: t.capacity,
                available: t.available,
            })
            .collect();
        slots.sort_by_key(|s| s.start_time);
        Ok(Availability {
            date,
            time_zone: loaded.doc.time_zone.clone(),
            resource_type_id: offer.id,
            resource_id: None,
            slots,
        })
    }

    pub(super) async fn bardge_month(
        &self,
        loaded: &Venue,
        date: Date,
        type_id: Option<i64>,
        now: Timestamp,
    ) -> ApiResult<MonthAvailability> {
        let (offer, minutes) = Self::offer(loaded, type_id)?;
        let first = date.first_of_month();
        let today = loaded.zone.local_date(now);
        let last = first
            .add_days(first.days_in_month() as i64 - 1)
            .min(today.add_days(loaded.doc.booking_window_days as i64 - 1));
        let times = if last >= first.max(today) {
            let (bardge, _) = self.bardge_client()?;
            self.times(&bardge, offer, minutes, first.max(today), last).await?
        } else {
            Vec::new()
        };
        let days = (0..first.days_in_month() as i64)
            .map(|i| {
                let day = first.add_days(i);
                let open = times
                    .iter()
                    .filter(|t| loaded.zone.local_date(t.start) == day && loaded.bookable_at(t.start, now));
                DayAvailability {
                    date: day,
                    slots: open.clone().count() as u32,
                    available: open.map(|t| t.available).max().unwrap_or(0),
                }
            })
            .collect();
        Ok(MonthAvailability {
            month: first,
            resource_type_id: offer.id,
            resource_id: None,
            days,
        })
    }

    /// A reserve of a Bardge organisation, for the member the token names.
    pub(super) async fn reserve_with_bardge(
        &self,
        loaded: &Venue,
        req: ReserveRequest,
        at: Addresses<'_>,
        claim: Option<&Claim>,
        member_token: Option<&str>,
        now: Timestamp,
    ) -> ApiResult<ReserveResponse> {
        let (bardge, secret) = self.bardge_client()?;
        let member = verify_member(member_token, &secret, &loaded.slug, now)?;
        self.count_reserve(now)?;
        let (offer, minutes) = Self::offer(loaded, req.resource_type_id)?;
        if req.resource_id.is_some_and(|r| r != offer.id) {
            return Err(ApiError::not_found("Resource"));
        }
        if req.quantity != 1 {
            return Err(ApiError {
                param: Some("quantity".into()),
                ..ApiError::new(
                    ErrorCode::CapacityExceeded,
                    "One place can be booked at once with a pass",
                )
            });
        }
        if let Some(url) = &req.return_url {
            if !return_url_allowed(&loaded.doc, url, at.base_url) {
                return Err(ApiError::validation(
                    "returnUrl",
                    "returnUrl must be on one of the organisation's allowed origins",
                ));
            }
        }
        let day = loaded.zone.local_date(req.start_time);
        let times = self.times(&bardge, offer, minutes, day, day).await?;
        let time = times
            .iter()
            .find(|t| t.start == req.start_time && loaded.bookable_at(t.start, now))
            .ok_or_else(|| ApiError::new(ErrorCode::SlotUnavailable, "This time can no longer be booked"))?;
        if time.end != req.end_time {
            return Err(ApiError::validation(
                "endTime",
                format!("endTime must be {} for a time starting at {}", time.end, time.start),
            ));
        }
        // The same reserve (by its key) initiates with the same key, so Bardge gives its first answer again.
        let seed = format!(
            "{}:{}",
            loaded.slug,
            claim.map_or_else(|| random_hex(16), |c| c.key().to_string())
        );
        let key = derived_key(&seed, "initiate");
        let (path, body) = match (&time.instance_id, &offer.service_id) {
            (Some(instance), _) => (
                "/bookings/class",
                ClassInitiate {
                    class_instance_id: instance,
                    client_id: &member.client_id,
                    first_name: &member.given_name,
                    last_name: &member.family_name,
                    user_pass_id: &member.pass_id,
                }
                .body(),
            ),
            (None, service) => (
                "/bookings/spa",
                SpaInitiate {
                    provider_id: &offer.provider_id,
                    service_id: service.as_deref().unwrap_or_default(),
                    scheduled_for: time.start.0,
                    client_id: &member.client_id,
                    user_pass_id: &member.pass_id,
                    first_name: &member.given_name,
                    last_name: &member.family_name,
                }
                .body(),
            ),
        };
        let reply = bardge.post(path, Some(body), Some(&key)).await?;
        if !reply.ok() {
            return Err(reply.customer_error());
        }
        let initiation = Initiation::read(&read_json(&reply.body, "bardge initiate answer")?).unwrap_or_default();
        let due = Due::of(initiation, offer.service_id.is_some()).map_err(|why| {
            internal("bardge initiate answer", why);
            ApiError::new(
                ErrorCode::UpstreamUnavailable,
                "The booking service gave an answer that cannot be used; please try again later",
            )
        })?;
        let (manage_url, manage_token_hash) = new_manage_link(at.base_url, &loaded.slug);
        let priced = due.only_price();
        let one_price = priced.is_some();
        let (session, hold_end) = match &due {
            Due::Nothing { .. } => (None, None),
            _ => {
                let (_, expires_at) = due.session().unwrap_or_default();
                let payable = loaded.doc.accepts_payments && self.payments_mode() != PaymentsMode::Unavailable;
                let amount_refused = priced
                    .as_ref()
                    .is_some_and(|p| order_refusal(&p.currency, p.amount, 1).is_some());
                if !payable || amount_refused {
                    return Err(ApiError::new(
                        ErrorCode::PaymentsUnavailable,
                        "This booking needs a co-pay, which cannot be paid online right now; please contact the reseller",
                    ));
                }
                let hold = now.0 + self.hold_seconds(&loaded.doc);
                let end = checkout_expires_at(now.0, hold, expires_at).ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::SlotUnavailable,
                        "This booking can no longer be paid in time; please book again",
                    )
                })?;
                // The answer itself is kept: `due_of` reads it again.
                (Some(reply.body.clone()), Some(Timestamp(end)))
            }
        };
        let paid = session.is_some();
        let new = NewReservation {
            resource_type_id: offer.id,
            start: time.start,
            end: time.end,
            quantity: 1,
            status: if paid {
                ReservationStatus::PendingPayment
            } else {
                ReservationStatus::Confirmed
            },
            payment_status: if paid {
                PaymentStatus::Pending
            } else {
                PaymentStatus::NotRequired
            },
            customer: CustomerInfo {
                name: Some(member.full_name()),
                email: Some(member.email.clone()),
                phone: Some(req.customer_phone.clone()),
            },
            notes: req.notes.clone(),
            unit_amount: priced.as_ref().map_or(0, |p| p.amount),
            currency: priced
                .as_ref()
                .map_or_else(|| loaded.doc.currency.clone(), |p| p.currency.clone()),
            payment_required: paid,
            hold_expires_at: hold_end,
            return_url: paid.then(|| req.return_url.clone().unwrap_or_else(|| format!("{}/", at.base_url))),
            source: "bardge",
            manage_token_hash: Some(manage_token_hash),
        };
        let booking_id = match &due {
            Due::Nothing { booking_id } => Some(booking_id.clone()),
            _ => None,
        };
        let confirm_body = priced.and_then(|p| p.confirm).map(|c| c.body());
        let sql = self.sql();
        let (stored, answer) = transaction(&self.state.storage(), || {
            // Bardge keeps the places: nothing to check here.
            let id = record(&sql, &new, &[(offer.id, 1)], now)?.id;
            exec(
                &sql,
                "UPDATE reservations SET bardge_booking_id = ?, bardge_session = ?, bardge_confirm_body = ? WHERE id = ?",
                vec![
                    booking_id.clone().into(),
                    session.clone().into(),
                    confirm_body.clone().into(),
                    id.into(),
                ],
            )?;
            let stored = self.stored(id)?;
            // A covered booking's answer is whole now; a co-pay's once its checkout started (or the choice is
            // offered).
            let answer =
                (!paid).then(|| reserve_answer(&stored, loaded, at.public_path, Some(manage_url.clone()), now));
            if let Some(claim) = claim {
                claim.link(&sql, id, answer.as_ref())?;
            }
            Ok((stored, answer))
        })?;
        if let Some(answer) = answer {
            return Ok(answer);
        }
        if one_price {
            // Straight to Checkout, where the client sees the amount.
            return self
                .start_checkout(loaded, stored, at, Some(manage_url), claim, now)
                .await;
        }
        // Several prices: the client chooses (`pay_co_pay`); the hold ends the offer.
        if let Some(end) = hold_end {
            self.wake_at(end).await;
        }
        let answer = reserve_answer(&stored, loaded, at.public_path, Some(manage_url), now);
        if let Some(claim) = claim {
            claim.finish_created(&self.sql(), &answer)?;
        }
        Ok(answer)
    }
}

impl Organisation {
    /// The client's choice of what to pay for a booking waiting for one: its price, then Stripe Checkout for
    /// exactly that amount, ending at least ten minutes before Bardge's session does.
    pub(super) async fn pay_co_pay(
        &self,
        r: &ReservationRecord,
        choice: &Choice,
        manage_url: &str,
        now: Timestamp,
    ) -> ApiResult<ReserveResponse> {
        let loaded = self.load()?;
        let base_url = manage_url
            .split("/api/public/booking/manage/")
            .next()
            .unwrap_or_default();
        let public_path = format!("/api/public/booking/organisations/{}", loaded.slug);
        let at = Addresses {
            base_url,
            public_path: &public_path,
        };
        let due = due_of(&loaded, r)
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidTransition, "Nothing is due for this booking"))?;
        if !r.payable(now) {
            return Err(ApiError::new(
                ErrorCode::InvalidTransition,
                "This booking can no longer be paid",
            ));
        }
        if r.stripe_checkout_session_id.is_some() {
            // Payment started already (a repeated click): its checkout, whatever was chosen now.
            return Ok(reserve_answer(
                r,
                &loaded,
                at.public_path,
                Some(manage_url.to_string()),
                now,
            ));
        }
        let priced = due.price(choice)?;
        if order_refusal(&priced.currency, priced.amount, 1).is_some() {
            return Err(ApiError::new(
                ErrorCode::PaymentsUnavailable,
                "This amount cannot be paid online; please contact the reseller",
            ));
        }
        let (_, expires_at) = due.session().unwrap_or_default();
        let hold = now.0 + self.hold_seconds(&loaded.doc);
        let end = checkout_expires_at(now.0, hold, expires_at).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidTransition,
                "This booking can no longer be paid in time",
            )
        })?;
        exec(
            &self.sql(),
            "UPDATE reservations SET quoted_unit_amount = ?, quoted_total_amount = ?, quoted_currency = ?,
                bardge_confirm_body = ?, hold_expires_at = ?, updated_at = ? WHERE id = ? AND stripe_session_id IS NULL",
            vec![
                priced.amount.into(),
                priced.amount.into(),
                priced.currency.clone().into(),
                priced.confirm.map(|c| c.body()).into(),
                end.into(),
                now.0.into(),
                r.id.into(),
            ],
        )?;
        let stored = self.stored(r.id)?;
        self.start_checkout(&loaded, stored, at, Some(manage_url.to_string()), None, now)
            .await
    }

    /// The follow-up after payment: Bardge confirms the session (debiting the reseller) under the key stored
    /// with the payment. No answer, a 5xx or a key being sorted out: an error, so the alarm tries again later
    /// with the same key. A refusal, a reused key or the session's end: the booking fails and is refunded.
    pub(super) async fn confirm_with_bardge(&self, r: &ReservationRecord, now: Timestamp) -> ApiResult<()> {
        #[derive(serde::Deserialize)]
        struct Confirm {
            bardge_confirm_key: Option<String>,
            bardge_confirm_body: Option<String>,
        }
        let due = due_of(&*self.load()?, r);
        let Some((session_id, expires_at)) = due.as_ref().and_then(Due::session) else {
            return Err(internal("bardge confirm", "a paid booking without its Bardge session"));
        };
        let confirm = rows::<Confirm>(
            &self.sql(),
            "SELECT bardge_confirm_key, bardge_confirm_body FROM reservations WHERE id = ?",
            vec![r.id.into()],
        )?
        .into_iter()
        .next();
        let Some(Confirm {
            bardge_confirm_key: Some(key),
            bardge_confirm_body: body,
        }) = confirm
        else {
            return Err(internal("bardge confirm", "no stored Idempotency-Key"));
        };
        if now.0 >= expires_at {
            return self.bardge_failed(
                r.id,
                "The booking could not be confirmed in time; your payment is refunded",
                now,
            );
        }
        let spa = matches!(due, Some(Due::SpaCopay { .. }));
        let path = format!("/bookings/{}/{session_id}/confirm", if spa { "spa" } else { "class" });
        let (bardge, _) = self.bardge_client()?;
        // A spa confirm has no body: none was stored for it.
        let reply = bardge.post(&path, body, Some(&key)).await?;
        if reply.ok() {
            let booking_id = booking_id(&read_json(&reply.body, "bardge booking")?)
                .ok_or_else(|| internal("bardge booking", "a booking without its id"))?;
            let sql = self.sql();
            return transaction(&self.state.storage(), || {
                exec(
                    &sql,
                    "UPDATE reservations SET status = ?, bardge_booking_id = ?, payment_action = NULL, payment_action_at = NULL,
                        payment_action_attempts = 0, updated_at = ? WHERE id = ? AND status = ?",
                    vec![
                        ReservationStatus::Confirmed.as_str().into(),
                        booking_id.clone().into(),
                        now.0.into(),
                        r.id.into(),
                        ReservationStatus::PendingPayment.as_str().into(),
                    ],
                )?;
                emit_for(&sql, EventKind::Confirmed, r.id, now)
            });
        }
        let e = reply.error.clone().unwrap_or_default();
        match verdict(reply.status, &e.code) {
            Verdict::Retry => Err(ApiError::new(
                ErrorCode::UpstreamUnavailable,
                "Bardge did not confirm the booking yet",
            )),
            Verdict::KeyReused => {
                worker::console_error!(
                    "{}",
                    serde_json::json!({"bardge_confirm": r.id, "idempotency_key_reused": true, "request_id": e.request_id,
                        "action": "refunded; the key is never replaced"})
                );
                self.bardge_failed(
                    r.id,
                    "The booking could not be confirmed; your payment is refunded",
                    now,
                )
            }
            Verdict::Refused => {
                let reason = format!("{} Your payment is refunded.", reply.customer_error().message);
                self.bardge_failed(r.id, &reason, now)
            }
        }
    }

    /// A paid Bardge booking that will not be confirmed: failed, with why, and its payment refunded.
    fn bardge_failed(&self, id: i64, reason: &str, now: Timestamp) -> ApiResult<()> {
        let sql = self.sql();
        transaction(&self.state.storage(), || {
            exec(
                &sql,
                "UPDATE reservations SET status = ?, bardge_failure = ?, updated_at = ? WHERE id = ?",
                vec![
                    ReservationStatus::Failed.as_str().into(),
                    reason.into(),
                    now.0.into(),
                    id.into(),
                ],
            )?;
            emit_for(&sql, EventKind::Cancelled, id, now)?;
            Organisation::schedule_refund(&sql, id, now)
        })
    }

    /// Cancels a booking with Bardge; one it has cancelled already counts as cancelled.
    pub(super) async fn cancel_with_bardge(&self, booking_id: &str) -> ApiResult<()> {
        let (bardge, _) = self.bardge_client()?;
        let reply = bardge
            .post(&format!("/bookings/{booking_id}/cancel"), None, None)
            .await?;
        let already = reply.error.as_ref().is_some_and(|e| e.code == "already_cancelled");
        if reply.ok() || already {
            return Ok(());
        }
        Err(reply.customer_error())
    }
}

/// A Bardge answer's JSON, read by the runtime's parser (one reader for every shape; see `wire`).
fn read_json(text: &str, what: &str) -> ApiResult<serde_json::Value> {
    from_json(text).map_err(|e| internal(what, e))
}

/// What a Bardge reservation's initiate left due, read again from the answer kept with it.
pub(super) fn due_of(loaded: &Venue, r: &ReservationRecord) -> Option<Due> {
    let offer = loaded
        .doc
        .bardge
        .as_ref()?
        .offers
        .iter()
        .find(|o| o.id == r.resource_type_id)?;
    let answer = from_json::<serde_json::Value>(r.bardge_session.as_deref()?).ok()?;
    Due::of(Initiation::read(&answer)?, offer.service_id.is_some()).ok()
}

/// The member a reserve's token names, or 401 `member_token_invalid` saying why.
fn verify_member(token: Option<&str>, secret: &str, slug: &str, now: Timestamp) -> ApiResult<Member> {
    let token = token.ok_or_else(|| {
        ApiError::new(
            ErrorCode::MemberTokenInvalid,
            "Booking here needs a signed-in member: sign in first",
        )
    })?;
    member_token::verify(token, secret, slug, now.0, |text| from_json(text).ok())
        .map_err(|refusal| ApiError::new(ErrorCode::MemberTokenInvalid, refusal.message()))
}
