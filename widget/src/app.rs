//! The booking flow: service → (resource) → day → time → places → details → reserve → confirmed, or for
//! paid services Stripe Checkout and, back on the page, polling the checkout status until it settles.

use crate::api::{new_idempotency_key, Api, Failure};
use crate::format;
use crate::i18n::{t, Lang, Text};
use crate::Options;
use leptos::prelude::*;
use leptos::task::spawn_local;
use slotbook_core::error::ErrorCode;
use slotbook_core::reservation::ReservationStatus;
use slotbook_core::time::Date;
use slotbook_core::validate::{is_checkout_url, is_plausible_email, is_plausible_phone, MAX_NOTES_CHARS};
use slotbook_core::wire::{Availability, BookingSummary, Catalog, CheckoutStatus, ReserveRequest, ReserveResponse, ResourceTypeInfo, Slot};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

const PENDING_KEY: &str = "slotbook.pending";
const RETURN_PARAM: &str = "booking_session_id";

#[derive(Debug, Clone, PartialEq)]
enum Load<T> {
    Loading,
    Ready(T),
    Failed(Failure),
}

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// Booked: what, and the customer's own link (from the reserve or checkout-status answer).
    Confirmed { reservation_id: i64, booking: Option<BookingSummary>, manage_url: Option<String> },
    Redirecting,
    Checking,
    /// Polling gave up while the payment was still pending (slow payment methods): say so, offer to check again.
    StillProcessing,
    PaymentFailed { checkout_url: Option<String> },
    /// Back from Stripe without paying (the back button, or Stripe's own "back" link): the hold is still open.
    PaymentNotCompleted { checkout_url: String },
}

/// A payment in progress, kept in sessionStorage across the trip to Stripe.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pending {
    booker_path: String,
    session_id: String,
    reservation_id: i64,
    #[serde(default)]
    manage_url: Option<String>,
}

/// What the customer typed; kept while they pick another time, so nothing is lost.
#[derive(Clone, Copy)]
struct Customer {
    name: RwSignal<String>,
    email: RwSignal<String>,
    phone: RwSignal<String>,
    notes: RwSignal<String>,
}

#[derive(Clone)]
struct Ctx {
    api: Api,
    lang: Lang,
    locale: StoredValue<String>,
    host: StoredValue<HtmlElement, LocalStorage>,
}

impl Ctx {
    fn t(&self, text: Text) -> &'static str {
        t(self.lang, text)
    }

    fn locale(&self) -> String {
        self.locale.get_value()
    }

    /// Moves focus to the new step once it is on screen (keyboard and screen-reader users follow the flow).
    fn focus(&self, selector: &'static str) {
        let host = self.host.get_value();
        request_animation_frame(move || {
            let target = host.shadow_root().and_then(|r| r.query_selector(selector).ok().flatten());
            if let Some(el) = target.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
                let _ = el.focus();
            }
        });
    }

    /// Dispatches `booking:<name>` on the host element (bubbling, composed); never personal data.
    fn emit(&self, name: &str, detail: serde_json::Value) {
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        if let Ok(d) = js_sys::JSON::parse(&detail.to_string()) {
            init.set_detail(&d);
        }
        if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(&format!("booking:{name}"), &init) {
            let _ = self.host.get_value().dispatch_event(&event);
        }
    }
}

