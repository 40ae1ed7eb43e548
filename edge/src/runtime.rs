//! What the Workers runtime provides: settings from vars and secrets, the clock, randomness, the log.

use slotbook_core::time::Timestamp;
use wasm_bindgen::JsCast;
use worker::Env;

/// A setting from a secret (`wrangler secret put`, `.dev.vars`) or a var (wrangler.toml); empty counts as unset.
/// Both are strings on the env object, read as they are (the worker crate's typed getters would ask each
/// value's constructor for its name, and format an error for each one that is not set, on every call).
pub fn setting(env: &Env, name: &str) -> Option<String> {
    binding(env, name)?.as_string().filter(|v| !v.trim().is_empty())
}

/// A binding or setting on the env object, if there is one by that name.
pub fn binding(env: &Env, name: &str) -> Option<wasm_bindgen::JsValue> {
    js_sys::Reflect::get(env, &name.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
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

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout_with(handler: &wasm_bindgen::JsValue, ms: i32, argument: &wasm_bindgen::JsValue);
}

/// Writes `line` to the log at the runtime's next turn (once the answer is on its way), keeping the request
/// open until then. It is all the runtime's own: a timer resolves a promise with the line, which is handed
/// to `console.log`; nothing of it runs in the wasm.
pub fn log_after_answer(ctx: &worker::Context, line: &str) {
    let console = js_sys::Reflect::get(&js_sys::global(), &"console".into()).unwrap_or_default();
    let Ok(log) = js_sys::Reflect::get(&console, &"log".into()).and_then(|f| f.dyn_into::<js_sys::Function>()) else {
        return;
    };
    let line = wasm_bindgen::JsValue::from_str(line);
    let next_turn = js_sys::Promise::new(&mut |resolve, _| set_timeout_with(&resolve.into(), 0, &line));
    let then = js_sys::Reflect::get(&next_turn, &"then".into()).and_then(|f| f.dyn_into::<js_sys::Function>());
    if let Ok(logged) = then.and_then(|then| then.call1(&next_turn, &log.bind0(&console).into())) {
        let _ = ctx.as_ref().wait_until(&logged.unchecked_into());
    }
}

/// `bytes` random bytes from the runtime's CSPRNG, as hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    get_random_values(&mut buffer);
    slotbook_core::digest::hex(&buffer)
}
