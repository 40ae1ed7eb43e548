//! What the Workers runtime provides: settings from vars and secrets, the clock, randomness.

use slotbook_core::time::Timestamp;
use wasm_bindgen::JsCast;
use worker::Env;

/// A setting from a secret (`wrangler secret put`, `.dev.vars`) or a var (wrangler.toml); empty counts as unset.
pub fn setting(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// A setting only tests use (shorter holds, faster retries): never honoured on a deploy with a live Stripe key.
pub fn test_setting(env: &Env, name: &str) -> Option<String> {
    let live = setting(env, "STRIPE_SECRET_KEY").is_some_and(|k| !k.starts_with("sk_test_"));
    setting(env, name).filter(|_| !live)
}

pub fn now() -> Timestamp {
    Timestamp::from_millis(js_sys::Date::now())
}

/// `bytes` random bytes from the runtime's CSPRNG, as hex.
pub fn random_hex(bytes: usize) -> String {
    let array = js_sys::Uint8Array::new_with_length(bytes as u32);
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok();
    if let Some(crypto) = crypto {
        let get = js_sys::Reflect::get(&crypto, &"getRandomValues".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(get) = get {
            let _ = get.call1(&crypto, &array);
        }
    }
    slotbook_core::digest::hex(&array.to_vec())
}
