//! How it ended: confirmed (with what was booked and the customer's links), on the way to payment, a
//! payment being checked, still processing, not completed (back from Stripe unpaid), or failed.

use super::context::{use_ctx, use_steps, Ctx};
use super::payment::{self, clear_pending, go_to_checkout};
use super::Outcome;
use crate::format;
use crate::i18n::Text;
use leptos::prelude::*;
use slotbook_core::reservation::PaymentStatus;
use slotbook_core::wire::BookingSummary;

#[component]
pub fn OutcomeView(outcome: Outcome, on_again: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let ctx = use_ctx();
    let steps = use_steps();
    let again = on_again.clone();
    match outcome {
        Outcome::Confirmed { reservation_id, booking, manage_url, google_calendar_url } => view! {
            <section class="sb-outcome sb-confirmed" tabindex="-1">
                <h3>{ctx.t(Text::Confirmed)}</h3>
                <p>{ctx.t(Text::ConfirmedBody)}</p>
                {booking.map(|b| view! { <BookingDetails booking=b /> })}
                <p class="sb-ref">{format!("{}: {}", ctx.t(Text::Reference), reservation_id)}</p>
                {manage_url.map(|url| view! {
                    <p class="sb-links">
                        <a class="sb-button" href=format!("{url}/calendar.ics") download="">{ctx.t(Text::AddToCalendar)}</a>
                        {google_calendar_url.map(|g| view! { <a class="sb-button" href=g target="_blank" rel="noopener">"Google Calendar"</a> })}
                        <a class="sb-button" href=url target="_blank" rel="noopener">{ctx.t(Text::ManageBooking)}</a>
                    </p>
                })}
                <button class="sb-button" on:click=move |_| again()>{ctx.t(Text::BookAnother)}</button>
            </section>
        }.into_any(),
        Outcome::PaymentNotCompleted { checkout_url } => {
            let api = ctx.api.base.clone();
            view! {
                <section class="sb-outcome sb-unpaid">
                    <h3>{ctx.t(Text::PaymentNotCompleted)}</h3>
                    <p>{ctx.t(Text::PaymentNotCompletedBody)}</p>
                    <button class="sb-button sb-primary" on:click=move |_| { go_to_checkout(&api, &checkout_url); }>{ctx.t(Text::PayNow)}</button>
                    <button class="sb-button" on:click=move |_| { clear_pending(); again() }>{ctx.t(Text::PickAnotherTime)}</button>
                </section>
            }.into_any()
        }
        Outcome::ChooseCoPay { due, manage_url } => {
            view! { <super::co_pay::CoPayChoice due=due manage_url=manage_url /> }.into_any()
        }
        Outcome::Redirecting => view! { <section class="sb-outcome" aria-busy="true"><p>{ctx.t(Text::RedirectingToPay)}</p></section> }.into_any(),
        Outcome::Checking => view! { <section class="sb-outcome" aria-busy="true"><p>{ctx.t(Text::CheckingPayment)}</p></section> }.into_any(),
        Outcome::StillProcessing => {
            let check_ctx: Ctx = ctx.clone();
            view! {
                <section class="sb-outcome">
                    <p>{ctx.t(Text::StillProcessing)}</p>
                    <button class="sb-button sb-primary" on:click=move |_| payment::resume(&check_ctx, steps.outcome, steps.status)>{ctx.t(Text::CheckAgain)}</button>
                </section>
            }.into_any()
        }
        Outcome::PaymentFailed { checkout_url, reason } => view! {
            <section class="sb-outcome sb-failed" tabindex="-1">
                <h3>{ctx.t(Text::PaymentFailed)}</h3>
                <p>{reason.unwrap_or_else(|| ctx.t(Text::PaymentFailedBody).to_string())}</p>
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
pub fn BookingDetails(booking: BookingSummary) -> impl IntoView {
    let ctx = use_ctx();
    let locale = ctx.locale();
    let b = booking;
    let day = format::LongDates::new(&locale).of(format::date_in(b.start_time, &b.time_zone));
    let span = |zone: &str| {
        let times = format::Times::new(zone, &locale);
        format!("{}–{}", times.of(b.start_time), times.of(b.end_time))
    };
    let mut when = format!("{day}, {}", span(&b.time_zone));
    let visitor = format::visitor_zone();
    if !visitor.is_empty() && visitor != b.time_zone {
        when.push_str(&format!(
            " ({}; {}: {})",
            b.time_zone,
            ctx.t(Text::YourTime),
            span(&visitor)
        ));
    }
    let mut service = b.service.clone();
    if !b.resources.is_empty() {
        service.push_str(&format!(" · {}", b.resources.join(", ")));
    }
    let paid = b.payment_status == PaymentStatus::Succeeded;
    let amount = (b.amount > 0).then(|| {
        let money = format::money(b.amount, &b.currency, &locale);
        if paid {
            format!("{money} · {}", ctx.t(Text::PaymentReceived))
        } else {
            money
        }
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
