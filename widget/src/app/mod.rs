//! The booking flow: service → (resource) → day → time → places → details → reserve → confirmed, or for
//! paid services Stripe Checkout and, back on the page, polling the checkout status until it settles.
//!
//! One module per step: [`services`], [`calendar`] (resource and day), [`slots`], [`details`] (the form and
//! the reserve), [`outcome`] (confirmation and payment results), and [`payment`] (the trip to Stripe and
//! back); [`manage`] is a booking opened from its manage link. Shared state travels by context ([`context`]).
//! [`App`] loads the catalog and shows a [`Body`] under the organisation's header: [`booking`] or
//! [`manage_booking`], each in its own wasm file. Bardge mode adds [`member`] (who is booking, from the
//! member token) and [`co_pay`] (the choice of what to pay).
//!
//! Loading states are hand-made ([`Load`], a signal set from `spawn_local`) rather than Leptos's
//! `LocalResource`/`Suspense`: measured, the catalog's load alone as a `LocalResource` grew the booking flow's
//! wasm by 7 KB brotli (122 → 129 KB, raw +17.6 KB), against the 1 KB such a change may cost.

mod calendar;
mod co_pay;
mod context;
mod details;
mod manage;
mod member;
mod outcome;
mod payment;
mod services;
mod slots;

use crate::api::{Api, Failure};
use crate::i18n::Text;
use crate::Options;
use context::{use_ctx, Ctx, Steps};
use leptos::prelude::*;
use leptos::task::spawn_local;
use slotbook_core::wire::{BookingSummary, Catalog};
use web_sys::HtmlElement;

#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    Loading,
    Ready(T),
    Failed(Failure),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Booked: what, and the customer's own links (from the reserve answer, kept across a payment).
    Confirmed {
        reservation_id: i64,
        booking: Option<BookingSummary>,
        manage_url: Option<String>,
        google_calendar_url: Option<String>,
    },
    Redirecting,
    Checking,
    /// Polling gave up while the payment was still pending (slow payment methods): say so, offer to check again.
    StillProcessing,
    PaymentFailed {
        checkout_url: Option<String>,
        /// Why, in the edge's words, when it says (Bardge mode: why Bardge would not confirm).
        reason: Option<String>,
    },
    /// Back from Stripe without paying (the back button, or Stripe's own "back" link): the hold is still open.
    PaymentNotCompleted {
        checkout_url: String,
    },
    /// Bardge mode: the member chooses what to pay before the payment starts.
    ChooseCoPay {
        due: slotbook_core::wire::CoPayDue,
        manage_url: String,
    },
}

/// What the widget shows once the catalog is in, given the catalog, the options, the outcome and the status
/// line (the live region).
pub type Body = fn(Catalog, Options, RwSignal<Option<Outcome>>, RwSignal<String>) -> AnyView;

/// The booking flow.
pub fn booking(
    catalog: Catalog,
    options: Options,
    outcome: RwSignal<Option<Outcome>>,
    status: RwSignal<String>,
) -> AnyView {
    view! { <Flow catalog=catalog outcome=outcome status=status options=options /> }.into_any()
}

/// The booking that the manage token in the options names (the loader loads this file only with one).
pub fn manage_booking(
    catalog: Catalog,
    options: Options,
    _outcome: RwSignal<Option<Outcome>>,
    status: RwSignal<String>,
) -> AnyView {
    let token = options.manage.clone().unwrap_or_default();
    view! { <manage::ManageView token=token catalog=catalog options=options status=status /> }.into_any()
}

