//! Query strings: the availability and month queries and the staff's reservation filter.

use super::body::MAX_ID;
use crate::error::{ApiError, ApiResult};
use crate::reservation::ReservationStatus;
use crate::time::{Date, Timestamp};
use crate::wire::ReservationFilter;

/// Query-string parameters, decoded. Later duplicates win.
pub struct Query<'a> {
    pairs: &'a [(String, String)],
}

impl<'a> Query<'a> {
    pub fn new(pairs: &'a [(String, String)]) -> Self {
        Query { pairs }
    }

    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A parameter that must be given: missing and empty are the same to the caller.
    fn given(&self, name: &str) -> ApiResult<&'a str> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::validation(name, format!("{name} is required")))
    }

    pub fn id(&self, name: &str) -> ApiResult<Option<i64>> {
        self.get(name)
            .map(|v| {
                v.parse::<i64>()
                    .ok()
                    .filter(|n| (1..=MAX_ID).contains(n))
                    .ok_or_else(|| ApiError::validation(name, format!("{name} must be a positive integer")))
            })
            .transpose()
    }

    pub fn required_id(&self, name: &str) -> ApiResult<i64> {
        self.given(name)?;
        self.id(name)?
            .ok_or_else(|| ApiError::validation(name, format!("{name} is required")))
    }

    pub fn required_date(&self, name: &str) -> ApiResult<Date> {
        let v = self.given(name)?;
        Date::parse(v).ok_or_else(|| ApiError::validation(name, format!("{name} must be a date YYYY-MM-DD")))
    }

    pub fn datetime(&self, name: &str) -> ApiResult<Option<Timestamp>> {
        self.get(name)
            .map(|v| {
                Timestamp::parse(v).ok_or_else(|| {
                    ApiError::validation(name, format!("{name} must be an ISO 8601 date-time with a time zone"))
                })
            })
            .transpose()
    }

    pub fn required_string(&self, name: &str) -> ApiResult<&'a str> {
        self.given(name)
    }
}

/// `PublicOrganisationAvailabilityQueryDto` (the token flow has only `date`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AvailabilityQuery {
    pub date: Date,
    pub resource_type_id: Option<i64>,
    pub resource_id: Option<i64>,
}

pub fn availability_query(q: &Query, requires_type: bool) -> ApiResult<AvailabilityQuery> {
    Ok(AvailabilityQuery {
        date: q.required_date("date")?,
        resource_type_id: if requires_type {
            Some(q.required_id("resourceTypeId")?)
        } else {
            q.id("resourceTypeId")?
        },
        resource_id: q.id("resourceId")?,
    })
}

/// `…/calendar?month=YYYY-MM&resourceTypeId=N[&resourceId=N]`: the month as its first day.
pub fn month_query(q: &Query, requires_type: bool) -> ApiResult<AvailabilityQuery> {
    let bad = || ApiError::validation("month", "month must be YYYY-MM");
    let month = q.given("month")?;
    let date = if month.len() == 7 {
        Date::parse(&format!("{month}-01")).ok_or_else(bad)?
    } else {
        return Err(bad());
    };
    Ok(AvailabilityQuery {
        date,
        resource_type_id: if requires_type {
            Some(q.required_id("resourceTypeId")?)
        } else {
            q.id("resourceTypeId")?
        },
        resource_id: q.id("resourceId")?,
    })
}

pub fn reservation_filter(q: &Query) -> ApiResult<ReservationFilter> {
    let status = q
        .get("status")
        .map(|s| {
            ReservationStatus::parse(s)
                .ok_or_else(|| ApiError::validation("status", "status must be a reservation status"))
        })
        .transpose()?;
    Ok(ReservationFilter {
        resource_id: q.id("resourceId")?,
        resource_type_id: q.id("resourceTypeId")?,
        status,
        start_from: q.datetime("startFrom")?,
        end_to: q.datetime("endTo")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_queries() {
        let pairs = |m: &str| {
            vec![
                ("month".to_string(), m.to_string()),
                ("resourceTypeId".to_string(), "9".to_string()),
            ]
        };
        let ok = pairs("2026-12");
        assert_eq!(
            month_query(&Query::new(&ok), true).unwrap().date.to_string(),
            "2026-12-01"
        );
        for bad in ["2026-13", "2026-1", "2026-12-01", "december"] {
            let p = pairs(bad);
            assert_eq!(
                month_query(&Query::new(&p), true).unwrap_err().param.as_deref(),
                Some("month"),
                "{bad}"
            );
        }
    }

    #[test]
    fn availability_query_names_its_fields() {
        let pairs = vec![("date".to_string(), "2026-02-30".to_string())];
        let e = availability_query(&Query::new(&pairs), true).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("date"));
        let pairs = vec![("date".to_string(), "2026-03-01".to_string())];
        let e = availability_query(&Query::new(&pairs), true).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("resourceTypeId"));
    }

    #[test]
    fn a_parameter_given_empty_is_judged_not_ignored() {
        let pairs = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        // An optional filter given empty is not a filter that was left out: it is refused, naming it.
        for name in ["startFrom", "endTo", "resourceId", "resourceTypeId", "status"] {
            let p = pairs(name, "");
            assert_eq!(
                reservation_filter(&Query::new(&p)).unwrap_err().param.as_deref(),
                Some(name)
            );
        }
        assert!(
            reservation_filter(&Query::new(&[])).is_ok(),
            "left out, it filters nothing"
        );
        // A required one given empty reads as missing.
        let p = pairs("month", "");
        let e = month_query(&Query::new(&p), true).unwrap_err();
        assert_eq!(
            (e.param.as_deref(), e.message.as_str()),
            (Some("month"), "month is required")
        );
        let p = pairs("sessionId", "");
        assert_eq!(
            Query::new(&p)
                .required_string("sessionId")
                .unwrap_err()
                .param
                .as_deref(),
            Some("sessionId")
        );
    }
}
