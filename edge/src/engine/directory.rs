//! The directory: one Durable Object that knows which organisations exist (and the websites allowed to
//! book with each), and which organisation a legacy booking token or a staff API key belongs to. Tokens
//! and keys are kept only as SHA-256 digests.

use super::sql::{exec, exists, migrate, rows, transaction};
use super::{Bookable, Scope};
use crate::http::{error_response, json};
use serde::{Deserialize, Serialize};
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State};

const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE tokens (token_hash TEXT PRIMARY KEY, slug TEXT NOT NULL, resource_type_id INTEGER NOT NULL,
                         resource_id INTEGER NOT NULL);
    CREATE INDEX tokens_by_slug ON tokens (slug);
    CREATE TABLE api_keys (key_hash TEXT PRIMARY KEY, slug TEXT NOT NULL);
    CREATE INDEX api_keys_by_slug ON api_keys (slug)
",
    "
    CREATE TABLE forwarded_events (id TEXT PRIMARY KEY, forwarded_at INTEGER NOT NULL)
",
    "
    CREATE TABLE organisations (slug TEXT PRIMARY KEY, allowed_origins TEXT);
    INSERT OR IGNORE INTO organisations (slug) SELECT slug FROM tokens UNION SELECT slug FROM api_keys
",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenEntry {
    pub token_hash: String,
    pub scope: Scope,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryCommand {
    /// Records an organisation and replaces its tokens and keys; refused whole if one belongs to another
    /// organisation.
    Register {
        slug: String,
        allowed_origins: Vec<String>,
        tokens: Vec<TokenEntry>,
        key_hashes: Vec<String>,
    },
    /// Answers `{"allowedOrigins"}` for a known organisation, 404 for any other slug.
    LookupOrganisation {
        slug: String,
    },
    ResolveToken {
        token_hash: String,
    },
    ResolveKey {
        key_hash: String,
    },
    /// Proxy mode: whether the upstream already accepted this Stripe event.
    EventForwarded {
        event_id: String,
    },
    /// Proxy mode: the upstream accepted this Stripe event.
    MarkForwarded {
        event_id: String,
        at: i64,
    },
}

#[durable_object]
pub struct Directory {
    state: State,
}