#[component]
pub fn App(host: HtmlElement, options: Options) -> impl IntoView {
    let base = if options.api.is_empty() { window().location().origin().unwrap_or_default() } else { options.api.clone() };
    let booker_path = match (&options.organisation, &options.token) {
        (Some(slug), _) => format!("organisations/{slug}"),
        (None, Some(token)) => token.clone(),
        (None, None) => String::new(),
    };
    let ctx = Ctx {
        api: Api { base, booker_path },
        lang: Lang::from_tag(&options.locale),
        locale: StoredValue::new(options.locale.clone()),
        host: StoredValue::new_local(host),
    };
    let catalog = RwSignal::new(Load::<Catalog>::Loading);
    let outcome = RwSignal::new(None::<Outcome>);
    let status = RwSignal::new(String::new());

    let load_catalog = {
        let ctx = ctx.clone();
        move || {
            catalog.set(Load::Loading);
            let ctx = ctx.clone();
            spawn_local(async move {
                let result = ctx.api.get::<Catalog>("").await;
                catalog.set(match result {
                    Ok(c) => {
                        ctx.emit("ready", serde_json::json!({"organisation": c.organisation.slug}));
                        Load::Ready(c)
                    }
                    Err(f) => Load::Failed(f),
                });
            });
        }
    };
    load_catalog();
    resume_payment(&ctx, outcome, status);
    // Back from the payment page by the browser's back button, the page may come from the back-forward
    // cache, frozen at "taking you to payment": look at the payment again. Removed when the widget unmounts.
    let shown_again = {
        let ctx = ctx.clone();
        window_event_listener_untyped("pageshow", move |e| {
            let restored = js_sys::Reflect::get(&e, &"persisted".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false);
            if restored {
                resume_payment(&ctx, outcome, status);
            }
        })
    };
    on_cleanup(move || shown_again.remove());

    let theme = options.theme.clone();
    let auto_theme = options.theme == "auto";
    let retry = load_catalog.clone();
    let flow_ctx = ctx.clone();
    view! {
        <div class="sb" class:dark=move || theme == "dark" class:auto=auto_theme>
            <p class="sb-live" role="status" aria-live="polite">{move || status.get()}</p>
            {move || match catalog.get() {
                Load::Loading => view! { <div class="sb-skeleton" aria-busy="true">{ctx.t(Text::Loading)}</div> }.into_any(),
                Load::Failed(_) => {
                    let retry = retry.clone();
                    view! {
                        <div class="sb-error" role="alert">
                            <p>{ctx.t(Text::LoadFailed)}</p>
                            <button class="sb-button" on:click=move |_| retry()>{ctx.t(Text::Retry)}</button>
                        </div>
                    }.into_any()
                }
                Load::Ready(c) => {
                    let brand = c.organisation.branding.brand_color.clone().unwrap_or_default();
                    view! {
                        <div class="sb-card" style:--sb-brand=brand>
                            <header class="sb-header">
                                {c.organisation.branding.logo_url.clone().map(|src| view! { <img class="sb-logo" src=src alt="" /> })}
                                <h2 class="sb-title">{c.organisation.name.clone()}</h2>
                            </header>
                            <Flow ctx=flow_ctx.clone() catalog=c.clone() outcome=outcome status=status options=options.clone() />
                        </div>
                    }.into_any()
                }
            }}
        </div>
    }
}

/// Back from Stripe: the return URL carries the session id (and sessionStorage what we were paying for).
fn resume_payment(ctx: &Ctx, outcome: RwSignal<Option<Outcome>>, status: RwSignal<String>) {
    let Some(pending) = read_pending(&ctx.api.booker_path) else { return };
    let from_url = current_url().and_then(|u| u.search_params().get(RETURN_PARAM));
    if from_url.as_deref().is_some_and(|s| s != pending.session_id) {
        return;
    }
    if from_url.is_some() {
        forget_return_param();
    }
    outcome.set(Some(Outcome::Checking));
    status.set(ctx.t(Text::CheckingPayment).into());
    let ctx = ctx.clone();
    spawn_local(async move {
        let path = format!("/checkout-status?sessionId={}", js_sys::encode_uri_component(&pending.session_id));
        let mut delay = 1000;
        for polls in 0..60 {
            match ctx.api.get::<CheckoutStatus>(&path).await {
                Ok(s) if s.status == ReservationStatus::Confirmed || s.status == ReservationStatus::Completed => {
                    clear_pending();
                    ctx.emit("confirmed", serde_json::json!({"reservationId": s.reservation_id, "status": s.status, "paymentStatus": s.payment_status}));
                    status.set(ctx.t(Text::Confirmed).into());
                    outcome.set(Some(Outcome::Confirmed { reservation_id: s.reservation_id, booking: s.booking.clone(), manage_url: pending.manage_url.clone() }));
                    return;
                }
                // Still open, and not paid: the customer came back without paying.
                Ok(s) if s.status == ReservationStatus::PendingPayment && s.can_retry_payment && (from_url.is_none() || polls >= 3) => {
                    status.set(ctx.t(Text::PaymentNotCompleted).into());
                    outcome.set(Some(match s.checkout_url {
                        Some(checkout_url) => Outcome::PaymentNotCompleted { checkout_url },
                        None => Outcome::PaymentFailed { checkout_url: None },
                    }));
                    return;
                }
                Ok(s) if s.status != ReservationStatus::PendingPayment => {
                    if s.status != ReservationStatus::PendingPayment {
                        clear_pending();
                    }
                    ctx.emit("failed", serde_json::json!({"reservationId": s.reservation_id, "status": s.status, "paymentStatus": s.payment_status}));
                    status.set(ctx.t(Text::PaymentFailed).into());
                    outcome.set(Some(Outcome::PaymentFailed { checkout_url: s.checkout_url.filter(|_| s.can_retry_payment) }));
                    return;
                }
                Err(Failure::Api(_)) => {
                    clear_pending();
                    outcome.set(None);
                    return;
                }
                _ => {}
            }
            sleep(delay).await;
            delay = (delay * 3 / 2).min(5000);
        }
        status.set(ctx.t(Text::StillProcessing).into());
        outcome.set(Some(Outcome::StillProcessing));
    });
}

