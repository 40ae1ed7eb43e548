//! What every step shares, passed by context (`provide_context`): [`Ctx`] (the API, the language, the host
//! element for focus and events) from the widget, and [`Steps`] (the customer's choices so far) from the
//! flow.

use super::{Load, Outcome};
use crate::api::Api;
use crate::i18n::{t, Lang, Text};
use crate::Options;
use leptos::prelude::*;
use slotbook_core::time::Date;
use slotbook_core::wire::{Availability, Catalog, ResourceTypeInfo, Slot};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

#[derive(Clone)]
pub struct Ctx {
    pub api: Api,
    /// The customer's language and locale: the venue's `data-locale`, else the page's `<html lang>`, else the
    /// organisation's, else the browser's (set once the catalog is there).
    lang: StoredValue<Lang>,
    locale: StoredValue<String>,
    pub host: StoredValue<HtmlElement, LocalStorage>,
}

/// The widget's context, inside any of its components.
pub fn use_ctx() -> Ctx {
    expect_context::<Ctx>()
}

impl Ctx {
    pub fn new(api: Api, locale: &str, host: HtmlElement) -> Ctx {
        Ctx {
            api,
            lang: StoredValue::new(Lang::from_tag(locale)),
            locale: StoredValue::new(locale.to_string()),
            host: StoredValue::new_local(host),
        }
    }

    /// Takes the organisation's locale when neither the venue nor its page named one.
    pub fn settle_locale(&self, chosen: bool, organisation: &str) {
        if !chosen && !organisation.is_empty() {
            self.lang.set_value(Lang::from_tag(organisation));
            self.locale.set_value(organisation.to_string());
        }
    }

    pub fn lang(&self) -> Lang {
        self.lang.get_value()
    }

    pub fn t(&self, text: Text) -> &'static str {
        t(self.lang(), text)
    }

    pub fn locale(&self) -> String {
        self.locale.get_value()
    }

    /// Moves focus to the new step once it is on screen (keyboard and screen-reader users follow the flow).
    pub fn focus(&self, selector: impl Into<String>) {
        let host = self.host.get_value();
        let selector = selector.into();
        request_animation_frame(move || {
            let target = host
                .shadow_root()
                .and_then(|r| r.query_selector(&selector).ok().flatten());
            if let Some(el) = target.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
                let _ = el.focus();
            }
        });
    }

    /// Dispatches `booking:<name>` on the host element (bubbling, composed); never personal data.
    pub fn emit(&self, name: &str, detail: Detail) {
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(&detail.0);
        if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(&format!("booking:{name}"), &init) {
            let _ = self.host.get_value().dispatch_event(&event);
        }
    }
}

/// A plain object built field by field: an event's detail, or a small request body (no JSON library needed).
#[derive(Clone)]
pub struct Detail(pub js_sys::Object);

impl Detail {
    pub fn new() -> Detail {
        Detail(js_sys::Object::new())
    }

    fn set(self, key: &str, value: wasm_bindgen::JsValue) -> Detail {
        let _ = js_sys::Reflect::set(&self.0, &wasm_bindgen::JsValue::from_str(key), &value);
        self
    }

    pub fn num(self, key: &str, value: impl Into<i64>) -> Detail {
        self.set(key, wasm_bindgen::JsValue::from_f64(value.into() as f64))
    }

    pub fn opt_num(self, key: &str, value: Option<i64>) -> Detail {
        self.set(
            key,
            value.map_or(wasm_bindgen::JsValue::NULL, |v| {
                wasm_bindgen::JsValue::from_f64(v as f64)
            }),
        )
    }

    pub fn text(self, key: &str, value: impl std::fmt::Display) -> Detail {
        self.set(key, wasm_bindgen::JsValue::from_str(&value.to_string()))
    }

    /// The object as JSON text (for a request body).
    pub fn json(&self) -> String {
        js_sys::JSON::stringify(&self.0)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    }
}

/// What the customer typed; kept while they pick another time, so nothing is lost.
#[derive(Clone, Copy)]
pub struct Customer {
    pub name: RwSignal<String>,
    pub email: RwSignal<String>,
    pub phone: RwSignal<String>,
    pub notes: RwSignal<String>,
}

/// The customer's way through the flow: every signal a step reads or sets.
#[derive(Clone, Copy)]
pub struct Steps {
    pub catalog: StoredValue<Catalog>,
    pub options: StoredValue<Options>,
    pub service: RwSignal<Option<i64>>,
    pub resource: RwSignal<Option<i64>>,
    pub today: Date,
    pub month: RwSignal<Date>,
    pub day: RwSignal<Option<Date>>,
    pub slots: RwSignal<Option<Load<Availability>>>,
    /// Answers to older availability requests are dropped.
    pub generation: StoredValue<u32>,
    pub slot: RwSignal<Option<Slot>>,
    /// Why the slots were refreshed (a time taken meanwhile).
    pub notice: RwSignal<Option<&'static str>>,
    pub customer: Customer,
    pub outcome: RwSignal<Option<Outcome>>,
    /// The live region's text: each status is announced once.
    pub status: RwSignal<String>,
}

pub fn use_steps() -> Steps {
    expect_context::<Steps>()
}

impl Steps {
    /// A fresh way through the catalog, with what the venue preselected and prefilled.
    pub fn new(
        catalog: Catalog,
        options: Options,
        outcome: RwSignal<Option<Outcome>>,
        status: RwSignal<String>,
    ) -> Steps {
        let types = &catalog.resource_types;
        let preselected = options.resource_type.filter(|id| types.iter().any(|rt| rt.id == *id));
        let only = (types.len() == 1).then(|| types[0].id);
        let today = crate::format::today_in(&catalog.organisation.time_zone);
        let initial_day = options.date.as_deref().and_then(Date::parse).filter(|d| *d >= today);
        Steps {
            service: RwSignal::new(preselected.or(only)),
            resource: RwSignal::new(options.resource),
            today,
            month: RwSignal::new(initial_day.unwrap_or(today).first_of_month()),
            day: RwSignal::new(initial_day),
            slots: RwSignal::new(None),
            generation: StoredValue::new(0),
            slot: RwSignal::new(None),
            notice: RwSignal::new(None),
            customer: Customer {
                name: RwSignal::new(options.name.clone()),
                email: RwSignal::new(options.email.clone()),
                phone: RwSignal::new(options.phone.clone()),
                notes: RwSignal::new(String::new()),
            },
            outcome,
            status,
            catalog: StoredValue::new(catalog),
            options: StoredValue::new(options),
        }
    }

    pub fn selected_type(&self) -> Option<ResourceTypeInfo> {
        let id = self.service.get()?;
        self.catalog
            .with_value(|c| c.resource_types.iter().find(|rt| rt.id == id).cloned())
    }

    pub fn zone(&self) -> String {
        self.catalog.with_value(|c| c.organisation.time_zone.clone())
    }
}
