//! Step four: places and the customer's details, checked as they type (errors beside the field), then the
//! reserve: one Idempotency-Key per attempt (kept for a retry after a network failure), the button
//! disabled while in flight, a time taken meanwhile sending the customer back to fresh times.

use super::context::{use_ctx, use_steps, Ctx, Detail, Steps};
use super::payment::{clear_pending, go_to_checkout, return_url, save_pending, Pending};
use super::{slots, Outcome};
use crate::api::{new_idempotency_key, Failure};
use crate::format;
use crate::i18n::{t, Lang, Text};
use leptos::prelude::*;
use leptos::task::spawn_local;
use slotbook_core::error::ErrorCode;
use slotbook_core::reservation::ReservationStatus;
use slotbook_core::validate::{
    is_plausible_email, is_plausible_phone, MAX_EMAIL_CHARS, MAX_NAME_CHARS, MAX_NOTES_CHARS, MAX_PHONE_CHARS,
};
use slotbook_core::wire::{ReserveRequest, ReserveResponse, ResourceTypeInfo, Slot};

#[component]
pub fn DetailsForm(rt: ResourceTypeInfo, chosen: Slot) -> impl IntoView {
    let ctx = use_ctx();
    let steps = use_steps();
    let slot = chosen;
    let resource = steps.resource.get_untracked();
    let max = rt.max_quantity.min(slot.available).max(1);
    let quantity = RwSignal::new(1u32);
    let super::context::Customer {
        name,
        email,
        phone,
        notes,
    } = steps.customer;
    let touched = RwSignal::new(false);
    let in_flight = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // One Idempotency-Key per attempt; kept after a network failure so the retry is the same attempt.
    let attempt_key = StoredValue::new(None::<String>);

    // A field the server refused (a `validation_error` naming it), until the customer edits it.
    let refused = RwSignal::new(None::<&'static str>);
    let checked = move |field: &'static str, local: Option<Text>| {
        local.or_else(|| (refused.get() == Some(field)).then_some(Text::CheckField))
    };
    let name_error = move || {
        let local = name.with(|n| {
            if n.trim().is_empty() {
                Some(Text::NameRequired)
            } else if n.trim().chars().count() > MAX_NAME_CHARS {
                Some(Text::NameTooLong)
            } else {
                None
            }
        });
        checked("name", local)
    };
    let email_error = move || {
        checked(
            "email",
            email
                .with(|e| !is_plausible_email(e.trim()))
                .then_some(Text::EmailInvalid),
        )
    };
    let phone_error = move || {
        checked(
            "tel",
            phone.with(|p| !is_plausible_phone(p)).then_some(Text::PhoneInvalid),
        )
    };
    let notes_error = move || {
        checked(
            "notes",
            notes
                .with(|n| n.chars().count() > MAX_NOTES_CHARS)
                .then_some(Text::NotesTooLong),
        )
    };
    let valid =
        move || name_error().is_none() && email_error().is_none() && phone_error().is_none() && notes_error().is_none();
    // Bardge mode: a signed-in member books under the token's name and email; without a token, the
    // reseller's sign-in comes first.
    let sign_in = steps.catalog.with_value(|c| c.organisation.sign_in_url.clone());
    let members_only = sign_in.is_some();
    let member = steps
        .options
        .with_value(|o| o.member_token.as_deref().and_then(super::member::of_token));
    if let (Some(url), None) = (&sign_in, &member) {
        return view! {
            <section class="sb-step sb-form">
                <p>{ctx.t(Text::MembersOnly)}</p>
                <a class="sb-button sb-primary" href=url.clone()>{ctx.t(Text::SignInToBook)}</a>
            </section>
        }
        .into_any();
    }
    if let Some((member_name, member_email)) = &member {
        name.set(member_name.clone());
        email.set(member_email.clone());
    }
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
                // A Bardge booking may turn out to need a co-pay: it always says where to come back to.
                return_url: (paid || members_only).then(|| {
                    steps
                        .options
                        .with_value(|o| o.return_url.clone())
                        .unwrap_or_else(return_url)
                }),
            };
            in_flight.set(true);
            error.set(None);
            steps.status.set(ctx.t(Text::Reserving).into());
            let ctx = ctx.clone();
            spawn_local(async move {
                let result = ctx.api.post::<_, ReserveResponse>("/reserve", &request, &key).await;
                in_flight.set(false);
                match result {
                    Ok(r) => {
                        attempt_key.set_value(None);
                        reserved(&ctx, steps, r);
                    }
                    Err(f) => {
                        if !matches!(f, Failure::Network) {
                            attempt_key.set_value(None);
                        }
                        let text = match f.code() {
                            Some(ErrorCode::SlotUnavailable) => {
                                // Taken meanwhile: back to fresh times, with what was typed kept.
                                steps.notice.set(Some(ctx.t(Text::SlotTaken)));
                                steps.slot.set(None);
                                slots::load(&ctx, steps);
                                ctx.focus("#sb-times");
                                return;
                            }
                            Some(ErrorCode::CapacityExceeded) => ctx.t(Text::TooMany).to_string(),
                            Some(ErrorCode::PaymentsUnavailable) => ctx.t(Text::PaymentsOff).to_string(),
                            Some(ErrorCode::RateLimited) => ctx.t(Text::Busy).to_string(),
                            // A field the server refused: said beside it, in the customer's words.
                            Some(ErrorCode::ValidationError) if form_field(f.param()).is_some() => {
                                refused.set(form_field(f.param()));
                                touched.set(true);
                                ctx.t(Text::CheckField).to_string()
                            }
                            None => ctx.t(Text::LoadFailed).to_string(),
                            _ => ctx.t(Text::SomethingWrong).to_string(),
                        };
                        steps.status.set(text.clone());
                        error.set(Some(text));
                    }
                }
            });
        }
    };

    let lang = ctx.lang();
    view! {
        <form class="sb-step sb-form" novalidate=true aria-labelledby="sb-details" on:submit=submit>
            <h3 id="sb-details" class="sb-step-title" tabindex="-1">{ctx.t(Text::YourDetails)}</h3>
            <label class="sb-field">
                <span>{ctx.t(Text::Quantity)}</span>
                <select class="sb-input" name="quantity" on:change=move |ev| quantity.set(event_target_value(&ev).parse().unwrap_or(1))>
                    {(1..=max).map(|q| view! { <option value=q.to_string() selected=move || quantity.get() == q>{q}</option> }).collect_view()}
                </select>
            </label>
            {match member {
                Some((n, e)) => view! { <p class="sb-member">{format!("{}: {n} ({e})", ctx.t(Text::BookingAs))}</p> }.into_any(),
                None => view! {
                    <Field label=ctx.t(Text::Name) kind="text" auto="name" max=MAX_NAME_CHARS value=name touched=touched refused=refused problem=Signal::derive(name_error) />
                    <Field label=ctx.t(Text::Email) kind="email" auto="email" max=MAX_EMAIL_CHARS value=email touched=touched refused=refused problem=Signal::derive(email_error) />
                }.into_any(),
            }}
            <Field label=ctx.t(Text::Phone) kind="tel" auto="tel" max=MAX_PHONE_CHARS value=phone touched=touched refused=refused problem=Signal::derive(phone_error) />
            <label class="sb-field" for="sb-notes">
                <span>{ctx.t(Text::Notes)}" "<small>{format!("({})", ctx.t(Text::Optional))}</small></span>
                <textarea class="sb-input" id="sb-notes" name="notes" rows="2" maxlength=MAX_NOTES_CHARS.to_string()
                    aria-invalid=move || notes_error().is_some().to_string() aria-describedby="sb-notes-error"
                    prop:value=move || notes.get() on:input=move |ev| { refused.update(|r| if *r == Some("notes") { *r = None }); notes.set(event_target_value(&ev)) }></textarea>
                <span class="sb-field-error" id="sb-notes-error">{move || notes_error().map(|p| t(lang, p))}</span>
            </label>
            <p class="sb-total">
                <span>{ctx.t(Text::Total)}</span>
                <strong>{move || if total() == 0 { t(lang, Text::Free).to_string() } else { format::money(total(), &currency, &locale) }}</strong>
            </p>
            // Announced by the widget's live region (the status); shown here beside the button.
            {move || error.get().map(|e| view! { <p class="sb-error">{e}</p> })}
            <button class="sb-button sb-primary" type="submit" disabled=move || in_flight.get() aria-busy=move || in_flight.get().to_string()>
                {move || if in_flight.get() { t(lang, Text::Reserving) } else if paid { t(lang, Text::ReserveAndPay) } else { t(lang, Text::Reserve) }}
            </button>
        </form>
    }
    .into_any()
}

