//! One organisation's booking engine: a Durable Object (named by the organisation's slug) with SQLite
//! storage. Everything that must be consistent for an organisation happens here, one request at a time:
//! checking places and allocating them is one synchronous step, so concurrent reserves never overbook.
//!
//! - [`schema`]: the tables, and the catalog stored from and read back into an organisation document.
//! - [`reservations`]: reservation rows, their allocations, and the places they hold.
//! - [`book`]: placing a reservation (places → row → events): the reserve, the staff API, the reschedule.
//! - [`reserve`]: a public reserve (validate → hold places → start checkout) and the checkout status.
//! - [`idempotency`]: Idempotency-Keys, written in the same transaction as the reservation they make.
//! - [`payments`]: payment holds and their alarm, Stripe events, refunds, the local test checkout's view.
//! - [`manage`]: what a customer does through their manage link: see, cancel, move, add to a calendar.
//! - [`staff`]: the staff reservations API.
//! - [`webhooks`]: events to the venue's own endpoints, queued with each change and delivered by the alarm.
//! - [`bardge`]: an organisation that books through a Bardge reseller account: its times and its reserve.

mod alarm;
mod bardge;
mod book;
mod idempotency;
mod manage;
mod payments;
mod reservations;
mod reserve;
mod schema;
mod staff;
mod webhooks;

pub use idempotency::idempotency_answer;

use super::sql::migrate;
use super::{Command, Scope, Settings};
use crate::http::{error_response, internal, json};
use crate::runtime::now;
use slotbook_core::availability::{OpeningHours, ResourceCapacity, Zone};
use slotbook_core::document::{OrganisationDocument, ResourceTypeDoc};
use slotbook_core::error::{ApiError, ApiResult};
use slotbook_core::stripe::PaymentsMode;
use slotbook_core::time::Timestamp;
use slotbook_core::validate::AvailabilityQuery;
use slotbook_core::wire::{Availability, DayAvailability, MonthAvailability};
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State};

#[durable_object]
pub struct Organisation {
    state: State,
    env: Env,
    /// The catalog as stored, read once per object life and after each import.
    loaded: RefCell<Option<Rc<Venue>>>,
    /// Idempotency claims made by requests still running in this instance (see [`idempotency`]), and the
    /// payment follow-ups being run (`follow-up:{reservation id}`, see [`payments`]).
    running: RefCell<HashSet<String>>,
    /// Whether the schema is known to exist (it is created by an import or a proxy-mode key, nothing else).
    migrated: RefCell<bool>,
}

struct Venue {
    slug: String,
    doc: OrganisationDocument,
    zone: Zone,
    /// Each service's weekly hours, by service id (a handful: found by looking, no hash map in the Worker).
    hours: Vec<(i64, Vec<OpeningHours>)>,
}

impl Venue {
    /// Whether a time starting at `start` may still be booked at `now`: not begun, and on a day inside the
    /// booking window (in the organisation's zone). The reserve, a move and a Bardge time ask the same.
    fn bookable_at(&self, start: Timestamp, now: Timestamp) -> bool {
        let window_end = self.zone.local_date(now).add_days(self.doc.booking_window_days as i64);
        start > now && self.zone.local_date(start) < window_end
    }

    /// A service's slots: its weekly hours (read once per load) in the organisation's zone, minus closures.
    fn schedule<'a>(&'a self, rt: &ResourceTypeDoc) -> slotbook_core::availability::Schedule<'a> {
        let hours = self
            .hours
            .iter()
            .find(|(id, _)| *id == rt.id)
            .map(|(_, h)| h.as_slice())
            .unwrap_or_default();
        rt.schedule(&self.zone, hours, &self.doc.closed_dates)
    }
}

impl DurableObject for Organisation {
    fn new(state: State, env: Env) -> Self {
        Organisation {
            state,
            env,
            loaded: RefCell::new(None),
            running: RefCell::new(HashSet::new()),
            migrated: RefCell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command = super::read_command::<Command>(&mut req).await;
        let now = now();
        let answer = match command {
            Ok(c) => self.run(c, now).await,
            Err(e) => Err(e),
        };
        Ok(answer.unwrap_or_else(|e| error_response(&e, "")))
    }

    /// At a hold's end (and when a refund is due again): settle what is due, then wake for the next.
    async fn alarm(&self) -> Result<Response> {
        if self.schema_exists().unwrap_or(false) {
            // Places and money first: a venue's slow webhook endpoint (up to 10 s a delivery) must not keep
            // expired holds' places from customers.
            if let Err(e) = self.settle_due(now()).await {
                worker::console_error!("settling holds failed: {e}");
                let _ = self.state.storage().set_alarm(60_000i64).await; // an offset: try again in a minute
            }
            if let Err(e) = self.deliver_webhooks(now()).await {
                worker::console_error!("webhook deliveries failed: {e}");
            }
            // The deliveries just tried may be due again before anything else.
            if let Err(e) = self.wake_for_next(Timestamp(now().0 + 1)).await {
                worker::console_error!("setting the alarm failed: {e}");
            }
        }
        Response::ok("")
    }
}

impl Organisation {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    /// Creates or updates the schema. Only commands that bring an organisation into being call it, so an
    /// unknown slug never gets tables.
    fn ensure_schema(&self) -> ApiResult<()> {
        if !*self.migrated.borrow() {
            migrate(&self.sql(), schema::MIGRATIONS)?;
            self.migrated.replace(true);
        }
        Ok(())
    }

