//! Step two: the resource, where the service lets the customer choose one, and the day, on a month grid
//! following the WAI-ARIA date picker pattern: weeks as rows, one Tab stop, arrow keys between days, Home
//! and End to the week's ends, PageUp and PageDown between months. Days that cannot be booked stay in the
//! grid, disabled with the reason (closed, fully booked, not bookable), from the catalog and the month's
//! availability summary.

use super::context::{use_ctx, use_steps};
use crate::format;
use crate::i18n::Text;
use leptos::prelude::*;
use leptos::task::spawn_local;
use slotbook_core::time::Date;
use slotbook_core::wire::{MonthAvailability, ResourceTypeInfo};

#[component]
pub fn ResourcePicker(rt: ResourceTypeInfo) -> impl IntoView {
    let ctx = use_ctx();
    let resource = use_steps().resource;
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

/// Whether a day can be booked, and why not when it cannot.
#[derive(Clone, Copy, PartialEq)]
enum DayState {
    Open,
    Closed,
    Full,
    NotBookable,
}

#[component]
pub fn Calendar(rt: ResourceTypeInfo) -> impl IntoView {
    let ctx = use_ctx();
    let steps = use_steps();
    let (month, day, today) = (steps.month, steps.day, steps.today);
    let (window_days, closed) = steps
        .catalog
        .with_value(|c| (c.organisation.booking_window_days, c.organisation.closed_dates.clone()));
    let last = today.add_days(window_days as i64 - 1);
    let locale = ctx.locale();
    let short = format::weekday_names(&locale, "short");
    let long = format::weekday_names(&locale, "long");
    // Stored, so the day's state is a Copy closure every cell can hold.
    let open = StoredValue::new(rt.open_weekdays.clone());
    let closed = StoredValue::new(closed);
    let summary = RwSignal::new(None::<MonthAvailability>);
    // The day that holds the grid's one Tab stop.
    let focus_day = RwSignal::new(day.get_untracked().unwrap_or(today.max(month.get_untracked())));

    // The month's summary: which days still have room.
    {
        let ctx = ctx.clone();
        Effect::new(move |_| {
            let m = month.get();
            let (Some(type_id), resource) = (steps.service.get(), steps.resource.get()) else {
                return;
            };
            let mut path = format!("/calendar?month={}&resourceTypeId={type_id}", &m.to_string()[..7]);
            if let Some(r) = resource {
                path.push_str(&format!("&resourceId={r}"));
            }
            summary.set(None);
            let ctx = ctx.clone();
            spawn_local(async move {
                // Without it (an older backend) the calendar still knows closed days from the catalog.
                if let Ok(s) = ctx.api.get::<MonthAvailability>(&path).await {
                    if s.month == month.get_untracked() {
                        summary.set(Some(s));
                    }
                }
            });
        });
    }
    let state = move |d: Date| -> DayState {
        if closed.with_value(|c| c.contains(&d)) || !open.with_value(|o| o.contains(&d.weekday())) {
            return DayState::Closed;
        }
        if d < today || d > last {
            return DayState::NotBookable;
        }
        summary.with(|s| match s.as_ref().and_then(|s| s.days.iter().find(|x| x.date == d)) {
            Some(x) if x.slots == 0 => DayState::NotBookable,
            Some(x) if x.available == 0 => DayState::Full,
            _ => DayState::Open,
        })
    };

    let go = {
        let ctx = ctx.clone();
        move |d: Date| {
            let d = d.max(today.first_of_month()).min(last);
            focus_day.set(d);
            if d.first_of_month() != month.get_untracked() {
                month.set(d.first_of_month());
            }
            ctx.focus(format!(".sb-day[data-date='{d}']"));
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let d = focus_day.get_untracked();
        let target = match ev.key().as_str() {
            "ArrowLeft" => d.add_days(-1),
            "ArrowRight" => d.add_days(1),
            "ArrowUp" => d.add_days(-7),
            "ArrowDown" => d.add_days(7),
            "Home" => d.add_days(1 - d.weekday() as i64),
            "End" => d.add_days(7 - d.weekday() as i64),
            "PageUp" => d.add_months(-1),
            "PageDown" => d.add_months(1),
            _ => return,
        };
        ev.prevent_default();
        go(target);
    };

    let month_locale = locale.clone();
    let dates = format::LongDates::new(&locale);
    let days_ctx = ctx.clone();
    view! {
        <section class="sb-step" aria-labelledby="sb-days">
            <h3 id="sb-days" class="sb-step-title" tabindex="-1">{ctx.t(Text::ChooseDay)}</h3>
            <div class="sb-cal-head">
                <button class="sb-nav" type="button" aria-label=ctx.t(Text::PreviousMonth) disabled=move || month.get() <= today.first_of_month()
                    on:click=move |_| { month.update(|m| *m = m.add_months(-1)); focus_day.set(month.get_untracked().max(today)); }>"‹"</button>
                <h4 class="sb-month" id="sb-month-label" aria-live="polite">{move || format::month(month.get(), &month_locale)}</h4>
                <button class="sb-nav" type="button" aria-label=ctx.t(Text::NextMonth) disabled=move || { month.get().add_months(1) > last }
                    on:click=move |_| { month.update(|m| *m = m.add_months(1)); focus_day.set(month.get_untracked()); }>"›"</button>
            </div>
            <table class="sb-cal" role="grid" aria-labelledby="sb-month-label">
                <thead>
                    <tr>{short.into_iter().zip(long).map(|(s, l)| view! { <th scope="col" abbr=l>{s}</th> }).collect_view()}</tr>
                </thead>
                <tbody on:keydown=on_key>
                    {move || {
                        let first = month.get();
                        let lead = (first.weekday() - 1) as i64;
                        let count = first.days_in_month() as i64;
                        let weeks = (lead + count + 6) / 7;
                        let dates = dates.clone();
                        let ctx = days_ctx.clone();
                        // The Tab stop stays in the shown month.
                        if focus_day.get_untracked().first_of_month() != first {
                            focus_day.set(day.get_untracked().filter(|d| d.first_of_month() == first).unwrap_or(first.max(today)));
                        }
                        (0..weeks).map(move |w| {
                            let dates = dates.clone();
                            let ctx = ctx.clone();
                            view! {
                                <tr>
                                    {(0..7).map(move |c| {
                                        let i = w * 7 + c - lead;
                                        if i < 0 || i >= count {
                                            return view! { <td></td> }.into_any();
                                        }
                                        let d = first.add_days(i);
                                        let long = dates.of(d);
                                        let ctx = ctx.clone();
                                        let reason = move || match state(d) {
                                            DayState::Open => None,
                                            DayState::Closed => Some(Text::DayClosed),
                                            DayState::Full => Some(Text::DayFull),
                                            DayState::NotBookable => Some(Text::DayNotBookable),
                                        };
                                        let label = {
                                            let ctx = ctx.clone();
                                            move || match reason() {
                                                Some(r) => format!("{long}, {}", ctx.t(r)),
                                                None => long.clone(),
                                            }
                                        };
                                        view! {
                                            <td>
                                                <button class="sb-day" type="button" data-date=d.to_string() aria-label=label
                                                    tabindex=move || if focus_day.get() == d { "0" } else { "-1" }
                                                    aria-disabled=move || reason().is_some().to_string()
                                                    class:full=move || reason() == Some(Text::DayFull)
                                                    aria-pressed=move || (day.get() == Some(d)).to_string()
                                                    on:focus=move |_| focus_day.set(d)
                                                    on:click=move |_| {
                                                        if reason().is_none() {
                                                            day.set(Some(d));
                                                            ctx.focus("#sb-times");
                                                        }
                                                    }>{d.day}</button>
                                            </td>
                                        }.into_any()
                                    }).collect_view()}
                                </tr>
                            }
                        }).collect_view()
                    }}
                </tbody>
            </table>
        </section>
    }
}
