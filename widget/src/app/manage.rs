//! A booking opened from its manage link (`?booking=` on the venue's page): what was booked, the calendar
//! links, and — until the organisation's notice before the start — cancelling it or moving it to another
//! time, chosen on the same calendar and times as a booking. Dispatches `booking:cancelled` and
//! `booking:rescheduled`.

use super::calendar::Calendar;
use super::context::{use_ctx, Ctx, Detail, Steps};
use super::outcome::BookingDetails;
use super::slots::{self, Slots};
use super::{Load, Outcome};
use crate::format;
use crate::i18n::Text;
use crate::Options;
use leptos::prelude::*;
use leptos::task::spawn_local;
use slotbook_core::error::ErrorCode;
use slotbook_core::reservation::{PaymentStatus, ReservationStatus};
use slotbook_core::wire::{Catalog, ManagedBooking};

#[component]
pub fn ManageView(token: String, catalog: Catalog, options: Options, status: RwSignal<String>) -> impl IntoView {
    let ctx = use_ctx();
    let steps = Steps::new(catalog, options, RwSignal::new(None::<Outcome>), status);
    provide_context(steps);
    slots::follow(&ctx, steps);
    let booking = RwSignal::new(Load::<ManagedBooking>::Loading);
    let moving = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<&'static str>);
    let token = StoredValue::new(token);

    let load = {
        let ctx = ctx.clone();
        move || {
            let ctx = ctx.clone();
            spawn_local(async move {
                let answer = ctx.api.manage::<ManagedBooking>(&token.get_value(), "", None).await;
                if let Ok(b) = &answer {
                    steps.service.set(Some(b.resource_type_id));
                }
                booking.set(match answer {
                    Ok(b) => Load::Ready(b),
                    Err(f) => Load::Failed(f),
                });
            });
        }
    };
    load();

    // Cancel or move: the answer is the booking as it now is.
    let act = {
        let ctx = ctx.clone();
        move |rest: &'static str, body: Detail| {
            if busy.get_untracked() {
                return;
            }
            busy.set(true);
            message.set(None);
            let ctx: Ctx = ctx.clone();
            spawn_local(async move {
                let answer = ctx
                    .api
                    .manage::<ManagedBooking>(&token.get_value(), rest, Some(body.json()))
                    .await;
                busy.set(false);
                match answer {
                    Ok(b) => {
                        let detail = Detail::new()
                            .num("reservationId", b.reservation_id)
                            .text("startTime", b.booking.start_time)
                            .text("endTime", b.booking.end_time)
                            .text("status", b.booking.status.as_str())
                            .text("paymentStatus", b.booking.payment_status.as_str());
                        let (event, text) = if rest == "/cancel" {
                            ("cancelled", Text::BookingCancelled)
                        } else {
                            ("rescheduled", Text::BookingMoved)
                        };
                        ctx.emit(event, detail);
                        status.set(ctx.t(text).into());
                        // A cancelled booking says so below its details; a move says it here.
                        message.set((rest != "/cancel").then(|| ctx.t(text)));
                        moving.set(false);
                        confirming.set(false);
                        steps.slot.set(None);
                        booking.set(Load::Ready(b));
                        ctx.focus(".sb-manage");
                    }
                    Err(f) => {
                        let text = match f.code() {
                            Some(ErrorCode::TooLateToChange) => Text::TooLate,
                            Some(ErrorCode::SlotUnavailable) => {
                                steps.slot.set(None);
                                slots::load(&ctx, steps);
                                Text::SlotTaken
                            }
                            Some(ErrorCode::RateLimited) => Text::Busy,
                            None => Text::LoadFailed,
                            _ => Text::SomethingWrong,
                        };
                        status.set(ctx.t(text).into());
                        message.set(Some(ctx.t(text)));
                    }
                }
            });
        }
    };

    move || match booking.get() {
        Load::Loading => view! { <div class="sb-skeleton" aria-busy="true">{ctx.t(Text::Loading)}</div> }.into_any(),
        Load::Failed(f) => {
            let ctx = ctx.clone();
            let missing = f.code() == Some(ErrorCode::ResourceNotFound);
            let retry = load.clone();
            view! {
                <div class="sb-error" role="alert">
                    <p>{ctx.t(if missing { Text::BookingNotFound } else { Text::LoadFailed })}</p>
                    {(!missing).then(|| view! { <button class="sb-button" on:click=move |_| retry()>{ctx.t(Text::Retry)}</button> })}
                </div>
            }.into_any()
        }
        Load::Ready(b) => {
            let ctx = ctx.clone();
            let zone = b.booking.time_zone.clone();
            let locale = ctx.locale();
            let deadline = format!(
                "{}, {}",
                format::LongDates::new(&locale).of(format::date_in(b.change_deadline, &zone)),
                format::Times::new(&zone, &locale).of(b.change_deadline)
            );
            let cancelled = b.booking.status == ReservationStatus::Cancelled;
            let refunded = matches!(
                b.booking.payment_status,
                PaymentStatus::Refunded | PaymentStatus::Succeeded
            ) && b.booking.amount > 0;
            let rt = steps
                .catalog
                .with_value(|c| c.resource_types.iter().find(|rt| rt.id == b.resource_type_id).cloned());
            let (cancel, move_here) = (act.clone(), act.clone());
            view! {
                <section class="sb-step sb-manage" tabindex="-1" aria-labelledby="sb-your-booking">
                    <h3 id="sb-your-booking" class="sb-step-title">{ctx.t(Text::YourBooking)}</h3>
                    {move || message.get().map(|m| view! { <p class="sb-notice">{m}</p> })}
                    <BookingDetails booking=b.booking.clone() />
                    <p class="sb-ref">{format!("{}: {}", ctx.t(Text::Reference), b.booking.reference)}</p>
                    {cancelled.then(|| view! {
                        <p class="sb-cancelled">{ctx.t(Text::BookingCancelled)}" "{refunded.then(|| ctx.t(Text::RefundOnTheWay))}</p>
                        {page_without_booking(&token.get_value()).map(|href| view! {
                            <p class="sb-links"><a class="sb-button sb-book-again" href=href>{ctx.t(Text::BookAnother)}</a></p>
                        })}
                    })}
                    {(!cancelled).then(|| view! {
                        <p class="sb-links">
                            <a class="sb-button" href=b.calendar_url.clone() download="">{ctx.t(Text::AddToCalendar)}</a>
                            <a class="sb-button" href=b.google_calendar_url.clone() target="_blank" rel="noopener">"Google Calendar"</a>
                        </p>
                    })}
                    {(b.can_cancel || b.can_reschedule).then(|| view! { <p>{format!("{} {deadline}.", ctx.t(Text::ChangeUntil))}</p> })}
                    {(!cancelled && !b.can_cancel).then(|| view! { <p>{ctx.t(Text::TooLate)}</p> })}
                    <p class="sb-actions">
                        {b.can_reschedule.then(|| view! {
                            <button class="sb-button" aria-expanded=move || moving.get().to_string()
                                on:click=move |_| moving.update(|m| *m = !*m)>{ctx.t(Text::MoveBooking)}</button>
                        })}
                        {b.can_cancel.then(|| view! {
                            <button class="sb-button" on:click=move |_| confirming.set(true)>{ctx.t(Text::CancelBooking)}</button>
                        })}
                    </p>
                    {let ctx = ctx.clone(); move || confirming.get().then(|| {
                        let cancel = cancel.clone();
                        view! {
                            <div class="sb-confirm" role="alertdialog" aria-labelledby="sb-confirm-cancel">
                                <p id="sb-confirm-cancel">{ctx.t(Text::ConfirmCancel)}</p>
                                <button class="sb-button sb-primary sb-do-cancel" disabled=move || busy.get()
                                    on:click=move |_| cancel("/cancel", Detail::new())>{ctx.t(Text::CancelBooking)}</button>
                                <button class="sb-button" on:click=move |_| confirming.set(false)>{ctx.t(Text::KeepBooking)}</button>
                            </div>
                        }
                    })}
                </section>
                {let ctx = ctx.clone(); move || moving.get().then(|| {
                    let rt = rt.clone()?;
                    let move_here = move_here.clone();
                    let ctx = ctx.clone();
                    Some(view! {
                        <Calendar rt=rt />
                        <Slots />
                        {move || steps.slot.get().map(|s| {
                            let move_here = move_here.clone();
                            let ctx = ctx.clone();
                            view! {
                                <p class="sb-step">
                                    <button class="sb-button sb-primary sb-move-here" disabled=move || busy.get()
                                        on:click=move |_| move_here("/reschedule", Detail::new().text("startTime", s.start_time).text("endTime", s.end_time))>
                                        {ctx.t(Text::MoveHere)}
                                    </button>
                                </p>
                            }
                        })}
                    })
                }).flatten()}
            }.into_any()
        }
    }
}

/// This page without the manage token in its address (`?booking=`), where a customer books something else;
/// `None` when the token came from elsewhere (`data-manage`), as the page would show the booking again.
fn page_without_booking(token: &str) -> Option<String> {
    let url = super::payment::current_url()?;
    if url.search_params().get("booking").as_deref() != Some(token) {
        return None;
    }
    url.search_params().delete("booking");
    Some(url.href())
}
