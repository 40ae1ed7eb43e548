//! Step one: the organisation's services, with duration and price; one that needs online payment is
//! disabled while the venue cannot take payments.

use super::context::{use_ctx, use_steps};
use crate::format;
use crate::i18n::Text;
use leptos::prelude::*;

#[component]
pub fn Services() -> impl IntoView {
    let ctx = use_ctx();
    let steps = use_steps();
    let locale = ctx.locale();
    let (types, accepts_payments) = steps
        .catalog
        .with_value(|c| (c.resource_types.clone(), c.organisation.accepts_payments));
    view! {
        <section class="sb-step" aria-labelledby="sb-services">
            <h3 id="sb-services" class="sb-step-title">{ctx.t(Text::ChooseService)}</h3>
            <ul class="sb-services" role="list">
                {types.into_iter().map(|rt| {
                    let id = rt.id;
                    let price = if rt.unit_amount == 0 { ctx.t(Text::Free).to_string() } else { format::money(rt.unit_amount, &rt.currency, &locale) };
                    let disabled = rt.requires_payment && !accepts_payments;
                    let ctx = ctx.clone();
                    view! {
                        <li>
                            <button class="sb-service" data-resource-type=id.to_string()
                                aria-pressed=move || (steps.service.get() == Some(id)).to_string()
                                disabled=disabled
                                on:click=move |_| { steps.service.set(Some(id)); steps.resource.set(None); ctx.focus("#sb-days"); }>
                                <span class="sb-service-name">{rt.name.clone()}</span>
                                <span class="sb-service-meta">{format!("{} {} · {}", rt.duration_minutes, ctx.t(Text::Minutes), price)}</span>
                                <span class="sb-service-desc">{rt.description.clone()}</span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