    /// Whether this object holds an organisation's schema; applies pending migrations when it does.
    fn schema_exists(&self) -> ApiResult<bool> {
        if *self.migrated.borrow() {
            return Ok(true);
        }
        let exists = super::sql::exists(
            &self.sql(),
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            vec![],
        )?;
        if exists {
            self.ensure_schema()?;
        }
        Ok(exists)
    }

    async fn run(&self, command: Command, now: Timestamp) -> ApiResult<Response> {
        match &command {
            Command::Import { .. } | Command::ClaimIdempotencyKey { .. } => self.ensure_schema()?,
            _ if !self.schema_exists()? => return Err(super::not_found_organisation()),
            _ => {}
        }
        let changes = matches!(
            command,
            Command::Reserve { .. }
                | Command::CreateReservation { .. }
                | Command::UpdateReservation { .. }
                | Command::ApplyCheckoutEvent { .. }
                | Command::Manage { .. }
        );
        let answer = self.answer(command, now).await;
        if changes {
            // What the change made due (a webhook delivery, a follow-up at Stripe) goes out by the alarm.
            if let Err(e) = self.wake_for_next(now).await {
                worker::console_error!("setting the alarm failed: {e}");
            }
        }
        answer
    }

    async fn answer(&self, command: Command, now: Timestamp) -> ApiResult<Response> {
        match command {
            Command::Import { slug, document } => {
                let mut document = crate::http::read_document(&document)?;
                bardge::name_offers(&self.env, &mut document).await?;
                let sql = self.sql();
                super::sql::transaction(&self.state.storage(), || {
                    schema::store_document(&sql, &slug, &document, now)
                })?;
                self.loaded.replace(None);
                json(
                    200,
                    &serde_json::json!({"slug": slug, "resourceTypes": document.resource_types.len()}),
                )
            }
            Command::Settings => {
                let loaded = self.load()?;
                json(
                    200,
                    &Settings {
                        allowed_origins: loaded.doc.allowed_origins.clone(),
                    },
                )
            }
            Command::Catalog { scope } => {
                let loaded = self.load()?;
                let today = loaded.zone.local_date(now);
                let mut catalog =
                    loaded
                        .doc
                        .catalog(&loaded.slug, today, scope.map(|s| (s.resource_type_id, s.resource_id)));
                // An edge that cannot take payments says so, whatever the document says.
                catalog.organisation.accepts_payments &= self.payments_mode() != PaymentsMode::Unavailable;
                json(200, &catalog)
            }
            Command::Availability { query, scope } => {
                let loaded = self.load()?;
                let answer = if loaded.doc.bardge.is_some() {
                    self.bardge_availability(&loaded, query.date, query.resource_type_id, now)
                        .await?
                } else {
                    self.availability(query, scope, now)?
                };
                json(200, &answer)
            }
            Command::Month { query, scope } => {
                let loaded = self.load()?;
                let answer = if loaded.doc.bardge.is_some() {
                    self.bardge_month(&loaded, query.date, query.resource_type_id, now)
                        .await?
                } else {
                    self.month(query, scope, now)?
                };
                json(200, &answer)
            }
            Command::Reserve {
                request,
                scope,
                base_url,
                public_path,
                idempotency,
                member_token,
            } => {
                let at = reserve::Addresses {
                    base_url: &base_url,
                    public_path: &public_path,
                };
                self.reserve_once(request, scope, at, idempotency, member_token.as_deref(), now)
                    .await
            }
            Command::ClaimIdempotencyKey { key } => self.claim_for_upstream(&key, now),
            Command::FinishIdempotencyKey { key, claim_id, answer } => {
                self.finish_for_upstream(&key, &claim_id, answer)?;
                Ok(Response::empty().map_err(|e| internal("finish", e))?.with_status(204))
            }
            Command::CheckoutStatus { session_id, scope } => json(200, &self.checkout_status(&session_id, scope, now)?),
            Command::ListReservations { filter } => json(200, &self.list(&filter)?),
            Command::CreateReservation { changes } => json(201, &self.staff_create(changes, now)?),
            Command::GetReservation { id } => json(200, &self.reservation(id)?),
            Command::UpdateReservation { id, changes } => json(200, &self.staff_update(id, changes, now).await?),
            Command::DeleteReservation { id } => json(200, &self.staff_delete(id)?),
            Command::ApplyCheckoutEvent { event } => json(200, &self.apply_checkout_event(&event, now).await?),
            Command::CheckoutSession { session_id, base_url } => {
                json(200, &self.checkout_session(&session_id, &base_url)?)
            }
            Command::Manage {
                token_hash,
                action,
                manage_url,
            } => self.manage(&token_hash, action, &manage_url, now).await,
            Command::ListDeliveries => json(200, &self.deliveries()?),
        }
    }

