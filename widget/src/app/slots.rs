//! Step three: the day's times in the organisation's zone (labelled with it when the visitor's differs),
//! each with the places left; full ones are shown but not offered as buttons.

use super::context::{use_ctx, use_steps, Ctx, Detail, Steps};
use super::Load;
use crate::format;
use crate::i18n::Text;
use leptos::prelude::*;
use leptos::task::spawn_local;
use slotbook_core::wire::Availability;

/// Loads the day's slots whenever the service, resource or day changes.
pub fn follow(ctx: &Ctx, steps: Steps) {
    let ctx = ctx.clone();
    Effect::new(move |_| {
        steps.service.track();
        steps.resource.track();
        steps.day.track();
        steps.slot.set(None);
        load(&ctx, steps);
    });
}

/// Loads the chosen day's slots; an answer to an older request is dropped.
pub fn load(ctx: &Ctx, steps: Steps) {
    let (Some(type_id), Some(d)) = (steps.service.get_untracked(), steps.day.get_untracked()) else {
        steps.slots.set(None);
        return;
    };
    let mut path = format!("/availability?date={d}&resourceTypeId={type_id}");
    if let Some(r) = steps.resource.get_untracked() {
        path.push_str(&format!("&resourceId={r}"));
    }
    let this = steps.generation.with_value(|g| g + 1);
    steps.generation.set_value(this);
    steps.slots.set(Some(Load::Loading));
    let ctx = ctx.clone();
    spawn_local(async move {
        let result = ctx.api.get::<Availability>(&path).await;
        if steps.generation.get_value() == this {
            steps.slots.set(Some(match result {
                Ok(a) => Load::Ready(a),
                Err(f) => Load::Failed(f),
            }));
        }
    });
}

#[component]
pub fn Slots() -> impl IntoView {
    let ctx = use_ctx();
    let steps = use_steps();
    let zone = steps.zone();
    let show_zone = format::visitor_zone() != zone;
    move || {
        steps.slots.get().map(|state| {
            if matches!(state, Load::Ready(_)) {
                crate::timing::mark("booking:slots");
            }
            let ctx = ctx.clone();
            let zone = zone.clone();
            let retry_ctx = ctx.clone();
            view! {
                <section class="sb-step" aria-labelledby="sb-times">
                    <h3 id="sb-times" class="sb-step-title" tabindex="-1">{ctx.t(Text::ChooseTime)}
                        {show_zone.then(|| view! { <span class="sb-zone">{format!(" · {} {}", ctx.t(Text::TimesIn), zone.clone())}</span> })}
                    </h3>
                    {steps.notice.get().map(|n| view! { <p class="sb-notice" role="alert">{n}</p> })}
                    {match state {
                        Load::Loading => view! { <div class="sb-skeleton" aria-busy="true">{ctx.t(Text::Loading)}</div> }.into_any(),
                        Load::Failed(_) => view! {
                            <div class="sb-error" role="alert"><p>{ctx.t(Text::LoadFailed)}</p>
                            <button class="sb-button" on:click=move |_| load(&retry_ctx, steps)>{ctx.t(Text::Retry)}</button></div>
                        }.into_any(),
                        Load::Ready(a) if a.slots.is_empty() => view! { <p class="sb-empty">{ctx.t(Text::NoSlots)}</p> }.into_any(),
                        Load::Ready(a) => {
                            let times = format::Times::new(&zone, &ctx.locale());
                            view! {
                            <ul class="sb-slots" role="list">
                                {a.slots.into_iter().map(|s| {
                                    let label = times.of(s.start_time);
                                    let left = if s.available == 0 { ctx.t(Text::Full).to_string() } else { format!("{} {}", s.available, ctx.t(Text::PlacesLeft)) };
                                    let c = ctx.clone();
                                    let chosen = move || steps.slot.get().map(|x| x.start_time) == Some(s.start_time);
                                    if s.available == 0 {
                                        // Full: shown for the day's shape, not offered.
                                        return view! {
                                            <li><span class="sb-slot sb-slot-full" data-start=s.start_time.to_string()>
                                                <span class="sb-slot-time">{label}</span>
                                                <span class="sb-slot-left">{left}</span>
                                            </span></li>
                                        }.into_any();
                                    }
                                    view! {
                                        <li><button class="sb-slot" data-start=s.start_time.to_string()
                                            aria-pressed=move || chosen().to_string()
                                            on:click=move |_| {
                                                steps.notice.set(None);
                                                steps.slot.set(Some(s));
                                                c.focus("#sb-details");
                                                c.emit("slot-selected", Detail::new().opt_num("resourceTypeId", steps.service.get_untracked()).text("startTime", s.start_time).text("endTime", s.end_time).num("available", s.available));
                                            }>
                                            <span class="sb-slot-time">{label}</span>
                                            <span class="sb-slot-left">{left}</span>
                                        </button></li>
                                    }.into_any()
                                }).collect_view()}
                            </ul>
                        }.into_any()
                        }
                    }}
                </section>
            }
        })
    }
}
