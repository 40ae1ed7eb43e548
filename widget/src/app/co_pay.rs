//! Bardge mode: a booking the member's pass does not fully cover waits for their choice of what to pay (a
//! co-pay package, or how many visits on which billing cycle), offered as one list; the choice goes to the
//! booking's manage link (`/pay`), whose answer starts the payment as any paid reserve does.

use super::context::{use_ctx, use_steps};
use crate::format;
use crate::i18n::Text;
use leptos::prelude::*;
use leptos::task::spawn_local;
use slotbook_core::wire::{CoPayDue, ReserveResponse};

#[component]
pub fn CoPayChoice(due: CoPayDue, manage_url: String) -> impl IntoView {
    let ctx = use_ctx();
    let steps = use_steps();
    let locale = ctx.locale();
    // Each choice's words and the `/pay` body it sends. Ids and cycles are letters, digits, `_` and `-` (the
    // edge checked them): JSON text as they are.
    let mut choices: Vec<(String, String)> = due
        .options
        .iter()
        .map(|o| {
            let label = format!("{} · {}", o.name, format::money(o.amount, &o.currency, &locale));
            (label, format!(r#"{{"copayPackageId":"{}"}}"#, o.id))
        })
        .collect();
    if let Some(v) = &due.visits {
        for d in &v.durations {
            for n in 1..=v.max_visits {
                let price = format::money(v.cost_per_visit * n as i64, &v.currency, &locale);
                let label = format!("{n} × {} · {d} · {price}", ctx.t(Text::Visits));
                choices.push((label, format!(r#"{{"numberOfVisits":{n},"duration":"{d}"}}"#)));
            }
        }
    }
    let chosen = RwSignal::new(0usize);
    let in_flight = RwSignal::new(false);
    let token = manage_url.rsplit('/').next().unwrap_or_default().to_string();
    let bodies: Vec<String> = choices.iter().map(|(_, body)| body.clone()).collect();
    let pay = {
        let ctx = ctx.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let Some(body) = bodies.get(chosen.get_untracked()).cloned() else {
                return;
            };
            if in_flight.get_untracked() {
                return;
            }
            in_flight.set(true);
            let (ctx, token) = (ctx.clone(), token.clone());
            spawn_local(async move {
                match ctx.api.manage::<ReserveResponse>(&token, "/pay", Some(body)).await {
                    Ok(r) => super::details::reserved(&ctx, steps, r),
                    Err(_) => {
                        in_flight.set(false);
                        steps.status.set(ctx.t(Text::SomethingWrong).into());
                    }
                }
            });
        }
    };
    view! {
        <form class="sb-outcome sb-copay" on:submit=pay>
            <label class="sb-field">
                <span>{ctx.t(Text::CoPayDue)}</span>
                <select class="sb-input" on:change=move |ev| chosen.set(event_target_value(&ev).parse().unwrap_or(0))>
                    {choices.into_iter().enumerate().map(|(i, (label, _))| view! { <option value=i.to_string()>{label}</option> }).collect_view()}
                </select>
            </label>
            <button class="sb-button sb-primary" type="submit" disabled=move || in_flight.get()>{ctx.t(Text::PayNow)}</button>
        </form>
    }
}
