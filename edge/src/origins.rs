//! Which organisations exist and which websites may call or frame the widget for each: asked of the
//! directory (so an unknown slug never reaches, nor creates, an organisation's Durable Object) and kept
//! briefly per isolate, so preflights and reads do not each ask.

use crate::engine::{self, Command, DirectoryCommand, Settings, ORGANISATIONS};
use crate::runtime::setting;
use serde::Deserialize;
use slotbook_core::error::ApiResult;
use std::cell::RefCell;
use std::collections::HashMap;
use worker::Env;

thread_local! {
    static KNOWN: RefCell<HashMap<String, (f64, Vec<String>)>> = RefCell::new(HashMap::new());
}

const TTL_MS: f64 = 30_000.0;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Known {
    /// `None` for an organisation registered before the directory kept origins: asked of it once.
    allowed_origins: Option<Vec<String>>,
}

/// The allowed origins of an organisation the directory knows; 404 `resource_not_found` for any other slug.
pub async fn of_organisation(env: &Env, slug: &str) -> ApiResult<Vec<String>> {
    let now = js_sys::Date::now();
    let cached = KNOWN.with(|c| {
        c.borrow()
            .get(slug)
            .filter(|(at, _)| now - at < TTL_MS)
            .map(|(_, o)| o.clone())
    });
    if let Some(origins) = cached {
        return Ok(origins);
    }
    let known: Known =
        engine::directory_json(env, &DirectoryCommand::LookupOrganisation { slug: slug.to_string() }).await?;
    let origins = match known.allowed_origins {
        Some(o) => o,
        None => {
            engine::call_json::<_, Settings>(env, ORGANISATIONS, slug, &Command::Settings)
                .await?
                .allowed_origins
        }
    };
    let origins: Vec<String> = origins.iter().map(|o| o.trim_end_matches('/').to_string()).collect();
    KNOWN.with(|c| c.borrow_mut().insert(slug.to_string(), (now, origins.clone())));
    Ok(origins)
}

/// Drops what this isolate keeps of an organisation (after an import here changed it; other isolates keep
/// theirs for at most `TTL_MS`).
pub fn forget(slug: &str) {
    KNOWN.with(|c| c.borrow_mut().remove(slug));
}

/// Proxy mode: the ALLOWED_ORIGINS setting (the upstream's organisations are not known here).
pub fn of_setting(env: &Env) -> Vec<String> {
    let setting = setting(env, "ALLOWED_ORIGINS").unwrap_or_default();
    setting
        .split(',')
        .map(|o| o.trim().trim_end_matches('/').to_string())
        .filter(|o| !o.is_empty())
        .collect()
}
