//! Step two: the resource, where the service lets the customer choose one, and the day, on a month
//! calendar where days without opening hours (closed, past, beyond the booking window) are disabled.

use super::context::{use_ctx, use_steps};
use crate::format;
use crate::i18n::Text;
use leptos::prelude::*;
use slotbook_core::time::Date;
use slotbook_core::wire::ResourceTypeInfo;

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

#[component]
pub fn Calendar(rt: ResourceTypeInfo) -> impl IntoView {
    let ctx = use_ctx();
    let steps = use_steps();
    let (month, day, today) = (steps.month, steps.day, steps.today);
    let (window_days, closed) = steps.catalog.with_value(|c| (c.organisation.booking_window_days, c.organisation.closed_dates.clone()));
    let last = today.add_days(window_days as i64 - 1);
    let locale = ctx.locale();
    let weekdays = format::weekday_names(&locale);
    let open = rt.open_weekdays.clone();
    let bookable = move |d: Date| d >= today && d <= last && open.contains(&d.weekday()) && !closed.contains(&d);
    let month_locale = locale.clone();
    let days_ctx = ctx.clone();
    view! {
        <section class="sb-step" aria-labelledby="sb-days">
            <h3 id="sb-days" class="sb-step-title" tabindex="-1">{ctx.t(Text::ChooseDay)}</h3>
            <div class="sb-cal-head">
                <button class="sb-nav" aria-label=ctx.t(Text::PreviousMonth) disabled=move || month.get() <= today.first_of_month()
                    on:click=move |_| month.update(|m| *m = m.add_months(-1))>"‹"</button>
                <span class="sb-month" aria-live="polite">{move || format::month(month.get(), &month_locale)}</span>
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
                    let ctx = days_ctx.clone();
                    (0..lead).map(|_| view! { <span class="sb-pad"></span> }.into_any())
                        .chain((0..first.days_in_month() as i64).map(move |i| {
                            let d = first.add_days(i);
                            let ok = bookable(d);
                            let long = format::long_date(d, &locale);
                            let ctx = ctx.clone();
                            view! {
                                <button class="sb-day" data-date=d.to_string() aria-label=long disabled=!ok
                                    class:selected=move || day.get() == Some(d)
                                    aria-pressed=move || (day.get() == Some(d)).to_string()
                                    on:click=move |_| { day.set(Some(d)); ctx.focus("#sb-times"); }>{d.day}</button>
                            }.into_any()
                        }))
                        .collect_view()
                }}
            </div>
        </section>
    }
}
