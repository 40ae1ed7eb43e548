//! The booking widget: a Leptos component compiled to WebAssembly and mounted by `widget.js` into a shadow
//! root on the venue's page. Two wasm files are built from this library, each a thin binary: the booking
//! flow (`src/main.rs`, what a first visit downloads) and a booking opened from its manage link
//! (`src/bin/manage.rs`, downloaded only then). This file is their JS-facing surface: [`export_mount!`]
//! with its options, and the handle that unmounts. The flow lives in [`app`].

mod api;
pub mod app;
mod format;
mod i18n;
mod timing;

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{CssStyleSheet, HtmlElement, ShadowRoot};

const STYLE: &str = include_str!("../style.css");

/// What the venue set on the script tag (`data-*`) or passed to `BookingWidget.mount`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub organisation: Option<String>,
    pub token: Option<String>,
    pub api: String,
    pub locale: String,
    pub theme: String,
    pub resource_type: Option<i64>,
    pub resource: Option<i64>,
    pub date: Option<String>,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub return_url: Option<String>,
    /// A booking's manage token (`?booking=` on the venue's page): the widget shows that booking to manage.
    pub manage: Option<String>,
    /// Bardge mode: the signed-in member's token from the reseller's page (sent only with the reserve).
    pub member_token: Option<String>,
    /// Answers the loader asked for while the wasm loaded: `Promise<Response>`s by the path they answer
    /// (`""` the catalog, `/availability?…` a preselected day's times). See [`api::Api::get`].
    pub early: JsValue,
}

impl Options {
    fn from_js(o: &JsValue) -> Options {
        let get = |k: &str| {
            Reflect::get(o, &JsValue::from_str(k))
                .ok()
                .and_then(|v| v.as_string())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let id = |k: &str| get(k).and_then(|v| v.parse::<i64>().ok()).filter(|n| *n > 0);
        Options {
            organisation: get("organisation"),
            token: get("token"),
            api: get("api").unwrap_or_default().trim_end_matches('/').to_string(),
            // Empty: the widget takes the organisation's locale, then the browser's.
            locale: get("locale").unwrap_or_default(),
            theme: get("theme").unwrap_or_else(|| "light".into()),
            resource_type: id("resourceType"),
            resource: id("resource"),
            date: get("date"),
            name: get("name").unwrap_or_default(),
            email: get("email").unwrap_or_default(),
            phone: get("phone").unwrap_or_default(),
            return_url: get("returnUrl"),
            manage: get("manage"),
            member_token: get("memberToken"),
            early: Reflect::get(o, &JsValue::from_str("early")).unwrap_or(JsValue::UNDEFINED),
        }
    }
}

/// Mounts the widget into `root` (the host element's shadow root) with `options` (a plain object), showing
/// `body` under the organisation's header; returns what keeps it mounted.
pub fn mount(
    host: HtmlElement,
    root: ShadowRoot,
    options: JsValue,
    body: app::Body,
) -> Result<Box<dyn std::any::Any>, JsValue> {
    let options = Options::from_js(&options);
    if options.organisation.is_none() && options.token.is_none() {
        return Err(JsValue::from_str("booking widget: set data-organisation or data-token"));
    }
    let sheet = CssStyleSheet::new()?;
    sheet.replace_sync(STYLE)?;
    Reflect::set(&root, &JsValue::from_str("adoptedStyleSheets"), &Array::of1(&sheet))?;
    root.set_inner_html("");
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let container: HtmlElement = document.create_element("div")?.dyn_into()?;
    root.append_child(&container)?;
    let handle = leptos::mount::mount_to(container, move || app::App(app::AppProps { host, options, body }));
    Ok(Box::new(handle))
}

/// What a wasm file exports to the loader: `mount(host, root, options)` showing `$body` (an [`app::Body`]),
/// and the `Mounted` handle whose `unmount()` removes the widget (single-page apps call it on route changes).
#[macro_export]
macro_rules! export_mount {
    ($body:path) => {
        use ::wasm_bindgen::prelude::wasm_bindgen;

        #[wasm_bindgen]
        pub struct Mounted {
            handle: Option<Box<dyn std::any::Any>>,
        }

        #[wasm_bindgen]
        impl Mounted {
            pub fn unmount(&mut self) {
                self.handle.take();
            }
        }

        #[wasm_bindgen]
        pub fn mount(
            host: ::web_sys::HtmlElement,
            root: ::web_sys::ShadowRoot,
            options: ::wasm_bindgen::JsValue,
        ) -> Result<Mounted, ::wasm_bindgen::JsValue> {
            $crate::mount(host, root, options, $body).map(|handle| Mounted { handle: Some(handle) })
        }
    };
}
