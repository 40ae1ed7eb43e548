//! A Bardge organisation: its offers named at import as Bardge names them, its times asked of Bardge (through
//! the cache, see `crate::bardge`), and a reserve that verifies the member token and initiates with Bardge
//! under a key derived from the reserve's own Idempotency-Key. A booking the pass covers is confirmed at once.

use super::idempotency::Claim;
use super::reservations::{insert_reservation, NewReservation};
use super::reserve::{new_manage_link, reserve_answer, return_url_allowed, Addresses};
use super::webhooks::emit;
use super::{resource_type, schema, Organisation, Venue};
use crate::bardge::Bardge;
use crate::engine::sql::{exec, transaction};
use crate::http::{from_json, internal};
use crate::runtime::random_hex;
use slotbook_core::bardge::member_token::{self, Member};
use slotbook_core::bardge::wire::{ClassInitiate, ClassWithInstances, Initiation, List, SpaAvailability, SpaInitiate};
use slotbook_core::bardge::{derived_key, Due};
use slotbook_core::document::{BardgeOffer, OrganisationDocument};
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use slotbook_core::reservation::{PaymentStatus, ReservationStatus};
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
                let list: List<slotbook_core::bardge::wire::Class> =
                    from_json(&text).map_err(|e| internal("bardge classes", e))?;
                let c = list
                    .data
                    .iter()
                    .find(|c| &c.id == class_id)
                    .ok_or_else(|| unknown("classId"))?;
                offer.resource_type(&c.name, &c.description, c.duration_minutes, &c.provider_name)
            }
            (None, Some(service_id)) => {
                let text = bardge
                    .read(&format!("/providers/{}/services", offer.provider_id), 0)
                    .await?;
                let list: List<slotbook_core::bardge::wire::Service> =
                    from_json(&text).map_err(|e| internal("bardge services", e))?;
                let s = list
                    .data
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
            let class: ClassWithInstances = from_json(&text).map_err(|e| internal("bardge class", e))?;
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
            let slots: SpaAvailability = from_json(&text).map_err(|e| internal("bardge availability", e))?;
            times.extend(slots.slots.into_iter().map(|s| Time {
                instance_id: None,
                start: Timestamp(s.scheduled_for),
                end: Timestamp(s.scheduled_for + 60 * minutes as i64),
                capacity: 1,
                available: 1,
            }));
            day = day.add_days(1);
        }
        Ok(times)
    }

    /// The offer asked for, and the days that can be booked (from today, in the window).
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

    fn bookable(loaded: &Venue, t: &Time, now: Timestamp) -> bool {
        let today = loaded.zone.local_date(now);
        t.start > now && loaded.zone.local_date(t.start) < today.add_days(loaded.doc.booking_window_days as i64)
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
            .filter(|t| loaded.zone.local_date(t.start) == date && Self::bookable(loaded, t, now))
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
                    .filter(|t| loaded.zone.local_date(t.start) == day && Self::bookable(loaded, t, now));
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
            .find(|t| t.start == req.start_time && Self::bookable(loaded, t, now))
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
                serde_json::to_string(&ClassInitiate {
                    class_instance_id: instance,
                    client_id: &member.client_id,
                    first_name: &member.given_name,
                    last_name: &member.family_name,
                    user_pass_id: &member.pass_id,
                }),
            ),
            (None, service) => (
                "/bookings/spa",
                serde_json::to_string(&SpaInitiate {
                    provider_id: &offer.provider_id,
                    service_id: service.as_deref().unwrap_or_default(),
                    scheduled_for: time.start.0,
                    client_id: &member.client_id,
                    user_pass_id: &member.pass_id,
                    first_name: &member.given_name,
                    last_name: &member.family_name,
                }),
            ),
        };
        let body = body.map_err(|e| internal("bardge initiate", e))?;
        let reply = bardge.post(path, Some(body), Some(&key)).await?;
        if !reply.ok() {
            return Err(reply.customer_error());
        }
        let initiation: Initiation = from_json(&reply.body).map_err(|e| internal("bardge initiate answer", e))?;
        let due = Due::of(initiation, offer.service_id.is_some()).map_err(|why| {
            internal("bardge initiate answer", why);
            ApiError::new(
                ErrorCode::UpstreamUnavailable,
                "The booking service gave an answer that cannot be used; please try again later",
            )
        })?;
        let Due::Nothing { booking_id } = due else {
            return Err(ApiError::new(
                ErrorCode::PaymentsUnavailable,
                "This booking needs a co-pay, which cannot be paid online here yet; please contact the reseller",
            ));
        };
        let (manage_url, manage_token_hash) = new_manage_link(at.base_url, &loaded.slug);
        let new = NewReservation {
            resource_type_id: offer.id,
            start: time.start,
            end: time.end,
            quantity: 1,
            status: ReservationStatus::Confirmed,
            payment_status: PaymentStatus::NotRequired,
            customer: CustomerInfo {
                name: Some(member.full_name()),
                email: Some(member.email.clone()),
                phone: Some(req.customer_phone.clone()),
            },
            notes: req.notes.clone(),
            unit_amount: 0,
            currency: loaded.doc.currency.clone(),
            payment_required: false,
            hold_expires_at: None,
            return_url: None,
            source: "bardge",
            manage_token_hash: Some(manage_token_hash),
        };
        let sql = self.sql();
        transaction(&self.state.storage(), || {
            let id = insert_reservation(&sql, &new, &[(offer.id, 1)], now)?;
            exec(
                &sql,
                "UPDATE reservations SET bardge_booking_id = ? WHERE id = ?",
                vec![booking_id.clone().into(), id.into()],
            )?;
            let stored = self.stored(id)?;
            emit(&sql, EventKind::Created, &stored, now)?;
            emit(&sql, EventKind::Confirmed, &stored, now)?;
            let answer = reserve_answer(&stored, loaded, at.public_path, Some(manage_url.clone()), now);
            if let Some(claim) = claim {
                claim.link(&sql, id, Some(&answer))?;
            }
            Ok(answer)
        })
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
