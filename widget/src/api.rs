//! The widget's calls to the public booking API (through `fetch`), and what a failed call means to it.

use serde::de::DeserializeOwned;
use serde::Serialize;
use slotbook_core::error::{ErrorBody, ErrorCode, ErrorDetail};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The network failed or the answer was unreadable: worth retrying.
    Network,
    /// The API said no, in the shared error shape.
    Api(ErrorDetail),
}

impl Failure {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Failure::Api(d) => Some(d.code),
            Failure::Network => None,
        }
    }

    /// The request field the server named, for an invalid request.
    pub fn param(&self) -> Option<&str> {
        match self {
            Failure::Api(d) => d.param.as_deref(),
            Failure::Network => None,
        }
    }
}

/// Where the API lives and who we book with.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// Edge origin, no trailing slash.
    pub base: String,
    /// `organisations/acme-spa` or a legacy token.
    pub booker_path: String,
    /// Bardge mode: the member token, sent as `Authorization` with the reserve.
    pub member_token: Option<String>,
    /// The loader's early answers by path (one JS object, shared by every clone): each serves the first call
    /// to its path, and is gone after it.
    pub early: JsValue,
}

impl Api {
    fn url(&self, rest: &str) -> String {
        format!("{}/api/public/booking/{}{}", self.base, self.booker_path, rest)
    }

    pub async fn get<T: DeserializeOwned>(&self, rest: &str) -> Result<T, Failure> {
        let (ok, text) = match self.take_early(rest) {
            Some(early) => early_answer(early).await?,
            None => send(&self.url(rest), "GET", None, None, None).await?,
        };
        read(ok, &text)
    }

    fn take_early(&self, rest: &str) -> Option<js_sys::Promise> {
        let key = JsValue::from_str(rest);
        let fetched = js_sys::Reflect::get(&self.early, &key).ok()?.dyn_into().ok()?;
        let _ = js_sys::Reflect::delete_property(self.early.unchecked_ref::<js_sys::Object>(), &key);
        Some(fetched)
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        rest: &str,
        body: &B,
        idempotency_key: &str,
    ) -> Result<T, Failure> {
        let body = to_json(body).ok_or(Failure::Network)?;
        let member = self.member_token.as_deref();
        let (ok, text) = send(&self.url(rest), "POST", Some(body), Some(idempotency_key), member).await?;
        read(ok, &text)
    }

    /// A booking's manage link: `rest` is empty (the booking), `/cancel`, `/reschedule` or `/pay`.
    /// `body` is JSON text.
    pub async fn manage<T: DeserializeOwned>(
        &self,
        token: &str,
        rest: &str,
        body: Option<String>,
    ) -> Result<T, Failure> {
        let url = format!(
            "{}/api/public/booking/manage/{}{}",
            self.base,
            js_sys::encode_uri_component(token),
            rest
        );
        let method = if body.is_some() { "POST" } else { "GET" };
        let (ok, text) = send(&url, method, body, None, None).await?;
        read(ok, &text)
    }
}

/// A call that hangs longer than this is given up, so the customer can try again.
const TIMEOUT_MS: i32 = 15_000;

/// One call, its answer read in full: whether it succeeded, and its text. Not generic, so that the fetch's
/// async code exists once in the wasm rather than once per answer type (only [`read`] is per type).
async fn send(
    url: &str,
    method: &str,
    body: Option<String>,
    idempotency_key: Option<&str>,
    member_token: Option<&str>,
) -> Result<(bool, String), Failure> {
    let init = RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|_| Failure::Network)?;
    if let Some(body) = body {
        let _ = headers.set("Content-Type", "application/json");
        init.set_body(&JsValue::from_str(&body));
    }
    if let Some(key) = idempotency_key {
        let _ = headers.set("Idempotency-Key", key);
    }
    if let Some(token) = member_token {
        let _ = headers.set("Authorization", &format!("Bearer {token}"));
    }
    let _ = headers.set("Accept", "application/json");
    init.set_headers(&headers);
    let window = web_sys::window().ok_or(Failure::Network)?;
    let controller = web_sys::AbortController::new().map_err(|_| Failure::Network)?;
    init.set_signal(Some(&controller.signal()));
    let abort = wasm_bindgen::closure::Closure::once_into_js(move || controller.abort());
    let timer = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(abort.unchecked_ref(), TIMEOUT_MS)
        .ok();
    let request = Request::new_with_str_and_init(url, &init).map_err(|_| Failure::Network)?;
    let answered = answer(window.fetch_with_request(&request)).await;
    if let Some(timer) = timer {
        window.clear_timeout_with_handle(timer);
    }
    answered
}

/// The answer a `fetch` promise settles to, read in full.
async fn answer(fetched: js_sys::Promise) -> Result<(bool, String), Failure> {
    let response: Response = JsFuture::from(fetched)
        .await
        .map_err(|_| Failure::Network)?
        .dyn_into()
        .map_err(|_| Failure::Network)?;
    let text = JsFuture::from(response.text().map_err(|_| Failure::Network)?)
        .await
        .map_err(|_| Failure::Network)?;
    Ok((response.ok(), text.as_string().unwrap_or_default()))
}

/// One of the loader's early answers, which it read in full: `{ok, text}`.
async fn early_answer(early: js_sys::Promise) -> Result<(bool, String), Failure> {
    let answer = JsFuture::from(early).await.map_err(|_| Failure::Network)?;
    let field = |name: &str| js_sys::Reflect::get(&answer, &JsValue::from_str(name)).ok();
    Ok((
        field("ok").and_then(|v| v.as_bool()).unwrap_or(false),
        field("text").and_then(|v| v.as_string()).unwrap_or_default(),
    ))
}

/// `value` as JSON text through the browser's own `JSON.stringify`.
pub fn to_json<T: Serialize>(value: &T) -> Option<String> {
    let value = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()?;
    js_sys::JSON::stringify(&value).ok()?.as_string()
}

/// JSON text into `T` through the browser's own `JSON.parse`.
pub fn parse<T: DeserializeOwned>(text: &str) -> Option<T> {
    slotbook_core::js_value::from_js(js_sys::JSON::parse(text).ok()?).ok()
}

fn read<T: DeserializeOwned>(ok: bool, text: &str) -> Result<T, Failure> {
    if ok {
        parse(text).ok_or(Failure::Network)
    } else {
        match parse::<ErrorBody>(text) {
            Some(body) => Err(Failure::Api(body.error)),
            None => Err(Failure::Network),
        }
    }
}

/// A fresh Idempotency-Key for one reserve attempt.
pub fn new_idempotency_key() -> String {
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    // Integers, so that no float formatting is compiled into the widget for this fallback.
    crypto.map(|c| c.random_uuid()).unwrap_or_else(|| {
        format!(
            "{}-{}",
            js_sys::Date::now() as u64,
            (js_sys::Math::random() * 1e15) as u64
        )
    })
}
