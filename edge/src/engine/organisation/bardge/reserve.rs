//! A reserve of a Bardge organisation: the member token verified, the time checked against Bardge's, the
//! booking initiated with Bardge under a key derived from the reserve's Idempotency-Key, and recorded.

use super::super::book::record;
use super::super::idempotency::Claim;
use super::super::reservations::NewReservation;
use super::super::reserve::{new_manage_link, reserve_answer, return_url_allowed, Addresses};
use super::super::{Organisation, Venue};
use super::read_json;
use crate::engine::sql::{exec, transaction};
use crate::http::{from_json, internal};
use crate::runtime::random_hex;
use slotbook_core::bardge::member_token::{self, Member};
use slotbook_core::bardge::wire::{ClassInitiate, Initiation, SpaInitiate};
use slotbook_core::bardge::{checkout_expires_at, derived_key, Due};
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use slotbook_core::reservation::{PaymentStatus, ReservationStatus};
use slotbook_core::stripe::{order_refusal, PaymentsMode};
use slotbook_core::time::Timestamp;
use slotbook_core::wire::{CustomerInfo, ReserveRequest, ReserveResponse};

impl Organisation {
    /// A reserve of a Bardge organisation, for the member the token names.
    pub(in crate::engine::organisation) async fn reserve_with_bardge(
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
