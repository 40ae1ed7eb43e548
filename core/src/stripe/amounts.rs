//! The amounts Stripe charges (docs.stripe.com/currencies, "Minimum and maximum charge amounts"): at most
//! eight digits in the currency's API unit, and at least the currency's listed minimum. An account that
//! settles in another currency has the equivalent of its own minimum, which only Stripe can convert; the
//! listed ones are what can be known before asking. Checked when a document is imported (a price that could
//! never be paid is refused there) and before every Checkout Session (no call that Stripe would refuse).

/// The largest amount of one charge, in the currency's API unit (eight digits).
pub const MAX_CHARGE: i64 = 99_999_999;

/// Stripe's listed minimum charge per currency, in the currency's API unit (`jpy` has no minor unit).
const MIN_CHARGE: &[(&str, i64)] = &[
    ("aed", 200),
    ("aud", 50),
    ("bgn", 100),
    ("brl", 50),
    ("cad", 50),
    ("chf", 50),
    ("czk", 1500),
    ("dkk", 250),
    ("eur", 50),
    ("gbp", 30),
    ("hkd", 400),
    ("huf", 17_500),
    ("inr", 50),
    ("jpy", 50),
    ("mxn", 1000),
    ("myr", 200),
    ("nok", 300),
    ("nzd", 50),
    ("pln", 200),
    ("ron", 200),
    ("sek", 300),
    ("sgd", 50),
    ("thb", 1000),
    ("usd", 50),
];

/// Why Stripe would refuse to charge an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountRefusal {
    /// Below the currency's minimum charge (in the currency's API unit).
    BelowMinimum(i64),
    /// More than eight digits.
    AboveMaximum,
}

/// Stripe's listed minimum charge in `currency` (lower-case ISO 4217), if it lists one.
pub fn minimum_charge(currency: &str) -> Option<i64> {
    MIN_CHARGE.iter().find(|(c, _)| *c == currency).map(|(_, m)| *m)
}

/// Why a charge of `amount` in `currency` would be refused, if it would be.
pub fn charge_refusal(currency: &str, amount: i64) -> Option<AmountRefusal> {
    if amount > MAX_CHARGE {
        return Some(AmountRefusal::AboveMaximum);
    }
    minimum_charge(currency)
        .filter(|m| amount < *m)
        .map(AmountRefusal::BelowMinimum)
}

/// Why `quantity` places at `unit_amount` each could not be charged, if they could not.
pub fn order_refusal(currency: &str, unit_amount: i64, quantity: u32) -> Option<AmountRefusal> {
    match unit_amount.checked_mul(quantity as i64) {
        Some(total) => charge_refusal(currency, total),
        None => Some(AmountRefusal::AboveMaximum),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_stay_between_the_currencys_minimum_and_eight_digits() {
        assert_eq!(charge_refusal("eur", 49), Some(AmountRefusal::BelowMinimum(50)));
        assert_eq!(charge_refusal("eur", 50), None);
        assert_eq!(charge_refusal("gbp", 30), None);
        assert_eq!(
            charge_refusal("huf", 17_499),
            Some(AmountRefusal::BelowMinimum(17_500)),
            "175.00 Ft"
        );
        assert_eq!(
            charge_refusal("jpy", 49),
            Some(AmountRefusal::BelowMinimum(50)),
            "yen have no minor unit"
        );
        assert_eq!(charge_refusal("usd", MAX_CHARGE), None);
        assert_eq!(charge_refusal("usd", MAX_CHARGE + 1), Some(AmountRefusal::AboveMaximum));
        // A currency without a listed minimum: only Stripe knows (the account's own minimum, converted).
        assert_eq!(charge_refusal("isk", 1), None);
        assert_eq!(charge_refusal("isk", MAX_CHARGE + 1), Some(AmountRefusal::AboveMaximum));
    }

    #[test]
    fn an_order_is_refused_by_its_total() {
        assert_eq!(order_refusal("eur", 25, 1), Some(AmountRefusal::BelowMinimum(50)));
        assert_eq!(
            order_refusal("eur", 25, 2),
            None,
            "two places together reach the minimum"
        );
        assert_eq!(order_refusal("eur", 50_000_000, 2), Some(AmountRefusal::AboveMaximum));
        assert_eq!(
            order_refusal("eur", i64::MAX, 2),
            Some(AmountRefusal::AboveMaximum),
            "no overflow"
        );
    }

    #[test]
    fn the_table_is_sorted_lower_case_and_unique() {
        assert!(MIN_CHARGE.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(MIN_CHARGE
            .iter()
            .all(|(c, m)| c.len() == 3 && c.bytes().all(|b| b.is_ascii_lowercase()) && *m > 0));
    }
}
