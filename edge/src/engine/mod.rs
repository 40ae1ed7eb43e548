//! The built-in booking engine. The Worker talks to its Durable Objects with typed [`Command`]s as JSON
//! and gets JSON back: a success body, or an error in the shared shape (the gateway adds the request id).

mod directory;
mod organisation;
mod sql;

pub use directory::{Directory, DirectoryCommand, TokenEntry};
pub use organisation::{idempotency_answer, Organisation};

use crate::http::{from_json, internal, parse_error};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use slotbook_core::error::{ApiError, ApiResult};
use slotbook_core::validate::AvailabilityQuery;
use slotbook_core::wire::{ReservationChanges, ReservationFilter, ReserveRequest};
use worker::{Env, Headers, Method, Request};

pub const ORGANISATIONS: &str = "ORGANISATIONS";
pub const DIRECTORY: &str = "DIRECTORY";

/// What a public call may book: an organisation, and through a booking token only the one resource it
/// publishes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bookable {
    pub slug: String,
    pub scope: Option<Scope>,
}

/// The one resource a legacy booking token publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub resource_type_id: i64,
    pub resource_id: i64,
}

/// What the Worker asks an organisation's Durable Object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// `document` is the document's JSON as the admin sent it (checked by the Worker, parsed again here, so
    /// that the document has one reader).
    Import {
        slug: String,
        document: String,
    },
    Settings,
    Catalog {
        scope: Option<Scope>,
    },
    Availability {
        query: AvailabilityQuery,
        scope: Option<Scope>,
    },
    /// Which days of `query.date`'s month have room.
    Month {
        query: AvailabilityQuery,
        scope: Option<Scope>,
    },
    /// `public_path` is where the caller booked (`/api/public/booking/organisations/:slug` or `/…/:token`).
    Reserve {
        request: ReserveRequest,
        scope: Option<Scope>,
        base_url: String,
        public_path: String,
        idempotency: Option<IdempotencyKey>,
        /// Bardge mode: the member token that says who is booking (verified by the organisation, which holds
        /// the secret).
        member_token: Option<String>,
    },
    CheckoutStatus {
        session_id: String,
        scope: Option<Scope>,
    },
    ListReservations {
        filter: ReservationFilter,
    },
    CreateReservation {
        changes: ReservationChanges,
    },
    GetReservation {
        id: i64,
    },
    UpdateReservation {
        id: i64,
        changes: ReservationChanges,
    },
    DeleteReservation {
        id: i64,
    },
    /// Proxy mode: the edge keeps the Idempotency-Keys of reserves it forwards. Answers `{"claimId"}` when
    /// the key is claimed for a new request, or the stored answer (with `Idempotent-Replayed`).
    ClaimIdempotencyKey {
        key: IdempotencyKey,
    },
    /// Proxy mode: the answer to keep for a claimed key; `None` releases the key (the upstream failed).
    FinishIdempotencyKey {
        key: String,
        claim_id: String,
        answer: Option<(u16, String)>,
    },
    ApplyCheckoutEvent {
        event: slotbook_core::stripe::CheckoutEvent,
    },
    CheckoutSession {
        session_id: String,
        base_url: String,
    },
    /// What a customer does through a manage link: the token's digest names the reservation; `manage_url`
    /// is the link itself (for the calendar file and the answer's links).
    Manage {
        token_hash: String,
        action: ManageAction,
        manage_url: String,
    },
    /// Staff: the most recent webhook deliveries and how they went.
    ListDeliveries,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManageAction {
    View,
    Cancel,
    Reschedule {
        start_time: slotbook_core::time::Timestamp,
        end_time: slotbook_core::time::Timestamp,
    },
    /// Answers `{"ics": "…", "reservationId": N}`.
    Calendar,
    /// Bardge mode: pay for what the client chose; answers the reserve's answer with its checkout.
    Pay {
        choice: slotbook_core::bardge::Choice,
    },
}

/// The Idempotency-Key of a reserve and the fingerprint of its (validated, canonical) request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdempotencyKey {
    pub key: String,
    pub fingerprint: String,
}

/// An organisation's settings the gateway needs before routing (CORS).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub allowed_origins: Vec<String>,
}

/// A success answer of an engine command, with its HTTP status.
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

/// Sends a command to a Durable Object by name and returns its answer, or its error.
pub async fn call<C: Serialize>(env: &Env, binding: &str, name: &str, command: &C) -> ApiResult<Answer> {
    let body = serde_json::to_string(command).map_err(|e| internal("encode command", e))?;
    send(env, binding, name, body).await
}

// Apart from `call` so that the async body exists once, not once per command type.
async fn send(env: &Env, binding: &str, name: &str, body: String) -> ApiResult<Answer> {
    let namespace = env
        .durable_object(binding)
        .map_err(|e| internal("durable object binding", e))?;
    let stub = namespace
        .get_by_name(name)
        .map_err(|e| internal("durable object stub", e))?;
    let req = crate::http::outgoing(
        "https://engine.internal/",
        Method::Post,
        &Headers::new(),
        Some(body.into()),
        false,
    )
    .into_request()
    .map_err(|e| internal("engine request", e))?;
    let resp = stub
        .fetch_with_request(req)
        .await
        .map_err(|e| internal("engine call", e))?;
    let status = resp.status_code();
    let replayed = resp
        .headers()
        .get(slotbook_core::idempotency::REPLAYED_HEADER)
        .ok()
        .flatten()
        .is_some();
    let retry_after = crate::http::retry_after(&resp);
    let body = crate::http::body_text(resp)
        .await
        .map_err(|e| internal("engine answer", e))?;
    if status >= 400 {
        let mut e = parse_error(status, &body);
        e.retry_after = retry_after;
        e.replayed = replayed;
        return Err(e);
    }
    Ok(Answer { status, body, replayed })
}

/// Like [`call`], for answers the Worker reads itself.
pub async fn call_json<C: Serialize, T: DeserializeOwned>(
    env: &Env,
    binding: &str,
    name: &str,
    command: &C,
) -> ApiResult<T> {
    let answer = call(env, binding, name, command).await?;
    from_json(&answer.body).map_err(|e| internal("decode engine answer", e))
}

/// The command a Durable Object was sent (by [`call`]: JSON the Worker wrote, so parsed without the depth
/// check that guards the Worker's own input).
pub async fn read_command<C: DeserializeOwned>(req: &mut Request) -> ApiResult<C> {
    let text = req.text().await.map_err(|e| internal("command body", e))?;
    let value = js_sys::JSON::parse(&text).map_err(|e| internal("decode command", js_sys::Error::from(e).message()))?;
    slotbook_core::js_value::from_js(value).map_err(|e| internal("decode command", e))
}

/// A command to the one Directory object (booking tokens, API keys, organisations, forwarded events).
pub async fn directory(env: &Env, command: &DirectoryCommand) -> ApiResult<Answer> {
    call(env, DIRECTORY, "directory", command).await
}

/// Like [`directory`], for answers the Worker reads itself.
pub async fn directory_json<T: DeserializeOwned>(env: &Env, command: &DirectoryCommand) -> ApiResult<T> {
    call_json(env, DIRECTORY, "directory", command).await
}

pub(crate) fn not_found_organisation() -> ApiError {
    ApiError::not_found("Organisation")
}