/// One labelled input with its error beside it (shown once the customer has typed or submitted), tied to
/// it by `aria-invalid` and `aria-describedby`.
#[component]
fn Field(
    label: &'static str,
    kind: &'static str,
    auto: &'static str,
    max: usize,
    value: RwSignal<String>,
    touched: RwSignal<bool>,
    refused: RwSignal<Option<&'static str>>,
    problem: Signal<Option<Text>>,
) -> impl IntoView {
    let lang: Lang = use_ctx().lang();
    let id = format!("sb-{auto}");
    let err_id = format!("{id}-error");
    let for_id = id.clone();
    view! {
        <label class="sb-field" for=for_id>
            <span>{label}</span>
            <input class="sb-input" id=id type=kind name=auto autocomplete=auto required=true maxlength=max.to_string()
                prop:value=move || value.get()
                aria-invalid=move || (touched.get() && problem.get().is_some()).to_string()
                aria-describedby=err_id.clone()
                on:input=move |ev| { refused.update(|r| if *r == Some(auto) { *r = None }); value.set(event_target_value(&ev)) }
                on:blur=move |_| if !value.get_untracked().is_empty() { touched.set(true) } />
            <span class="sb-field-error" id=err_id>{move || if touched.get() { problem.get().map(|p| t(lang, p)) } else { None }}</span>
        </label>
    }
}

