//! The plain manage page: a booking as its customer sees it from a link in the venue's email, with forms
//! to move or cancel it, in the customer's language (their browser's `Accept-Language`: English, German or
//! Hungarian).

use crate::html::{escape, money, page};
use slotbook_core::availability::Zone;
use slotbook_core::error::ApiResult;
use slotbook_core::lang::Lang;
use slotbook_core::reservation::{PaymentStatus, ReservationStatus};
use slotbook_core::wire::{Availability, ManagedBooking};
use worker::Response;

#[derive(Clone, Copy)]
enum Word {
    Booking,
    Where,
    When,
    Duration,
    Minutes,
    Places,
    Amount,
    PaymentReceived,
    Refunded,
    Address,
    Status,
    Cancelled,
    WaitingForPayment,
    Confirmed,
    Reference,
    AddToCalendar,
    ChangeUntil,
    TooLate,
    MoveBooking,
    Day,
    ShowTimes,
    NoTimes,
    Cancel,
    CancelBooking,
    NoticeCancelled,
    NoticeMoved,
    NoticeTaken,
    NoticeAlreadyCancelled,
}

fn word(lang: Lang, w: Word) -> &'static str {
    use Word::*;
    let words = match w {
        Booking => ("Booking", "Buchung", "Foglalás"),
        Where => ("Where", "Wo", "Hol"),
        When => ("When", "Wann", "Időpont"),
        Duration => ("Duration", "Dauer", "Időtartam"),
        Minutes => ("min", "Min.", "perc"),
        Places => ("Places", "Plätze", "Helyek"),
        Amount => ("Amount", "Betrag", "Összeg"),
        PaymentReceived => ("payment received", "Zahlung erhalten", "fizetés beérkezett"),
        Refunded => ("refunded", "erstattet", "visszatérítve"),
        Address => ("Address", "Adresse", "Cím"),
        Status => ("Status", "Status", "Állapot"),
        Cancelled => ("Cancelled", "Storniert", "Lemondva"),
        WaitingForPayment => ("Waiting for payment", "Zahlung ausstehend", "Fizetésre vár"),
        Confirmed => ("Confirmed", "Bestätigt", "Megerősítve"),
        Reference => ("Booking reference", "Buchungsnummer", "Foglalási szám"),
        AddToCalendar => (
            "Add to calendar (.ics)",
            "Zum Kalender hinzufügen (.ics)",
            "Hozzáadás a naptárhoz (.ics)",
        ),
        ChangeUntil => (
            "You can change or cancel this booking online until",
            "Sie können diese Buchung online ändern oder stornieren bis",
            "Online módosíthatja vagy lemondhatja eddig:",
        ),
        TooLate => (
            "It is too late to change this booking online. Please contact the venue.",
            "Diese Buchung kann online nicht mehr geändert werden. Bitte kontaktieren Sie uns.",
            "Ezt a foglalást már nem lehet online módosítani. Kérjük, vegye fel velünk a kapcsolatot.",
        ),
        MoveBooking => (
            "Move to another time",
            "Auf eine andere Zeit verschieben",
            "Áthelyezés másik időpontra",
        ),
        Day => ("Day", "Tag", "Nap"),
        ShowTimes => ("Show times", "Zeiten anzeigen", "Időpontok"),
        NoTimes => (
            "No free times that day.",
            "An diesem Tag ist nichts frei.",
            "Ezen a napon nincs szabad időpont.",
        ),
        Cancel => ("Cancel", "Stornieren", "Lemondás"),
        CancelBooking => ("Cancel this booking", "Diese Buchung stornieren", "Foglalás lemondása"),
        NoticeCancelled => (
            "Your booking is cancelled. If you paid for it, the payment is on its way back to you.",
            "Ihre Buchung ist storniert. Falls Sie bezahlt haben, wird Ihnen der Betrag erstattet.",
            "A foglalást lemondtuk. Ha fizetett érte, az összeget visszatérítjük.",
        ),
        NoticeMoved => (
            "Your booking has moved to its new time.",
            "Ihre Buchung wurde auf die neue Zeit verschoben.",
            "A foglalást áthelyeztük az új időpontra.",
        ),
        NoticeTaken => (
            "That time was just taken. Please choose another.",
            "Diese Zeit wurde gerade vergeben. Bitte wählen Sie eine andere.",
            "Ezt az időpontot épp lefoglalták. Kérjük, válasszon másikat.",
        ),
        NoticeAlreadyCancelled => (
            "This booking was already cancelled.",
            "Diese Buchung war bereits storniert.",
            "Ezt a foglalást már lemondták.",
        ),
    };
    lang.pick(words)
}

/// What the page says after one of its forms (`?notice=`): whether it is good news, and the words.
fn notice_of(name: &str) -> Option<(bool, Word)> {
    Some(match name {
        "cancelled" => (true, Word::NoticeCancelled),
        "moved" => (true, Word::NoticeMoved),
        "too_late_to_change" => (false, Word::TooLate),
        "slot_unavailable" => (false, Word::NoticeTaken),
        "already_cancelled" => (false, Word::NoticeAlreadyCancelled),
        _ => return None,
    })
}

