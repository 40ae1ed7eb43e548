//! The widget's words in English, German and Hungarian. The locale is `data-locale`, else the page's
//! `<html lang>`, else the browser's; anything else falls back to English.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
    Hu,
}

impl Lang {
    pub fn from_tag(tag: &str) -> Lang {
        match tag.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("de") => Lang::De,
            Some("hu") => Lang::Hu,
            _ => Lang::En,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    Loading,
    LoadFailed,
    Retry,
    ChooseService,
    ChooseDay,
    ChooseTime,
    ChooseResource,
    AnyResource,
    NoSlots,
    PlacesLeft,
    Full,
    TimesIn,
    Quantity,
    YourDetails,
    Name,
    Email,
    Phone,
    Notes,
    Optional,
    NameRequired,
    EmailInvalid,
    PhoneInvalid,
    NotesTooLong,
    Total,
    Free,
    Reserve,
    ReserveAndPay,
    Reserving,
    SlotTaken,
    TooMany,
    PaymentsOff,
    Busy,
    SomethingWrong,
    Confirmed,
    ConfirmedBody,
    BookAnother,
    RedirectingToPay,
    CheckingPayment,
    StillProcessing,
    CheckAgain,
    PaymentFailed,
    PaymentFailedBody,
    TryPaymentAgain,
    PickAnotherTime,
    PreviousMonth,
    NextMonth,
    Reference,
}

pub fn t(lang: Lang, text: Text) -> &'static str {
    use Text::*;
    let (en, de, hu) = match text {
        Loading => ("Loading…", "Wird geladen…", "Betöltés…"),
        LoadFailed => ("We could not load this. Check your connection.", "Das konnte nicht geladen werden. Bitte prüfen Sie Ihre Verbindung.", "Nem sikerült betölteni. Ellenőrizze a kapcsolatot."),
        Retry => ("Try again", "Erneut versuchen", "Újra"),
        ChooseService => ("Choose a service", "Leistung wählen", "Válasszon szolgáltatást"),
        ChooseDay => ("Choose a day", "Tag wählen", "Válasszon napot"),
        ChooseTime => ("Choose a time", "Uhrzeit wählen", "Válasszon időpontot"),
        ChooseResource => ("Choose", "Auswahl", "Választás"),
        AnyResource => ("Any available", "Beliebig", "Bármelyik szabad"),
        NoSlots => ("No free times on this day. Please choose another day.", "An diesem Tag ist nichts frei. Bitte wählen Sie einen anderen Tag.", "Ezen a napon nincs szabad időpont. Válasszon másik napot."),
        PlacesLeft => ("left", "frei", "szabad"),
        Full => ("Full", "Ausgebucht", "Betelt"),
        TimesIn => ("Times in", "Zeiten in", "Időpontok:"),
        Quantity => ("Places", "Plätze", "Helyek"),
        YourDetails => ("Your details", "Ihre Angaben", "Az Ön adatai"),
        Name => ("Name", "Name", "Név"),
        Email => ("Email", "E-Mail", "E-mail"),
        Phone => ("Phone", "Telefon", "Telefon"),
        Notes => ("Notes", "Anmerkungen", "Megjegyzés"),
        Optional => ("optional", "optional", "nem kötelező"),
        NameRequired => ("Please enter your name.", "Bitte geben Sie Ihren Namen ein.", "Kérjük, adja meg a nevét."),
        EmailInvalid => ("Please enter a valid email address.", "Bitte geben Sie eine gültige E-Mail-Adresse ein.", "Kérjük, érvényes e-mail-címet adjon meg."),
        PhoneInvalid => ("Please enter a phone number.", "Bitte geben Sie eine Telefonnummer ein.", "Kérjük, adjon meg egy telefonszámot."),
        NotesTooLong => ("Notes can be at most 2048 characters.", "Anmerkungen dürfen höchstens 2048 Zeichen lang sein.", "A megjegyzés legfeljebb 2048 karakter lehet."),
        Total => ("Total", "Gesamt", "Összesen"),
        Free => ("Free", "Kostenlos", "Ingyenes"),
        Reserve => ("Book now", "Jetzt buchen", "Foglalás"),
        ReserveAndPay => ("Book and pay", "Buchen und bezahlen", "Foglalás és fizetés"),
        Reserving => ("Booking…", "Wird gebucht…", "Foglalás folyamatban…"),
        SlotTaken => ("Sorry, that time was just taken. The times below are up to date.", "Diese Zeit wurde gerade vergeben. Die Zeiten unten sind aktuell.", "Ezt az időpontot épp lefoglalták. Az alábbi időpontok frissek."),
        TooMany => ("That is more places than can be booked at once.", "So viele Plätze können nicht auf einmal gebucht werden.", "Ennyi helyet nem lehet egyszerre foglalni."),
        PaymentsOff => ("Online payment is not available right now. Please contact the venue.", "Online-Zahlung ist gerade nicht möglich. Bitte kontaktieren Sie uns.", "Az online fizetés most nem elérhető. Kérjük, vegye fel a kapcsolatot velünk."),
        Busy => ("Too many requests. Please wait a moment and try again.", "Zu viele Anfragen. Bitte versuchen Sie es gleich noch einmal.", "Túl sok kérés. Kérjük, próbálja újra egy kicsit később."),
        SomethingWrong => ("Something went wrong on our side. Please try again.", "Bei uns ist etwas schiefgelaufen. Bitte versuchen Sie es erneut.", "Hiba történt nálunk. Kérjük, próbálja újra."),
        Confirmed => ("You're booked!", "Ihre Buchung ist bestätigt!", "A foglalás megerősítve!"),
        ConfirmedBody => ("We look forward to seeing you.", "Wir freuen uns auf Sie.", "Várjuk szeretettel."),
        BookAnother => ("Book something else", "Weitere Buchung", "Új foglalás"),
        RedirectingToPay => ("Taking you to the secure payment page…", "Sie werden zur sicheren Zahlungsseite weitergeleitet…", "Átirányítjuk a biztonságos fizetési oldalra…"),
        CheckingPayment => ("Checking your payment…", "Ihre Zahlung wird geprüft…", "A fizetés ellenőrzése…"),
        StillProcessing => ("Your payment is still being processed. Your place is held meanwhile.", "Ihre Zahlung wird noch verarbeitet. Ihr Platz bleibt so lange reserviert.", "A fizetés feldolgozása még tart. A helyét addig fenntartjuk."),
        CheckAgain => ("Check again", "Erneut prüfen", "Újra ellenőrzöm"),
        PaymentFailed => ("The payment did not go through.", "Die Zahlung ist nicht durchgegangen.", "A fizetés nem sikerült."),
        PaymentFailedBody => ("Your booking is not confirmed.", "Ihre Buchung ist nicht bestätigt.", "A foglalás nincs megerősítve."),
        TryPaymentAgain => ("Try the payment again", "Zahlung erneut versuchen", "Fizetés újra"),
        PickAnotherTime => ("Pick another time", "Andere Zeit wählen", "Másik időpont"),
        PreviousMonth => ("Previous month", "Vorheriger Monat", "Előző hónap"),
        NextMonth => ("Next month", "Nächster Monat", "Következő hónap"),
        Reference => ("Booking reference", "Buchungsnummer", "Foglalási szám"),
    };
    match lang {
        Lang::En => en,
        Lang::De => de,
        Lang::Hu => hu,
    }
}