#[component]
fn Flow(ctx: Ctx, catalog: Catalog, outcome: RwSignal<Option<Outcome>>, status: RwSignal<String>, options: Options) -> impl IntoView {
    let catalog = StoredValue::new(catalog);
    let types = catalog.with_value(|c| c.resource_types.clone());
    let preselected = options.resource_type.filter(|id| types.iter().any(|rt| rt.id == *id));
    let service = RwSignal::new(preselected.or_else(|| (types.len() == 1).then(|| types[0].id)));
    let resource = RwSignal::new(options.resource);
    let zone = catalog.with_value(|c| c.organisation.time_zone.clone());
    let today = format::today_in(&zone);
    let initial_day = options.date.as_deref().and_then(Date::parse).filter(|d| *d >= today);
    let day = RwSignal::new(initial_day);
    let month = RwSignal::new(initial_day.unwrap_or(today).first_of_month());
    let slots = RwSignal::new(None::<Load<Availability>>);
    let slot = RwSignal::new(None::<Slot>);
    let customer = Customer {
        name: RwSignal::new(options.name.clone()),
        email: RwSignal::new(options.email.clone()),
        phone: RwSignal::new(options.phone.clone()),
        notes: RwSignal::new(String::new()),
    };
    let notice = RwSignal::new(None::<&'static str>);
    let generation = StoredValue::new(0u32);

    let selected_type = move || service.get().and_then(|id| catalog.with_value(|c| c.resource_types.iter().find(|rt| rt.id == id).cloned()));

    // Loads the day's slots whenever the service, resource or day changes; stale answers are dropped.
    let load_slots = {
        let ctx = ctx.clone();
        move || {
            let (Some(type_id), Some(d)) = (service.get_untracked(), day.get_untracked()) else {
                slots.set(None);
                return;
            };
            let mut path = format!("/availability?date={d}&resourceTypeId={type_id}");
            if let Some(r) = resource.get_untracked() {
                path.push_str(&format!("&resourceId={r}"));
            }
            let this = generation.with_value(|g| g + 1);
            generation.set_value(this);
            slots.set(Some(Load::Loading));
            let ctx = ctx.clone();
            spawn_local(async move {
                let result = ctx.api.get::<Availability>(&path).await;
                if generation.get_value() == this {
                    slots.set(Some(match result {
                        Ok(a) => Load::Ready(a),
                        Err(f) => Load::Failed(f),
                    }));
                }
            });
        }
    };
    {
        let load_slots = load_slots.clone();
        Effect::new(move |_| {
            service.track();
            resource.track();
            day.track();
            slot.set(None);
            load_slots();
        });
    }

    let c1 = ctx.clone();
    let c2 = ctx.clone();
    let c3 = ctx.clone();
    let c4 = ctx.clone();
    let locale = ctx.locale();
    let show_zone = format::visitor_zone() != zone;
    let zone_label = zone.clone();
    view! {
        {move || match outcome.get() {
            Some(o) => {
                let ctx = c1.clone();
                let check = move || resume_payment(&ctx, outcome, status);
                view! { <OutcomeView ctx=c1.clone() outcome=o on_again=move || { outcome.set(None); slot.set(None); day.set(None); } on_check=check /> }.into_any()
            }
            None => {
                let ctx = c2.clone();
                let services = types.clone();
                let locale = locale.clone();
                let (c3, c4, zone, zone_label) = (c3.clone(), c4.clone(), zone.clone(), zone_label.clone());
                let (load_slots, reload_slots, options, form_ctx) = (load_slots.clone(), load_slots.clone(), options.clone(), ctx.clone());
                view! {
                    <section class="sb-step" aria-labelledby="sb-services">
                        <h3 id="sb-services" class="sb-step-title">{ctx.t(Text::ChooseService)}</h3>
                        <ul class="sb-services" role="list">
                            {services.into_iter().map(|rt| {
                                let id = rt.id;
                                let price = if rt.unit_amount == 0 { ctx.t(Text::Free).to_string() } else { format::money(rt.unit_amount, &rt.currency, &locale) };
                                let disabled = rt.requires_payment && !catalog.with_value(|c| c.organisation.accepts_payments);
                                view! {
                                    <li>
                                        <button class="sb-service" data-resource-type=id.to_string()
                                            aria-pressed=move || (service.get() == Some(id)).to_string()
                                            class:selected=move || service.get() == Some(id)
                                            disabled=disabled
                                            on:click={
                                                let ctx = ctx.clone();
                                                move |_| { service.set(Some(id)); resource.set(None); ctx.focus("#sb-days"); }
                                            }>
                                            <span class="sb-service-name">{rt.name.clone()}</span>
                                            <span class="sb-service-meta">{format!("{} min · {}", rt.duration_minutes, price)}</span>
                                            <span class="sb-service-desc">{rt.description.clone()}</span>
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </section>
                    {move || selected_type().map(|rt| {
                        let ctx = c3.clone();
                        view! {
                            <ResourcePicker ctx=ctx.clone() rt=rt.clone() resource=resource />
                            <Calendar ctx=ctx.clone() rt=rt.clone() month=month day=day today=today
                                window_days=catalog.with_value(|c| c.organisation.booking_window_days)
                                closed=catalog.with_value(|c| c.organisation.closed_dates.clone()) />
                        }
                    })}
                    {move || slots.get().map(|load| {
                        let ctx = c4.clone();
                        let zone = zone.clone();
                        let retry = load_slots.clone();
                        view! {
                            <section class="sb-step" aria-labelledby="sb-times">
                                <h3 id="sb-times" class="sb-step-title" tabindex="-1">{ctx.t(Text::ChooseTime)}
                                    {show_zone.then(|| view! { <span class="sb-zone">{format!(" · {} {}", ctx.t(Text::TimesIn), zone_label.clone())}</span> })}
                                </h3>
                                {notice.get().map(|n| view! { <p class="sb-notice" role="alert">{n}</p> })}
                                {match load {
                                    Load::Loading => view! { <div class="sb-skeleton" aria-busy="true">{ctx.t(Text::Loading)}</div> }.into_any(),
                                    Load::Failed(_) => view! {
                                        <div class="sb-error" role="alert"><p>{ctx.t(Text::LoadFailed)}</p>
                                        <button class="sb-button" on:click=move |_| retry()>{ctx.t(Text::Retry)}</button></div>
                                    }.into_any(),
                                    Load::Ready(a) if a.slots.is_empty() => view! { <p class="sb-empty">{ctx.t(Text::NoSlots)}</p> }.into_any(),
                                    Load::Ready(a) => view! {
                                        <ul class="sb-slots" role="list">
                                            {a.slots.into_iter().map(|s| {
                                                let label = format::time(s.start_time, &zone, &ctx.locale());
                                                let left = if s.available == 0 { ctx.t(Text::Full).to_string() } else { format!("{} {}", s.available, ctx.t(Text::PlacesLeft)) };
                                                let c = ctx.clone();
                                                view! {
                                                    <li><button class="sb-slot" data-start=s.start_time.to_string()
                                                        class:selected=move || slot.get().map(|x| x.start_time) == Some(s.start_time)
                                                        aria-pressed=move || (slot.get().map(|x| x.start_time) == Some(s.start_time)).to_string()
                                                        disabled=s.available == 0
                                                        on:click=move |_| {
                                                            notice.set(None);
                                                            slot.set(Some(s));
                                                            c.focus("#sb-details");
                                                            c.emit("slot-selected", serde_json::json!({"resourceTypeId": service.get_untracked(), "startTime": s.start_time, "endTime": s.end_time, "available": s.available}));
                                                        }>
                                                        <span class="sb-slot-time">{label}</span>
                                                        <span class="sb-slot-left">{left}</span>
                                                    </button></li>
                                                }
                                            }).collect_view()}
                                        </ul>
                                    }.into_any(),
                                }}
                            </section>
                        }
                    })}
                    {move || match (slot.get(), selected_type()) {
                        (Some(s), Some(rt)) => {
                            let ctx = form_ctx.clone();
                            let lang = ctx.lang;
                            let reload = reload_slots.clone();
                            let focus_ctx = ctx.clone();
                            let on_taken = Callback::new(move |_: ()| {
                                notice.set(Some(t(lang, Text::SlotTaken)));
                                slot.set(None);
                                reload();
                                focus_ctx.focus("#sb-times");
                            });
                            Some(view! {
                                <DetailsForm ctx=ctx.clone() rt=rt chosen=s resource=resource.get_untracked() options=options.clone()
                                    customer=customer outcome=outcome status=status on_taken=on_taken />
                            })
                        }
                        _ => None,
                    }}
                }.into_any()
            }
        }}
    }
}

#[component]
fn ResourcePicker(ctx: Ctx, rt: ResourceTypeInfo, resource: RwSignal<Option<i64>>) -> impl IntoView {
    (rt.allow_resource_choice && rt.resources.len() > 1).then(|| {
        let options = rt.resources.clone();
        view! {
            <section class="sb-step">
                <label class="sb-field">
                    <span>{ctx.t(Text::ChooseResource)}</span>
                    <select class="sb-input" name="resource" on:change=move |ev| resource.set(event_target_value(&ev).parse().ok())>
                        <option value="" selected=move || resource.get().is_none()>{ctx.t(Text::AnyResource)}</option>
                        {options.into_iter().map(|r| {
                            let id = r.id;
                            view! { <option value=id.to_string() selected=move || resource.get() == Some(id)>{r.name}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </section>
        }
    })
}

#[component]
fn Calendar(ctx: Ctx, rt: ResourceTypeInfo, month: RwSignal<Date>, day: RwSignal<Option<Date>>, today: Date, window_days: u32, closed: Vec<Date>) -> impl IntoView {
    let last = today.add_days(window_days as i64 - 1);
    let locale = ctx.locale();
    let weekdays = format::weekday_names(&locale);
    let open = rt.open_weekdays.clone();
    let bookable = move |d: Date| d >= today && d <= last && open.contains(&d.weekday()) && !closed.contains(&d);
    let ctx2 = ctx.clone();
    let ctx3 = ctx.clone();
    view! {
        <section class="sb-step" aria-labelledby="sb-days">
            <h3 id="sb-days" class="sb-step-title" tabindex="-1">{ctx.t(Text::ChooseDay)}</h3>
            <div class="sb-cal-head">
                <button class="sb-nav" aria-label=ctx.t(Text::PreviousMonth) disabled=move || month.get() <= today.first_of_month()
                    on:click=move |_| month.update(|m| *m = m.add_months(-1))>"‹"</button>
                <span class="sb-month" aria-live="polite">{move || format::month(month.get(), &ctx2.locale())}</span>
                <button class="sb-nav" aria-label=ctx.t(Text::NextMonth) disabled=move || { month.get().add_months(1) > last }
                    on:click=move |_| month.update(|m| *m = m.add_months(1))>"›"</button>
            </div>
            <div class="sb-cal" role="grid">
                {weekdays.into_iter().map(|w| view! { <span class="sb-wd" role="columnheader">{w}</span> }).collect_view()}
                {move || {
                    let first = month.get();
                    let lead = (first.weekday() - 1) as i64;
                    let bookable = bookable.clone();
                    let locale = locale.clone();
                    let ctx3 = ctx3.clone();
                    (0..lead).map(|_| view! { <span class="sb-pad"></span> }.into_any())
                        .chain((0..first.days_in_month() as i64).map(move |i| {
                            let d = first.add_days(i);
                            let ok = bookable(d);
                            let long = format::long_date(d, &locale);
                            view! {
                                <button class="sb-day" data-date=d.to_string() aria-label=long disabled=!ok
                                    class:selected=move || day.get() == Some(d)
                                    aria-pressed=move || (day.get() == Some(d)).to_string()
                                    on:click={
                                        let ctx = ctx3.clone();
                                        move |_| { day.set(Some(d)); ctx.focus("#sb-times"); }
                                    }>{d.day}</button>
                            }.into_any()
                        }))
                        .collect_view()
                }}
            </div>
        </section>
    }
}

#[component]
fn DetailsForm(ctx: Ctx, rt: ResourceTypeInfo, chosen: Slot, resource: Option<i64>, options: Options, customer: Customer, outcome: RwSignal<Option<Outcome>>, status: RwSignal<String>, on_taken: Callback<()>) -> impl IntoView {
    let slot = chosen;
    let max = rt.max_quantity.min(slot.available).max(1);
    let quantity = RwSignal::new(1u32);
    let Customer { name, email, phone, notes } = customer;
    let touched = RwSignal::new(false);
    let in_flight = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // One Idempotency-Key per attempt; kept after a network failure so the retry is the same attempt.
    let attempt_key = StoredValue::new(None::<String>);

    let name_error = move || name.with(|n| n.trim().is_empty()).then_some(Text::NameRequired);
    let email_error = move || email.with(|e| !is_plausible_email(e.trim())).then_some(Text::EmailInvalid);
    let phone_error = move || phone.with(|p| !is_plausible_phone(p)).then_some(Text::PhoneInvalid);
    let notes_error = move || notes.with(|n| n.chars().count() > MAX_NOTES_CHARS).then_some(Text::NotesTooLong);
    let valid = move || name_error().is_none() && email_error().is_none() && phone_error().is_none() && notes_error().is_none();
    let total = move || rt.unit_amount * quantity.get() as i64;
    let locale = ctx.locale();
    let currency = rt.currency.clone();
    let paid = rt.requires_payment;

    let submit = {
        let ctx = ctx.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            touched.set(true);
            if !valid() || in_flight.get_untracked() {
                return;
            }
            let key = attempt_key.get_value().unwrap_or_else(new_idempotency_key);
            attempt_key.set_value(Some(key.clone()));
            let request = ReserveRequest {
                resource_type_id: Some(rt.id),
                resource_id: resource,
                start_time: slot.start_time,
                end_time: slot.end_time,
                quantity: quantity.get_untracked(),
                customer_name: name.get_untracked().trim().to_string(),
                customer_email: email.get_untracked().trim().to_string(),
                customer_phone: phone.get_untracked().trim().to_string(),
                notes: Some(notes.get_untracked().trim().to_string()).filter(|n| !n.is_empty()),
                return_url: paid.then(|| options.return_url.clone().unwrap_or_else(return_url)),
            };
            in_flight.set(true);
            error.set(None);
            status.set(ctx.t(Text::Reserving).into());
            let ctx = ctx.clone();
            spawn_local(async move {
                let result = ctx.api.post::<_, ReserveResponse>("/reserve", &request, &key).await;
                in_flight.set(false);
                match result {
                    Ok(r) => {
                        attempt_key.set_value(None);
                        reserved(&ctx, r, outcome, status);
                    }
                    Err(f) => {
                        if !matches!(f, Failure::Network) {
                            attempt_key.set_value(None);
                        }
                        let text = match f.code() {
                            Some(ErrorCode::SlotUnavailable) => {
                                on_taken.run(());
                                return;
                            }
                            Some(ErrorCode::CapacityExceeded) => ctx.t(Text::TooMany).to_string(),
                            Some(ErrorCode::PaymentsUnavailable) => ctx.t(Text::PaymentsOff).to_string(),
                            Some(ErrorCode::RateLimited) => ctx.t(Text::Busy).to_string(),
                            None => ctx.t(Text::LoadFailed).to_string(),
                            _ => f.server_message().map(str::to_string).unwrap_or_else(|| ctx.t(Text::SomethingWrong).to_string()),
                        };
                        status.set(text.clone());
                        error.set(Some(text));
                    }
                }
            });
        }
    };

    let field = move |label: &'static str, kind: &'static str, auto: &'static str, value: RwSignal<String>, problem: Box<dyn Fn() -> Option<Text> + Send + Sync>, lang: Lang| {
        let id = format!("sb-{auto}");
        let for_id = id.clone();
        let err_id = format!("{id}-error");
        let described_by = err_id.clone();
        let problem = std::sync::Arc::new(problem);
        let p1 = problem.clone();
        let p2 = problem.clone();
        view! {
            <label class="sb-field" for=for_id>
                <span>{label}</span>
                <input class="sb-input" id=id type=kind name=auto autocomplete=auto required=true
                    prop:value=move || value.get()
                    aria-invalid=move || (touched.get() && p1().is_some()).to_string()
                    aria-describedby=described_by
                    on:input=move |ev| value.set(event_target_value(&ev))
                    on:blur=move |_| if !value.get_untracked().is_empty() { touched.set(true) } />
                <span class="sb-field-error" id=err_id>{move || if touched.get() { p2().map(|p| t(lang, p)) } else { None }}</span>
            </label>
        }
    };
    let lang = ctx.lang;
    view! {
        <form class="sb-step sb-form" novalidate=true on:submit=submit>
            <h3 id="sb-details" class="sb-step-title" tabindex="-1">{ctx.t(Text::YourDetails)}</h3>
            <label class="sb-field">
                <span>{ctx.t(Text::Quantity)}</span>
                <select class="sb-input" name="quantity" on:change=move |ev| quantity.set(event_target_value(&ev).parse().unwrap_or(1))>
                    {(1..=max).map(|q| view! { <option value=q.to_string() selected=move || quantity.get() == q>{q}</option> }).collect_view()}
                </select>
            </label>
            {field(ctx.t(Text::Name), "text", "name", name, Box::new(name_error), lang)}
            {field(ctx.t(Text::Email), "email", "email", email, Box::new(email_error), lang)}
            {field(ctx.t(Text::Phone), "tel", "tel", phone, Box::new(phone_error), lang)}
            <label class="sb-field" for="sb-notes">
                <span>{ctx.t(Text::Notes)}" "<small>{format!("({})", ctx.t(Text::Optional))}</small></span>
                <textarea class="sb-input" id="sb-notes" name="notes" rows="2" maxlength=MAX_NOTES_CHARS.to_string()
                    prop:value=move || notes.get() on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
                <span class="sb-field-error">{move || notes_error().map(|p| t(lang, p))}</span>
            </label>
            <p class="sb-total">
                <span>{ctx.t(Text::Total)}</span>
                <strong>{move || if total() == 0 { t(lang, Text::Free).to_string() } else { format::money(total(), &currency, &locale) }}</strong>
            </p>
            {move || error.get().map(|e| view! { <p class="sb-error" role="alert">{e}</p> })}
            <button class="sb-button sb-primary" type="submit" disabled=move || in_flight.get() aria-busy=move || in_flight.get().to_string()>
                {move || if in_flight.get() { t(lang, Text::Reserving) } else if paid { t(lang, Text::ReserveAndPay) } else { t(lang, Text::Reserve) }}
            </button>
        </form>
    }
}

fn reserved(ctx: &Ctx, r: ReserveResponse, outcome: RwSignal<Option<Outcome>>, status: RwSignal<String>) {
    let detail = serde_json::json!({
        "reservationId": r.reservation_id, "resourceTypeId": r.resource_type_id, "startTime": r.start_time,
        "endTime": r.end_time, "quantity": r.quantity, "amount": r.quoted_amount, "currency": r.quoted_currency,
        "status": r.status, "paymentStatus": r.payment_status,
    });
    ctx.emit("reserved", detail.clone());
    match (&r.payment_data, r.status) {
        (Some(p), ReservationStatus::PendingPayment) => {
            save_pending(&Pending {
                booker_path: ctx.api.booker_path.clone(),
                session_id: p.stripe_checkout_session_id.clone(),
                reservation_id: r.reservation_id,
                manage_url: r.manage_url.clone(),
            });
            ctx.emit("payment-started", detail);
            if go_to_checkout(&ctx.api.base, &p.checkout_url) {
                status.set(ctx.t(Text::RedirectingToPay).into());
                outcome.set(Some(Outcome::Redirecting));
            } else {
                clear_pending();
                ctx.emit("failed", serde_json::json!({"reservationId": r.reservation_id, "stage": "checkout"}));
                status.set(ctx.t(Text::PaymentFailed).into());
                outcome.set(Some(Outcome::PaymentFailed { checkout_url: None }));
            }
        }
        _ => {
            ctx.emit("confirmed", detail);
            status.set(ctx.t(Text::Confirmed).into());
            outcome.set(Some(Outcome::Confirmed { reservation_id: r.reservation_id, booking: r.booking.clone(), manage_url: r.manage_url.clone() }));
            ctx.focus(".sb-outcome");
        }
    }
}

#[component]
fn OutcomeView(ctx: Ctx, outcome: Outcome, on_again: impl Fn() + Clone + Send + Sync + 'static, on_check: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let again = on_again.clone();
    match outcome {
        Outcome::Confirmed { reservation_id, booking, manage_url } => view! {
            <section class="sb-outcome sb-confirmed" tabindex="-1">
                <h3>{ctx.t(Text::Confirmed)}</h3>
                <p>{ctx.t(Text::ConfirmedBody)}</p>
                {booking.map(|b| view! { <BookingDetails ctx=ctx.clone() booking=b /> })}
                <p class="sb-ref">{format!("{}: {}", ctx.t(Text::Reference), reservation_id)}</p>
                {manage_url.map(|url| view! {
                    <p class="sb-links">
                        <a class="sb-button" href=format!("{url}/calendar.ics") download="">{ctx.t(Text::AddToCalendar)}</a>
                        <a class="sb-button" href=url target="_blank" rel="noopener">{ctx.t(Text::ManageBooking)}</a>
                    </p>
                })}
                <button class="sb-button" on:click=move |_| again()>{ctx.t(Text::BookAnother)}</button>
            </section>
        }.into_any(),
        Outcome::PaymentNotCompleted { checkout_url } => {
            let api = ctx.api.base.clone();
            view! {
                <section class="sb-outcome sb-unpaid" role="alert">
                    <h3>{ctx.t(Text::PaymentNotCompleted)}</h3>
                    <p>{ctx.t(Text::PaymentNotCompletedBody)}</p>
                    <button class="sb-button sb-primary" on:click=move |_| { go_to_checkout(&api, &checkout_url); }>{ctx.t(Text::PayNow)}</button>
                    <button class="sb-button" on:click=move |_| { clear_pending(); again() }>{ctx.t(Text::PickAnotherTime)}</button>
                </section>
            }.into_any()
        }
        Outcome::Redirecting => view! { <section class="sb-outcome" aria-busy="true"><p>{ctx.t(Text::RedirectingToPay)}</p></section> }.into_any(),
        Outcome::Checking => view! { <section class="sb-outcome" aria-busy="true"><p>{ctx.t(Text::CheckingPayment)}</p></section> }.into_any(),
        Outcome::StillProcessing => view! {
            <section class="sb-outcome" role="status">
                <p>{ctx.t(Text::StillProcessing)}</p>
                <button class="sb-button sb-primary" on:click=move |_| on_check()>{ctx.t(Text::CheckAgain)}</button>
            </section>
        }.into_any(),
        Outcome::PaymentFailed { checkout_url } => view! {
            <section class="sb-outcome sb-failed" role="alert">
                <h3>{ctx.t(Text::PaymentFailed)}</h3>
                <p>{ctx.t(Text::PaymentFailedBody)}</p>
                {checkout_url.map(|url| {
                    let api = ctx.api.base.clone();
                    view! { <button class="sb-button sb-primary" on:click=move |_| { go_to_checkout(&api, &url); }>{ctx.t(Text::TryPaymentAgain)}</button> }
                })}
                <button class="sb-button" on:click=move |_| { clear_pending(); again() }>{ctx.t(Text::PickAnotherTime)}</button>
            </section>
        }.into_any(),
    }
}

/// What was booked, in the organisation's zone (and the visitor's, when it differs).
#[component]
fn BookingDetails(ctx: Ctx, booking: BookingSummary) -> impl IntoView {
    let locale = ctx.locale.get_value();
    let b = booking;
    let day = format::long_date(format::date_in(b.start_time, &b.time_zone), &locale);
    let span = |zone: &str| format!("{}–{}", format::time(b.start_time, zone, &locale), format::time(b.end_time, zone, &locale));
    let mut when = format!("{day}, {}", span(&b.time_zone));
    let visitor = format::visitor_zone();
    if !visitor.is_empty() && visitor != b.time_zone {
        when.push_str(&format!(" ({}; {}: {})", b.time_zone, ctx.t(Text::YourTime), span(&visitor)));
    }
    let mut service = b.service.clone();
    if !b.resources.is_empty() {
        service.push_str(&format!(" · {}", b.resources.join(", ")));
    }
    let paid = b.payment_status == slotbook_core::reservation::PaymentStatus::Succeeded;
    let amount = (b.amount > 0).then(|| {
        let money = format::money(b.amount, &b.currency, &locale);
        if paid { format!("{money} · {}", ctx.t(Text::PaymentReceived)) } else { money }
    });
    view! {
        <dl class="sb-details">
            <dt>{b.organisation.clone()}</dt><dd>{service}</dd>
            <dt>{ctx.t(Text::When)}</dt><dd>{when}</dd>
            <dt>{ctx.t(Text::Duration)}</dt><dd>{format!("{} {}", b.duration_minutes, ctx.t(Text::Minutes))}</dd>
            <dt>{ctx.t(Text::Places)}</dt><dd>{b.quantity}</dd>
            {amount.map(|a| view! { <dt>{ctx.t(Text::Amount)}</dt><dd class="sb-amount">{a}</dd> })}
            {b.address.clone().map(|a| view! { <dt>{ctx.t(Text::Address)}</dt><dd>{a}</dd> })}
        </dl>
    }
}

/// After a Stripe return the session id leaves the address bar, so a reload or a shared link does not
/// replay it.
fn forget_return_param() {
    let Some(url) = current_url() else { return };
    url.search_params().delete(RETURN_PARAM);
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url.href()));
    }
}

fn current_url() -> Option<web_sys::Url> {
    web_sys::Url::new(&window().location().href().ok()?).ok()
}

/// Where Stripe sends the customer back: this page, without a previous session marker.
fn return_url() -> String {
    current_url()
        .map(|u| {
            u.search_params().delete(RETURN_PARAM);
            u.href()
        })
        .unwrap_or_default()
}

/// Sends the top window (the widget may run inside a frame) to the payment page, but only to Stripe
/// Checkout or the edge's own test checkout: whatever an answer says, no other address is ever opened.
fn go_to_checkout(api: &str, url: &str) -> bool {
    if !is_checkout_url(url, api) {
        return false;
    }
    let top = window().top().ok().flatten();
    let moved = top.and_then(|t| t.location().set_href(url).ok());
    if moved.is_none() {
        let _ = window().location().set_href(url);
    }
    true
}

fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

fn save_pending(p: &Pending) {
    if let (Some(s), Ok(v)) = (session_storage(), serde_json::to_string(p)) {
        let _ = s.set_item(PENDING_KEY, &v);
    }
}

fn read_pending(booker_path: &str) -> Option<Pending> {
    let raw = session_storage()?.get_item(PENDING_KEY).ok()??;
    serde_json::from_str::<Pending>(&raw).ok().filter(|p| p.booker_path == booker_path)
}

fn clear_pending() {
    if let Some(s) = session_storage() {
        let _ = s.remove_item(PENDING_KEY);
    }
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(resolve.unchecked_ref(), ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
