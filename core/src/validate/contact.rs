//! The customer's contact fields: their limits (the widget's form uses the same) and plausibility checks.

pub const MAX_NOTES_CHARS: usize = 2048;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_PHONE_CHARS: usize = 40;

/// A plausible email: one `@`, a non-empty local part, a dotted domain, no spaces. Domain labels are ASCII
/// letters, digits and dashes, or any non-ASCII character (an internationalised domain; plausibility only,
/// which keeps Unicode's letter tables out of the widget).
pub fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let labels_ok = domain.split('.').all(|l| {
        !l.is_empty()
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
            && !l.starts_with('-')
            && !l.ends_with('-')
    });
    s.len() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && local.len() <= 64
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.contains('.')
        && labels_ok
}

/// A plausible phone number: 5 to 20 digits, optionally with `+` first and spaces, dashes, dots, brackets.
pub fn is_plausible_phone(s: &str) -> bool {
    let s = s.trim();
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let body = s.strip_prefix('+').unwrap_or(s);
    (5..=20).contains(&digits) && body.chars().all(|c| c.is_ascii_digit() || " -.()/".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_and_phone_plausibility() {
        for ok in [
            "may@example.com",
            "a.b+c@sub.example.hu",
            "x@xn--bcher-kva.example",
            "x@bücher.example",
        ] {
            assert!(is_plausible_email(ok), "{ok}");
        }
        for bad in [
            "",
            "@example.com",
            "may@",
            "may@example",
            "may @example.com",
            "may@exa mple.com",
            "may@-x.com",
            "may@ex_ample.com",
            "may@example.com\u{a0}",
        ] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
        assert!(is_plausible_phone("+36 30 111 2222"));
        assert!(is_plausible_phone("(555) 123-4567"));
        assert!(!is_plausible_phone("1234"));
        assert!(!is_plausible_phone("+36 30 abc"));
    }
}