/// The form's field (its `autocomplete` name) for a request field the server named.
fn form_field(param: Option<&str>) -> Option<&'static str> {
    match param? {
        "customerName" => Some("name"),
        "customerEmail" => Some("email"),
        "customerPhone" => Some("tel"),
        "notes" => Some("notes"),
        _ => None,
    }
}

/// A reserve answered: a free booking is confirmed; a paid one goes to the payment page; a Bardge booking
/// with several prices waits for the member's choice.
pub(super) fn reserved(ctx: &Ctx, steps: Steps, r: ReserveResponse) {
    let detail = Detail::new()
        .num("reservationId", r.reservation_id)
        .num("resourceTypeId", r.resource_type_id)
        .text("startTime", r.start_time)
        .text("endTime", r.end_time)
        .num("quantity", r.quantity)
        .num("amount", r.quoted_amount)
        .text("currency", &r.quoted_currency)
        .text("status", r.status.as_str())
        .text("paymentStatus", r.payment_status.as_str());
    ctx.emit("reserved", detail.clone());
    if let (None, Some(due), Some(manage_url)) = (&r.payment_data, &r.co_pay, &r.manage_url) {
        steps.status.set(ctx.t(Text::CoPayDue).into());
        steps.outcome.set(Some(Outcome::ChooseCoPay {
            due: due.clone(),
            manage_url: manage_url.clone(),
        }));
        return;
    }
    match (&r.payment_data, r.status) {
        (Some(p), ReservationStatus::PendingPayment) => {
            save_pending(&Pending {
                booker_path: ctx.api.booker_path.clone(),
                session_id: p.stripe_checkout_session_id.clone(),
                reservation_id: r.reservation_id,
                manage_url: r.manage_url.clone(),
                google_calendar_url: r.google_calendar_url.clone(),
            });
            ctx.emit("payment-started", detail);
            if go_to_checkout(&ctx.api.base, &p.checkout_url) {
                steps.status.set(ctx.t(Text::RedirectingToPay).into());
                steps.outcome.set(Some(Outcome::Redirecting));
            } else {
                clear_pending();
                ctx.emit(
                    "failed",
                    Detail::new()
                        .num("reservationId", r.reservation_id)
                        .text("stage", "checkout"),
                );
                steps.status.set(ctx.t(Text::PaymentFailed).into());
                steps.outcome.set(Some(Outcome::PaymentFailed {
                    checkout_url: None,
                    reason: None,
                }));
            }
        }
        _ => {
            ctx.emit("confirmed", detail);
            steps.status.set(ctx.t(Text::Confirmed).into());
            steps.outcome.set(Some(Outcome::Confirmed {
                reservation_id: r.reservation_id,
                booking: r.booking.clone(),
                manage_url: r.manage_url.clone(),
                google_calendar_url: r.google_calendar_url.clone(),
            }));
            ctx.focus(".sb-outcome");
        }
    }
}
