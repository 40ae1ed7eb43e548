//! The API answered by the built-in engine: each route's input is validated here (before anything runs),
//! then sent to the organisation's Durable Object as a typed command.

use crate::engine::{self, Bookable, Command, DirectoryCommand, IdempotencyKey, Scope, TokenEntry, ORGANISATIONS};
use crate::http::{json_body, read_body, read_document, replayable_json};
use crate::incoming::Incoming;
use crate::origins;
use crate::runtime::setting;
use slotbook_core::digest::{fingerprint, sha256_hex};
use slotbook_core::document::is_valid_slug;
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use slotbook_core::idempotency;
use slotbook_core::request_url::RequestUrl;
use slotbook_core::route::{Flow, PublicCall, StaffCall, BODY_LIMIT, IMPORT_BODY_LIMIT};
use slotbook_core::validate::{self, Query};
use worker::{Env, Response};

/// The organisation a public call addresses; an unknown one is 404 without reaching (or creating) any
/// organisation's Durable Object.
pub async fn bookable(env: &Env, flow: &Flow) -> ApiResult<Bookable> {
    match flow {
        Flow::Organisation(slug) if is_valid_slug(slug) => {
            origins::of_organisation(env, slug).await?;
            Ok(Bookable {
                slug: slug.clone(),
                scope: None,
            })
        }
        Flow::Organisation(_) => Err(ApiError::not_found("Organisation")),
        Flow::Token(token) => {
            let command = DirectoryCommand::ResolveToken {
                token_hash: sha256_hex(token.as_bytes()),
            };
            engine::directory_json(env, &command).await
        }
    }
}

pub async fn public(
    mut req: Incoming,
    env: &Env,
    target: &Bookable,
    call: &PublicCall,
    url: &RequestUrl,
    self_origin: &str,
) -> ApiResult<Response> {
    let pairs = url.query_pairs();
    let query = Query::new(&pairs);
    let by_org = target.scope.is_none();
    let command = match call {
        PublicCall::Catalog => Command::Catalog { scope: target.scope },
        PublicCall::Availability => Command::Availability {
            query: validate::availability_query(&query, by_org)?,
            scope: target.scope,
        },
        PublicCall::Month => Command::Month {
            query: validate::month_query(&query, by_org)?,
            scope: target.scope,
        },
        PublicCall::Reserve => {
            let key = req.header(idempotency::HEADER);
            let (_, body) = json_body(&mut req, BODY_LIMIT).await?;
            let request = validate::reserve_request(&body, by_org)?;
            let idempotency = match key {
                Some(key) => {
                    idempotency::check_key(&key)?;
                    let canonical =
                        serde_json::to_value(&request).map_err(|e| crate::http::internal("fingerprint", e))?;
                    Some(IdempotencyKey {
                        key,
                        fingerprint: fingerprint(&canonical),
                    })
                }
                None => None,
            };
            Command::Reserve {
                request,
                scope: target.scope,
                base_url: self_origin.to_string(),
                public_path: url.path().trim_end_matches("/reserve").to_string(),
                idempotency,
                member_token: bearer(&req),
            }
        }
        PublicCall::CheckoutStatus => Command::CheckoutStatus {
            session_id: query.required_string("sessionId")?.to_string(),
            scope: target.scope,
        },
    };
    forward(env, &target.slug, &command).await
}

/// A staff call; answers with the organisation the key belongs to (once known), for the log line.
pub async fn staff(
    req: Incoming,
    env: &Env,
    call: StaffCall,
    url: &RequestUrl,
) -> (Option<String>, ApiResult<Response>) {
    let key = bearer(&req);
    let resolved: ApiResult<Bookable> = match key {
        None => Err(ApiError::new(
            ErrorCode::InvalidApiKey,
            "The API key is missing or invalid",
        )),
        Some(key) => {
            engine::directory_json(
                env,
                &DirectoryCommand::ResolveKey {
                    key_hash: sha256_hex(key.as_bytes()),
                },
            )
            .await
        }
    };
    match resolved {
        Ok(r) => (Some(r.slug.clone()), staff_call(req, env, call, url, &r.slug).await),
        Err(e) => (None, Err(e)),
    }
}

async fn staff_call(
    mut req: Incoming,
    env: &Env,
    call: StaffCall,
    url: &RequestUrl,
    slug: &str,
) -> ApiResult<Response> {
    let command = match call {
        StaffCall::List => {
            let pairs = url.query_pairs();
            Command::ListReservations {
                filter: validate::reservation_filter(&Query::new(&pairs))?,
            }
        }
        StaffCall::Create => Command::CreateReservation {
            changes: validate::reservation_changes(&json_body(&mut req, BODY_LIMIT).await?.1, true)?,
        },
        StaffCall::Get(id) => Command::GetReservation { id },
        StaffCall::Update(id) => Command::UpdateReservation {
            id,
            changes: validate::reservation_changes(&json_body(&mut req, BODY_LIMIT).await?.1, false)?,
        },
        StaffCall::Delete(id) => Command::DeleteReservation { id },
        StaffCall::Deliveries => Command::ListDeliveries,
    };
    forward(env, slug, &command).await
}

/// `PUT /api/admin/organisations/:slug`: replaces an organisation's catalog from one document.
pub async fn import(mut req: Incoming, env: &Env, slug: &str) -> ApiResult<Response> {
    let expected = setting(env, "ADMIN_TOKEN");
    let given = bearer(&req);
    let authorised =
        matches!((&expected, &given), (Some(e), Some(g)) if sha256_hex(e.as_bytes()) == sha256_hex(g.as_bytes()));
    if !authorised {
        return Err(ApiError::new(
            ErrorCode::InvalidApiKey,
            "The admin token is missing or invalid",
        ));
    }
    if !is_valid_slug(slug) {
        return Err(ApiError::validation(
            "slug",
            "The slug must be 2 to 64 lower-case letters, digits or dashes",
        ));
    }
    let bytes = read_body(&mut req, IMPORT_BODY_LIMIT).await?;
    let text =
        String::from_utf8(bytes).map_err(|_| ApiError::validation("body", "The request body is not UTF-8 text"))?;
    let document = read_document(&text)?;
    let tokens = document
        .resource_types
        .iter()
        .flat_map(|rt| {
            rt.resources.iter().filter_map(move |r| {
                r.public_token.as_ref().map(|t| TokenEntry {
                    token_hash: sha256_hex(t.as_bytes()),
                    scope: Scope {
                        resource_type_id: rt.id,
                        resource_id: r.id,
                    },
                })
            })
        })
        .collect();
    let key_hashes = document.api_keys.iter().map(|k| sha256_hex(k.key.as_bytes())).collect();
    let register = DirectoryCommand::Register {
        slug: slug.to_string(),
        allowed_origins: document.allowed_origins.clone(),
        tokens,
        key_hashes,
    };
    engine::directory(env, &register).await?;
    origins::forget(slug);
    forward(
        env,
        slug,
        &Command::Import {
            slug: slug.to_string(),
            document: text,
        },
    )
    .await
}

async fn forward(env: &Env, slug: &str, command: &Command) -> ApiResult<Response> {
    let answer = engine::call(env, ORGANISATIONS, slug, command).await?;
    replayable_json(answer.status, answer.body, answer.replayed)
}

fn bearer(req: &Incoming) -> Option<String> {
    let value = req.header("Authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_string())
}