    fn load(&self) -> ApiResult<Rc<Venue>> {
        if let Some(l) = self.loaded.borrow().as_ref() {
            return Ok(l.clone());
        }
        let (slug, doc) = schema::load_document(&self.sql())?.ok_or_else(super::not_found_organisation)?;
        let zone = Zone::named(&doc.time_zone).ok_or_else(|| internal("stored time zone", &doc.time_zone))?;
        let hours = doc.resource_types.iter().map(|rt| (rt.id, rt.weekly_hours())).collect();
        let loaded = Rc::new(Venue { slug, doc, zone, hours });
        self.loaded.replace(Some(loaded.clone()));
        Ok(loaded)
    }

    fn payments_mode(&self) -> PaymentsMode {
        crate::stripe::payments_mode(&self.env)
    }

    fn availability(&self, query: AvailabilityQuery, scope: Option<Scope>, now: Timestamp) -> ApiResult<Availability> {
        let loaded = self.load()?;
        let (rt, resource_id, resources) = asked_for(&loaded, &query, scope)?;
        let today = loaded.zone.local_date(now);
        let in_window = query.date >= today && query.date < today.add_days(loaded.doc.booking_window_days as i64);
        let slots = if in_window {
            let schedule = loaded.schedule(rt);
            let day_start = Timestamp(query.date.days() * 86_400 - 86_400);
            let booked = reservations::holding(&self.sql(), day_start, Timestamp(day_start.0 + 3 * 86_400), None, now)?;
            schedule.day(query.date, &resources, &booked, now)
        } else {
            Vec::new()
        };
        Ok(Availability {
            date: query.date,
            time_zone: loaded.doc.time_zone.clone(),
            resource_type_id: rt.id,
            resource_id,
            slots,
        })
    }
}

impl Organisation {
    /// Each day of a month: how many slots it has and the most places free in one (reservations read once).
    fn month(&self, query: AvailabilityQuery, scope: Option<Scope>, now: Timestamp) -> ApiResult<MonthAvailability> {
        let loaded = self.load()?;
        let (rt, resource_id, resources) = asked_for(&loaded, &query, scope)?;
        let first = query.date.first_of_month();
        let today = loaded.zone.local_date(now);
        let last_bookable = today.add_days(loaded.doc.booking_window_days as i64 - 1);
        let schedule = loaded.schedule(rt);
        let from = Timestamp(first.days() * 86_400 - 86_400);
        let to = Timestamp((first.days() + first.days_in_month() as i64 + 1) * 86_400);
        let booked = reservations::holding(&self.sql(), from, to, None, now)?;
        let days = (0..first.days_in_month() as i64)
            .map(|i| {
                let date = first.add_days(i);
                let slots = if date >= today && date <= last_bookable {
                    schedule.day(date, &resources, &booked, now)
                } else {
                    Vec::new()
                };
                DayAvailability {
                    date,
                    slots: slots.len() as u32,
                    available: slots.iter().map(|s| s.available).max().unwrap_or(0),
                }
            })
            .collect();
        Ok(MonthAvailability {
            month: first,
            resource_type_id: rt.id,
            resource_id,
            days,
        })
    }
}

/// The service (and resource) an availability query asks about: a booking token's own, or the query's.
fn asked_for<'a>(
    loaded: &'a Venue,
    query: &AvailabilityQuery,
    scope: Option<Scope>,
) -> ApiResult<(&'a ResourceTypeDoc, Option<i64>, Vec<ResourceCapacity>)> {
    let type_id = scope
        .map(|s| s.resource_type_id)
        .or(query.resource_type_id)
        .ok_or_else(|| ApiError::validation("resourceTypeId", "resourceTypeId is required"))?;
    let resource_id = scope.map(|s| s.resource_id).or(query.resource_id);
    let rt = resource_type(&loaded.doc, type_id)?;
    let resources = candidates(rt, resource_id.map(|r| vec![r]).as_deref())?;
    Ok((rt, resource_id, resources))
}

fn resource_type(doc: &OrganisationDocument, id: i64) -> ApiResult<&ResourceTypeDoc> {
    doc.resource_type(id).ok_or_else(|| ApiError {
        param: Some("resourceTypeId".into()),
        ..ApiError::not_found("Resource type")
    })
}

/// The resources of a type a reservation may use: all of them, or the ones asked for (each must belong).
fn candidates(rt: &ResourceTypeDoc, wanted: Option<&[i64]>) -> ApiResult<Vec<ResourceCapacity>> {
    let all = rt.resources.iter().map(|r| ResourceCapacity {
        resource_id: r.id,
        capacity: r.capacity,
    });
    match wanted {
        None => Ok(all.collect()),
        Some(ids) => {
            if let Some(missing) = ids.iter().find(|id| !rt.resources.iter().any(|r| r.id == **id)) {
                return Err(ApiError {
                    param: Some("resourceId".into()),
                    ..ApiError::not_found(&format!("Resource {missing} of this type"))
                });
            }
            Ok(all.filter(|r| ids.contains(&r.resource_id)).collect())
        }
    }
}