impl DurableObject for Directory {
    fn new(state: State, _env: Env) -> Self {
        if let Err(e) = migrate(&state.storage().sql(), MIGRATIONS) {
            worker::console_error!("directory migration failed: {e}");
        }
        Directory { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command: ApiResult<DirectoryCommand> = super::read_command(&mut req).await;
        Ok(match command.and_then(|c| self.run(c)) {
            Ok(r) => r,
            Err(e) => error_response(&e, ""),
        })
    }
}

impl Directory {
    fn run(&self, command: DirectoryCommand) -> ApiResult<Response> {
        let sql = self.state.storage().sql();
        match command {
            DirectoryCommand::Register {
                slug,
                allowed_origins,
                tokens,
                key_hashes,
            } => {
                transaction(&self.state.storage(), || {
                    register(&sql, &slug, &tokens, &key_hashes)?;
                    let origins =
                        serde_json::to_string(&allowed_origins).map_err(|e| crate::http::internal("origins", e))?;
                    exec(
                        &sql,
                        "INSERT OR REPLACE INTO organisations (slug, allowed_origins) VALUES (?, ?)",
                        vec![slug.clone().into(), origins.into()],
                    )
                })?;
                json(200, &serde_json::json!({"registered": true}))
            }
            DirectoryCommand::LookupOrganisation { slug } => {
                #[derive(Deserialize)]
                struct Row {
                    allowed_origins: Option<String>,
                }
                let found = rows::<Row>(
                    &sql,
                    "SELECT allowed_origins FROM organisations WHERE slug = ?",
                    vec![slug.into()],
                )?;
                let row = found.into_iter().next().ok_or_else(super::not_found_organisation)?;
                let origins: Option<Vec<String>> = row.allowed_origins.and_then(|o| crate::http::from_json(&o).ok());
                json(200, &serde_json::json!({"allowedOrigins": origins}))
            }
            DirectoryCommand::ResolveToken { token_hash } => {
                #[derive(Deserialize)]
                struct Row {
                    slug: String,
                    resource_type_id: i64,
                    resource_id: i64,
                }
                let found = rows::<Row>(
                    &sql,
                    "SELECT slug, resource_type_id, resource_id FROM tokens WHERE token_hash = ?",
                    vec![token_hash.into()],
                )?;
                let row = found
                    .into_iter()
                    .next()
                    .ok_or_else(|| ApiError::not_found("Booking link"))?;
                let scope = Scope {
                    resource_type_id: row.resource_type_id,
                    resource_id: row.resource_id,
                };
                json(
                    200,
                    &Bookable {
                        slug: row.slug,
                        scope: Some(scope),
                    },
                )
            }
            DirectoryCommand::EventForwarded { event_id } => {
                let seen = exists(
                    &sql,
                    "SELECT 1 FROM forwarded_events WHERE id = ?",
                    vec![event_id.into()],
                )?;
                json(200, &serde_json::json!({"seen": seen}))
            }
            DirectoryCommand::MarkForwarded { event_id, at } => {
                exec(
                    &sql,
                    "INSERT OR IGNORE INTO forwarded_events (id, forwarded_at) VALUES (?, ?)",
                    vec![event_id.into(), at.into()],
                )?;
                json(200, &serde_json::json!({"marked": true}))
            }
            DirectoryCommand::ResolveKey { key_hash } => {
                #[derive(Deserialize)]
                struct Row {
                    slug: String,
                }
                let found = rows::<Row>(
                    &sql,
                    "SELECT slug FROM api_keys WHERE key_hash = ?",
                    vec![key_hash.into()],
                )?;
                let row = found
                    .into_iter()
                    .next()
                    .ok_or_else(|| ApiError::new(ErrorCode::InvalidApiKey, "The API key is missing or invalid"))?;
                json(
                    200,
                    &Bookable {
                        slug: row.slug,
                        scope: None,
                    },
                )
            }
        }
    }
}

fn register(sql: &SqlStorage, slug: &str, tokens: &[TokenEntry], key_hashes: &[String]) -> ApiResult<()> {
    #[derive(Deserialize)]
    struct Owner {
        slug: String,
    }
    for (i, t) in tokens.iter().enumerate() {
        let owners = rows::<Owner>(
            sql,
            "SELECT slug FROM tokens WHERE token_hash = ?",
            vec![t.token_hash.clone().into()],
        )?;
        if owners.iter().any(|o| o.slug != slug) {
            return Err(ApiError::validation(
                "publicToken",
                format!("public token #{} is already used by another organisation", i + 1),
            ));
        }
    }
    for (i, k) in key_hashes.iter().enumerate() {
        let owners = rows::<Owner>(
            sql,
            "SELECT slug FROM api_keys WHERE key_hash = ?",
            vec![k.clone().into()],
        )?;
        if owners.iter().any(|o| o.slug != slug) {
            return Err(ApiError::validation(
                &format!("apiKeys[{i}].key"),
                "the API key is already used by another organisation",
            ));
        }
    }
    exec(sql, "DELETE FROM tokens WHERE slug = ?", vec![slug.into()])?;
    exec(sql, "DELETE FROM api_keys WHERE slug = ?", vec![slug.into()])?;
    for t in tokens {
        exec(
            sql,
            "INSERT INTO tokens (token_hash, slug, resource_type_id, resource_id) VALUES (?, ?, ?, ?)",
            vec![
                t.token_hash.clone().into(),
                slug.into(),
                t.scope.resource_type_id.into(),
                t.scope.resource_id.into(),
            ],
        )?;
    }
    for k in key_hashes {
        exec(
            sql,
            "INSERT INTO api_keys (key_hash, slug) VALUES (?, ?)",
            vec![k.clone().into(), slug.into()],
        )?;
    }
    Ok(())
}