/// The page for a booking; `day` holds a chosen day's times to move to.
pub fn render(
    b: &ManagedBooking,
    lang: Lang,
    manage_url: &str,
    notice: Option<&str>,
    day: Option<&Availability>,
) -> ApiResult<Response> {
    let w = |x| word(lang, x);
    let s = &b.booking;
    let zone = Zone::named(&s.time_zone);
    let when = |t| zone.as_ref().map_or_else(|| format!("{t}"), |z| z.wall_clock(t));
    let clock = |t| when(t).split(' ').nth(1).unwrap_or_default().to_string();
    let status = match s.status {
        ReservationStatus::Cancelled | ReservationStatus::Failed => w(Word::Cancelled),
        ReservationStatus::PendingPayment => w(Word::WaitingForPayment),
        _ => w(Word::Confirmed),
    };
    let notice = notice.and_then(|n| Some((n, notice_of(n)?)));
    let mut body = format!("<h1>{}</h1>", escape(&s.organisation));
    if let Some((_, (good, text))) = notice {
        let class = if good { "notice done" } else { "notice" };
        body.push_str(&format!(r#"<p class="{class}" role="status">{}</p>"#, escape(w(text))));
    }
    body.push_str("<dl>");
    let mut row = |k: Word, v: String| body.push_str(&format!("<dt>{}</dt><dd>{}</dd>", escape(w(k)), escape(&v)));
    row(Word::Booking, s.service.clone());
    if !s.resources.is_empty() {
        row(Word::Where, s.resources.join(", "));
    }
    row(
        Word::When,
        format!("{} – {} ({})", when(s.start_time), clock(s.end_time), s.time_zone),
    );
    row(Word::Duration, format!("{} {}", s.duration_minutes, w(Word::Minutes)));
    row(Word::Places, s.quantity.to_string());
    if s.amount > 0 {
        let paid = match s.payment_status {
            PaymentStatus::Succeeded => format!(" ({})", w(Word::PaymentReceived)),
            PaymentStatus::Refunded => format!(" ({})", w(Word::Refunded)),
            _ => String::new(),
        };
        row(Word::Amount, format!("{}{paid}", money(s.amount, &s.currency)));
    }
    if let Some(a) = &s.address {
        row(Word::Address, a.clone());
    }
    row(Word::Status, status.to_string());
    row(Word::Reference, s.reference.clone());
    body.push_str("</dl>");
    let cancelled = matches!(s.status, ReservationStatus::Cancelled | ReservationStatus::Failed);
    if !cancelled {
        body.push_str(&format!(
            r#"<p><a class="button" href="{ics}">{add}</a><a class="button" href="{google}" rel="noopener">Google Calendar</a></p>"#,
            ics = escape(&b.calendar_url),
            add = escape(w(Word::AddToCalendar)),
            google = escape(&b.google_calendar_url),
        ));
    }
    if b.can_cancel || b.can_reschedule {
        body.push_str(&format!(
            "<p>{} {} ({}).</p>",
            escape(w(Word::ChangeUntil)),
            escape(&when(b.change_deadline)),
            escape(&s.time_zone)
        ));
    } else if !cancelled && notice.is_none_or(|(n, _)| n != "too_late_to_change") {
        body.push_str(&format!("<p>{}</p>", escape(w(Word::TooLate))));
    }
    let action = escape(manage_url);
    if b.can_reschedule {
        let value = day.map(|d| d.date.to_string()).unwrap_or_default();
        body.push_str(&format!(
            r#"<h2>{title}</h2><form method="get" action="{action}"><label for="date">{label}</label> <input id="date" type="date" name="date" value="{value}" required> <button type="submit">{show}</button></form>"#,
            title = escape(w(Word::MoveBooking)),
            label = escape(w(Word::Day)),
            show = escape(w(Word::ShowTimes)),
        ));
        if let Some(day) = day {
            let free: Vec<_> = day
                .slots
                .iter()
                .filter(|slot| slot.available >= s.quantity && slot.start_time != s.start_time)
                .collect();
            if free.is_empty() {
                body.push_str(&format!("<p>{}</p>", escape(w(Word::NoTimes))));
            }
            body.push_str(r#"<div class="slots">"#);
            for slot in free {
                body.push_str(&format!(
                    r#"<form method="post" action="{action}/reschedule"><input type="hidden" name="startTime" value="{start}"><input type="hidden" name="endTime" value="{end}"><button type="submit">{label}</button></form>"#,
                    start = slot.start_time,
                    end = slot.end_time,
                    label = escape(&clock(slot.start_time)),
                ));
            }
            body.push_str("</div>");
        }
    }
    if b.can_cancel {
        body.push_str(&format!(
            r#"<h2>{title}</h2><form method="post" action="{action}/cancel"><button type="submit" class="primary">{button}</button></form>"#,
            title = escape(w(Word::Cancel)),
            button = escape(w(Word::CancelBooking)),
        ));
    }
    page(lang.tag(), &format!("{} – {}", s.service, s.organisation), &body)
}
