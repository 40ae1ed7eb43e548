//! A booking as a calendar entry: an iCalendar file (RFC 5545) with one VEVENT, and a Google Calendar link.
//! Text is escaped, lines are folded at 75 octets (never inside a UTF-8 character), lines end in CRLF.

use crate::time::Timestamp;

/// One booking, as the calendar file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent<'a> {
    /// Unique and stable across changes of the booking (`UID`).
    pub uid: &'a str,
    pub start: Timestamp,
    pub end: Timestamp,
    /// When the file was made (`DTSTAMP`).
    pub stamp: Timestamp,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: Option<&'a str>,
    /// The manage page (`URL`).
    pub url: &'a str,
    pub cancelled: bool,
    /// Rises with each change (`SEQUENCE`), so calendars replace the old entry.
    pub sequence: u32,
}

impl CalendarEvent<'_> {
    pub fn to_ics(&self) -> String {
        let mut lines = vec![
            "BEGIN:VCALENDAR".to_string(),
            "VERSION:2.0".into(),
            "PRODID:-//Slotbook//Booking//EN".into(),
            "CALSCALE:GREGORIAN".into(),
            format!("METHOD:{}", if self.cancelled { "CANCEL" } else { "PUBLISH" }),
            "BEGIN:VEVENT".into(),
            format!("UID:{}", escape(self.uid)),
            format!("DTSTAMP:{}", utc(self.stamp)),
            format!("DTSTART:{}", utc(self.start)),
            format!("DTEND:{}", utc(self.end)),
            format!("SUMMARY:{}", escape(self.summary)),
            format!("DESCRIPTION:{}", escape(self.description)),
        ];
        if let Some(location) = self.location {
            lines.push(format!("LOCATION:{}", escape(location)));
        }
        lines.push(format!("URL:{}", self.url));
        lines.push(format!(
            "STATUS:{}",
            if self.cancelled { "CANCELLED" } else { "CONFIRMED" }
        ));
        lines.push(format!("SEQUENCE:{}", self.sequence));
        lines.push("END:VEVENT".into());
        lines.push("END:VCALENDAR".into());
        lines.iter().map(|l| fold(l)).collect::<String>()
    }

    /// A link that opens Google Calendar with the event filled in.
    pub fn google_calendar_url(&self) -> String {
        let mut url = format!(
            "https://calendar.google.com/calendar/render?action=TEMPLATE&text={}&dates={}/{}&details={}",
            percent(self.summary),
            utc(self.start),
            utc(self.end),
            percent(&format!("{}\n{}", self.description, self.url)),
        );
        if let Some(location) = self.location {
            url.push_str("&location=");
            url.push_str(&percent(location));
        }
        url
    }
}

/// `YYYYMMDDTHHMMSSZ`.
fn utc(t: Timestamp) -> String {
    let text = t.to_string(); // RFC 3339, UTC: 2026-11-22T09:00:00Z
    text.chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T' || *c == 'Z')
        .collect()
}

/// TEXT values: backslash, semicolon, comma and newlines escaped (RFC 5545 3.3.11).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets: continuation lines start with one space (RFC 5545 3.1).
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
    out
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> CalendarEvent<'static> {
        CalendarEvent {
            uid: "reservation-27@acme-spa.slotbook",
            start: Timestamp::parse("2026-12-01T09:00:00Z").unwrap(),
            end: Timestamp::parse("2026-12-01T10:00:00Z").unwrap(),
            stamp: Timestamp::parse("2026-11-22T08:00:00Z").unwrap(),
            summary: "Deep tissue massage, Acme Spa",
            description: "2 places; reference 27",
            location: Some("Fő utca 1, Budapest; 2nd floor"),
            url: "https://edge.example/api/public/booking/manage/abc.acme-spa",
            cancelled: false,
            sequence: 2,
        }
    }

    #[test]
    fn a_file_calendars_read() {
        let ics = event().to_ics();
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        assert!(ics.contains("\r\nDTSTART:20261201T090000Z\r\n"));
        assert!(ics.contains("\r\nDTEND:20261201T100000Z\r\n"));
        assert!(ics.contains("\r\nLOCATION:Fő utca 1\\, Budapest\\; 2nd floor\r\n"));
        assert!(ics.contains("\r\nSTATUS:CONFIRMED\r\nSEQUENCE:2\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'), "only CRLF line ends");
        let cancelled = CalendarEvent {
            cancelled: true,
            ..event()
        }
        .to_ics();
        assert!(cancelled.contains("STATUS:CANCELLED") && cancelled.contains("METHOD:CANCEL"));
    }

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let long = "Ő".repeat(60); // 120 octets
        let ics = CalendarEvent {
            summary: &long,
            ..event()
        }
        .to_ics();
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("SUMMARY:{long}\r\n")));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        assert_eq!(
            utc(Timestamp::parse("2026-03-29T01:30:00Z").unwrap()),
            "20260329T013000Z"
        );
    }

    #[test]
    fn google_calendar_link() {
        let url = event().google_calendar_url();
        assert!(url.starts_with(
            "https://calendar.google.com/calendar/render?action=TEMPLATE&text=Deep%20tissue%20massage%2C%20Acme%20Spa"
        ));
        assert!(url.contains("&dates=20261201T090000Z/20261201T100000Z"));
        assert!(url.contains("&location=F%C5%91%20utca%201"));
    }
}
