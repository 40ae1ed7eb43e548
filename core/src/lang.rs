//! The languages the product speaks to customers (English, German, Hungarian), chosen from a BCP 47 tag or
//! from a browser's `Accept-Language`. Anything else is English.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
    Hu,
}

impl Lang {
    /// The language of a tag such as `hu`, `de-AT` or `en-US`; English for any other.
    pub fn from_tag(tag: &str) -> Lang {
        Self::supported(tag).unwrap_or(Lang::En)
    }

    /// The most preferred supported language of an `Accept-Language` header (`hu-HU,hu;q=0.9,en;q=0.8`):
    /// the highest weight wins, the first listed among equals; `None` when none is supported.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(Lang, u16)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(|tag| Self::supported(tag.trim())) else {
                continue;
            };
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| thousandths(q.trim()))
                .unwrap_or(1000);
            if weight > 0 && best.is_none_or(|(_, w)| weight > w) {
                best = Some((lang, weight));
            }
        }
        best.map(|(lang, _)| lang)
    }

    /// This language's words out of the three (English, German, Hungarian): how word tables are read.
    pub fn pick<T>(self, (en, de, hu): (T, T, T)) -> T {
        match self {
            Lang::En => en,
            Lang::De => de,
            Lang::Hu => hu,
        }
    }

    /// The tag for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Hu => "hu",
        }
    }

    fn supported(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?;
        if primary.eq_ignore_ascii_case("de") {
            Some(Lang::De)
        } else if primary.eq_ignore_ascii_case("hu") {
            Some(Lang::Hu)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
}

/// A weight (`qvalue`: `1`, `0.8`, `0.125`, at most three decimals) in thousandths; no float parsing, which
/// would bring its tables into the Worker.
fn thousandths(q: &str) -> Option<u16> {
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{fraction:0<3}");
    match whole {
        "0" => digits.parse().ok(),
        "1" if digits == "000" => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn tags_and_accept_language() {
        assert_eq!(Lang::from_tag("hu-HU"), Lang::Hu);
        assert_eq!(Lang::from_tag("DE"), Lang::De);
        assert_eq!(Lang::from_tag("fr"), Lang::En);
        assert_eq!(Lang::from_tag("deu"), Lang::En, "a primary subtag, not a prefix");
        assert_eq!(
            [Lang::En, Lang::De, Lang::Hu].map(|l| l.pick(("en", "de", "hu"))),
            ["en", "de", "hu"]
        );
        assert_eq!(
            Lang::from_accept_language("hu-HU,hu;q=0.9,en-US;q=0.8,en;q=0.7"),
            Some(Lang::Hu)
        );
        assert_eq!(Lang::from_accept_language("fr-FR, de;q=0.5, en;q=0.6"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("en;q=0.5, de;q=0.5"),
            Some(Lang::En),
            "the first among equals"
        );
        assert_eq!(
            Lang::from_accept_language("de;q=0, hu;q=0.1"),
            Some(Lang::Hu),
            "q=0 means not wanted"
        );
        assert_eq!(Lang::from_accept_language("fr, *;q=0.1"), None);
        assert_eq!(Lang::from_accept_language(""), None);
        assert_eq!(Lang::from_accept_language("de;q=0.125, hu;q=0.12"), Some(Lang::De));
        assert_eq!(Lang::from_accept_language("de;q=1.0, hu"), Some(Lang::De));
        assert_eq!(
            Lang::from_accept_language("de;q=2, hu;q=0.5"),
            Some(Lang::De),
            "a malformed weight counts as 1"
        );
    }

    #[test]
    fn weights_in_thousandths() {
        use super::thousandths;
        assert_eq!(
            [
                thousandths("1"),
                thousandths("1.000"),
                thousandths("0.8"),
                thousandths("0.05"),
                thousandths("0")
            ],
            [Some(1000), Some(1000), Some(800), Some(50), Some(0)]
        );
        assert_eq!(
            [
                thousandths("1.5"),
                thousandths("0.1234"),
                thousandths("-0.5"),
                thousandths(".5"),
                thousandths("0.x")
            ],
            [None; 5]
        );
    }
}