#[component]
pub fn App(host: HtmlElement, options: Options, body: Body) -> impl IntoView {
    let base = if options.api.is_empty() {
        window().location().origin().unwrap_or_default()
    } else {
        options.api.clone()
    };
    let booker_path = match (&options.organisation, &options.token) {
        (Some(slug), _) => format!("organisations/{slug}"),
        (None, Some(token)) => token.clone(),
        (None, None) => String::new(),
    };
    let chosen_locale = !options.locale.is_empty();
    let first_locale = if chosen_locale {
        options.locale.clone()
    } else {
        window().navigator().language().unwrap_or_else(|| "en".into())
    };
    let api = Api {
        base,
        booker_path,
        early: options.early.clone(),
        member_token: options.member_token.clone(),
    };
    let ctx = Ctx::new(api, &first_locale, host);
    provide_context(ctx.clone());
    let catalog = RwSignal::new(Load::<Catalog>::Loading);
    let outcome = RwSignal::new(None::<Outcome>);
    let status = RwSignal::new(String::new());

    // The loader's early request serves the first load (see `Api::get`); a retry asks again.
    let load_catalog = {
        let ctx = ctx.clone();
        move || {
            catalog.set(Load::Loading);
            let ctx = ctx.clone();
            spawn_local(async move {
                let result = ctx.api.get::<Catalog>("").await;
                catalog.set(match result {
                    Ok(c) => {
                        ctx.settle_locale(chosen_locale, &c.organisation.locale);
                        ctx.emit(
                            "ready",
                            context::Detail::new().text("organisation", &c.organisation.slug),
                        );
                        Load::Ready(c)
                    }
                    Err(f) => Load::Failed(f),
                });
            });
        }
    };
    load_catalog();
    payment::resume(&ctx, outcome, status);
    // Back from the payment page by the browser's back button, the page may come from the back-forward
    // cache, frozen at "taking you to payment": look at the payment again. Removed when the widget unmounts.
    let shown_again = {
        let ctx = ctx.clone();
        window_event_listener_untyped("pageshow", move |e| {
            let restored = js_sys::Reflect::get(&e, &"persisted".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if restored {
                payment::resume(&ctx, outcome, status);
            }
        })
    };
    on_cleanup(move || shown_again.remove());

    let region = ctx.t(Text::Booking);
    let theme = options.theme.clone();
    let auto_theme = options.theme == "auto";
    view! {
        <section class="sb" class:dark=move || theme == "dark" class:auto=auto_theme aria-label=region>
            <p class="sb-live" role="status" aria-live="polite">{move || status.get()}</p>
            {move || match catalog.get() {
                Load::Loading => view! { <div class="sb-skeleton" aria-busy="true">{ctx.t(Text::Loading)}</div> }.into_any(),
                Load::Failed(_) => {
                    let retry = load_catalog.clone();
                    view! {
                        <div class="sb-error" role="alert">
                            <p>{ctx.t(Text::LoadFailed)}</p>
                            <button class="sb-button" on:click=move |_| retry()>{ctx.t(Text::Retry)}</button>
                        </div>
                    }.into_any()
                }
                Load::Ready(c) => {
                    crate::timing::mark("booking:catalog");
                    let brand = c.organisation.branding.brand_color.clone().unwrap_or_default();
                    view! {
                        <div class="sb-card" style:--sb-brand=brand>
                            <header class="sb-header">
                                {c.organisation.branding.logo_url.clone().map(|src| view! { <img class="sb-logo" src=src alt="" /> })}
                                <h2 class="sb-title">{c.organisation.name.clone()}</h2>
                            </header>
                            {body(c.clone(), options.clone(), outcome, status)}
                        </div>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// The steps, one after another as the customer chooses; the outcome replaces them.
#[component]
fn Flow(
    catalog: Catalog,
    outcome: RwSignal<Option<Outcome>>,
    status: RwSignal<String>,
    options: Options,
) -> impl IntoView {
    let ctx = use_ctx();
    let steps = Steps::new(catalog, options, outcome, status);
    provide_context(steps);
    slots::follow(&ctx, steps);

    view! {
        {move || match outcome.get() {
            Some(o) => view! {
                <outcome::OutcomeView outcome=o
                    on_again=move || { outcome.set(None); steps.slot.set(None); steps.day.set(None); } />
            }.into_any(),
            None => view! {
                <services::Services />
                {move || steps.selected_type().map(|rt| view! {
                    <calendar::ResourcePicker rt=rt.clone() />
                    <calendar::Calendar rt=rt />
                })}
                <slots::Slots />
                {move || match (steps.slot.get(), steps.selected_type()) {
                    (Some(s), Some(rt)) => Some(view! { <details::DetailsForm rt=rt chosen=s /> }),
                    _ => None,
                }}
            }.into_any(),
        }}
    }
}
