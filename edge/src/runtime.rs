//! What the Workers runtime provides: settings from vars and secrets, the clock, randomness.

use slotbook_core::time::Timestamp;
use worker::Env;

/// A setting from a secret (`wrangler secret put`, `.dev.vars`) or a var (wrangler.toml); empty counts as unset.
pub fn setting(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// A number of seconds only tests set (shorter holds, faster retries, shorter keeping), when positive: never
/// honoured on a deploy with a live Stripe key.
pub fn test_seconds(env: &Env, name: &str) -> Option<i64> {
    let live = setting(env, "STRIPE_SECRET_KEY").is_some_and(|k| !k.starts_with("sk_test_"));
    setting(env, name)
        .filter(|_| !live)
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|s| *s > 0)
}

/// The edge's own origin (`PUBLIC_ORIGIN`, e.g. `https://book.example.com`). Every URL the edge hands out
/// (manage links, checkout pages, the default return URL) is built on it, and a `returnUrl` on it is accepted:
/// never on the request's Host, which the client chooses.
pub fn public_origin(env: &Env) -> Option<String> {
    setting(env, "PUBLIC_ORIGIN").and_then(|v| slotbook_core::validate::origin_of(v.trim()))
}

/// The configured origin where a URL must be handed out: without it the edge refuses (fails closed) rather
/// than building links on whatever host a request names.
pub fn require_public_origin(origin: Option<&str>) -> slotbook_core::error::ApiResult<&str> {
    origin.ok_or_else(|| {
        crate::http::internal(
            "configuration",
            "PUBLIC_ORIGIN is not set to an origin such as https://book.example.com",
        )
    })
}

pub fn now() -> Timestamp {
    Timestamp::from_millis(js_sys::Date::now())
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// Web Crypto's CSPRNG, filling a buffer of the wasm's memory in place.
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buffer: &mut [u8]);
}

/// `bytes` random bytes from the runtime's CSPRNG, as hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    get_random_values(&mut buffer);
    slotbook_core::digest::hex(&buffer)
}
