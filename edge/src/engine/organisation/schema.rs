//! The organisation's tables (migrations applied in order), and its catalog stored from an organisation
//! document and read back into one.

use crate::engine::sql::{exec, flag, rows};
use serde::Deserialize;
use slotbook_core::digest::sha256_hex;
use slotbook_core::document::{
    ApiKeyDoc, BardgeDoc, OpeningHoursDoc, OrganisationDocument, ResourceDoc, ResourceTypeDoc,
};
use slotbook_core::error::ApiResult;
use slotbook_core::time::{Date, Timestamp};
use slotbook_core::wire::Branding;
use worker::SqlStorage;

pub const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE organisation (
        id INTEGER PRIMARY KEY CHECK (id = 1), slug TEXT NOT NULL, name TEXT NOT NULL, time_zone TEXT NOT NULL,
        currency TEXT NOT NULL, locale TEXT NOT NULL, logo_url TEXT, brand_color TEXT,
        allowed_origins TEXT NOT NULL, accepts_payments INTEGER NOT NULL, booking_window_days INTEGER NOT NULL,
        hold_minutes INTEGER NOT NULL, updated_at INTEGER NOT NULL);
    CREATE TABLE resource_types (
        id INTEGER PRIMARY KEY, position INTEGER NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,
        duration_minutes INTEGER NOT NULL, slot_interval_minutes INTEGER NOT NULL, max_quantity INTEGER NOT NULL,
        unit_amount INTEGER NOT NULL, requires_payment INTEGER NOT NULL, allow_resource_choice INTEGER NOT NULL);
    CREATE TABLE resources (
        id INTEGER PRIMARY KEY, resource_type_id INTEGER NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL,
        capacity INTEGER NOT NULL, public_token_hash TEXT);
    CREATE TABLE opening_hours (
        resource_type_id INTEGER NOT NULL, weekday INTEGER NOT NULL, opens INTEGER NOT NULL, closes INTEGER NOT NULL);
    CREATE TABLE closed_dates (date TEXT PRIMARY KEY);
    CREATE TABLE api_keys (key_hash TEXT PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE reservations (
        id INTEGER PRIMARY KEY AUTOINCREMENT, resource_type_id INTEGER NOT NULL,
        start_time INTEGER NOT NULL, end_time INTEGER NOT NULL, quantity INTEGER NOT NULL,
        status TEXT NOT NULL, payment_status TEXT NOT NULL,
        customer_name TEXT, customer_email TEXT, customer_phone TEXT, notes TEXT,
        quoted_unit_amount INTEGER NOT NULL, quoted_total_amount INTEGER NOT NULL, quoted_currency TEXT NOT NULL,
        payment_required_snapshot INTEGER NOT NULL, hold_expires_at INTEGER,
        stripe_session_id TEXT UNIQUE, checkout_url TEXT, return_url TEXT,
        source TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
    CREATE INDEX reservations_by_start ON reservations (start_time);
    CREATE TABLE allocations (
        reservation_id INTEGER NOT NULL REFERENCES reservations (id) ON DELETE CASCADE,
        resource_id INTEGER NOT NULL, quantity INTEGER NOT NULL,
        start_time INTEGER NOT NULL, end_time INTEGER NOT NULL,
        PRIMARY KEY (reservation_id, resource_id));
    CREATE INDEX allocations_by_time ON allocations (start_time, end_time)
",
    "
    CREATE TABLE stripe_events (id TEXT PRIMARY KEY, type TEXT NOT NULL, received_at INTEGER NOT NULL)
",
    "
    CREATE TABLE idempotency_keys (
        key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, finished INTEGER NOT NULL,
        status INTEGER, body TEXT, created_at INTEGER NOT NULL);
    CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)
",
    "
    CREATE TABLE reserve_windows (window_start INTEGER PRIMARY KEY, count INTEGER NOT NULL)
",
    "
    ALTER TABLE idempotency_keys ADD COLUMN claim_id TEXT;
    ALTER TABLE idempotency_keys ADD COLUMN claimed_at INTEGER;
    ALTER TABLE idempotency_keys ADD COLUMN reservation_id INTEGER
",
    "
    ALTER TABLE reservations ADD COLUMN payment_intent TEXT;
    ALTER TABLE reservations ADD COLUMN refund_id TEXT;
    ALTER TABLE reservations ADD COLUMN payment_action TEXT;
    ALTER TABLE reservations ADD COLUMN payment_action_at INTEGER;
    CREATE INDEX reservations_by_payment_action ON reservations (payment_action_at)
",
    "
    ALTER TABLE organisation ADD COLUMN address TEXT;
    ALTER TABLE organisation ADD COLUMN cancellation_notice_hours INTEGER NOT NULL DEFAULT 24;
    ALTER TABLE reservations ADD COLUMN manage_token_hash TEXT;
    ALTER TABLE reservations ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
    CREATE UNIQUE INDEX reservations_by_manage_token ON reservations (manage_token_hash)
",
    "
    CREATE TABLE webhooks (position INTEGER PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL);
    CREATE TABLE webhook_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, type TEXT NOT NULL, reservation_id INTEGER,
        url TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
        next_attempt_at INTEGER, last_status INTEGER, last_error TEXT, created_at INTEGER NOT NULL,
        delivered_at INTEGER);
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)
",
    "
    ALTER TABLE reservations ADD COLUMN payment_action_attempts INTEGER NOT NULL DEFAULT 0
",
    "
    CREATE TABLE bardge (
        id INTEGER PRIMARY KEY CHECK (id = 1), api_key TEXT NOT NULL, member_token_secret TEXT NOT NULL,
        sign_in_url TEXT NOT NULL, offers TEXT NOT NULL);
    ALTER TABLE reservations ADD COLUMN bardge_booking_id TEXT;
    ALTER TABLE reservations ADD COLUMN bardge_session TEXT;
    ALTER TABLE reservations ADD COLUMN bardge_confirm_key TEXT;
    ALTER TABLE reservations ADD COLUMN bardge_confirm_body TEXT;
    ALTER TABLE reservations ADD COLUMN bardge_failure TEXT
",
];

/// Replaces the stored catalog with `doc` (reservations stay). Runs inside a transaction.
pub fn store_document(sql: &SqlStorage, slug: &str, doc: &OrganisationDocument, now: Timestamp) -> ApiResult<()> {
    for table in [
        "resource_types",
        "resources",
        "opening_hours",
        "closed_dates",
        "api_keys",
        "webhooks",
        "bardge",
    ] {
        exec(sql, &format!("DELETE FROM {table}"), vec![])?;
    }
    exec(
        sql,
        "INSERT OR REPLACE INTO organisation (id, slug, name, time_zone, currency, locale, logo_url, brand_color,
            allowed_origins, accepts_payments, booking_window_days, hold_minutes, updated_at, address,
            cancellation_notice_hours)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            slug.into(),
            doc.name.clone().into(),
            doc.time_zone.clone().into(),
            doc.currency.clone().into(),
            doc.locale.clone().into(),
            doc.branding.logo_url.clone().into(),
            doc.branding.brand_color.clone().into(),
            serde_json::to_string(&doc.allowed_origins).unwrap_or_default().into(),
            flag(doc.accepts_payments),
            (doc.booking_window_days as i64).into(),
            (doc.hold_minutes as i64).into(),
            now.0.into(),
            doc.address.clone().into(),
            (doc.cancellation_notice_hours as i64).into(),
        ],
    )?;
    for (position, rt) in doc.resource_types.iter().enumerate() {
        exec(
            sql,
            "INSERT INTO resource_types (id, position, name, description, duration_minutes, slot_interval_minutes,
                max_quantity, unit_amount, requires_payment, allow_resource_choice) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                rt.id.into(), (position as i64).into(), rt.name.clone().into(), rt.description.clone().into(),
                (rt.duration_minutes as i64).into(), (rt.slot_interval() as i64).into(), (rt.max_quantity as i64).into(),
                rt.unit_amount.into(), flag(rt.requires_payment), flag(rt.allow_resource_choice),
            ],
        )?;
        for h in rt.weekly_hours() {
            exec(
                sql,
                "INSERT INTO opening_hours (resource_type_id, weekday, opens, closes) VALUES (?, ?, ?, ?)",
                vec![
                    rt.id.into(),
                    (h.weekday as i64).into(),
                    (h.opens as i64).into(),
                    (h.closes as i64).into(),
                ],
            )?;
        }
        for (position, r) in rt.resources.iter().enumerate() {
            exec(
                sql,
                "INSERT INTO resources (id, resource_type_id, position, name, capacity, public_token_hash) VALUES (?, ?, ?, ?, ?, ?)",
                vec![
                    r.id.into(), rt.id.into(), (position as i64).into(), r.name.clone().into(), (r.capacity as i64).into(),
                    r.public_token.as_ref().map(|t| sha256_hex(t.as_bytes())).into(),
                ],
            )?;
        }
    }
    for d in &doc.closed_dates {
        exec(
            sql,
            "INSERT OR IGNORE INTO closed_dates (date) VALUES (?)",
            vec![d.to_string().into()],
        )?;
    }
    for (position, w) in doc.webhooks.iter().enumerate() {
        exec(
            sql,
            "INSERT INTO webhooks (position, url, secret) VALUES (?, ?, ?)",
            vec![(position as i64).into(), w.url.clone().into(), w.secret.clone().into()],
        )?;
    }
    if let Some(b) = &doc.bardge {
        exec(
            sql,
            "INSERT INTO bardge (id, api_key, member_token_secret, sign_in_url, offers) VALUES (1, ?, ?, ?, ?)",
            vec![
                b.api_key.clone().into(),
                b.member_token_secret.clone().into(),
                b.sign_in_url.clone().into(),
                serde_json::to_string(&b.offers).unwrap_or_default().into(),
            ],
        )?;
    }
    for k in &doc.api_keys {
        exec(
            sql,
            "INSERT OR REPLACE INTO api_keys (key_hash, name) VALUES (?, ?)",
            vec![sha256_hex(k.key.as_bytes()).into(), k.name.clone().into()],
        )?;
    }
    Ok(())
}

/// Reads the stored catalog back (API keys and tokens stay digests and are left out).
pub fn load_document(sql: &SqlStorage) -> ApiResult<Option<(String, OrganisationDocument)>> {
    #[derive(Deserialize)]
    struct Org {
        slug: String,
        name: String,
        time_zone: String,
        currency: String,
        locale: String,
        logo_url: Option<String>,
        brand_color: Option<String>,
        allowed_origins: String,
        accepts_payments: i64,
        booking_window_days: i64,
        hold_minutes: i64,
        address: Option<String>,
        cancellation_notice_hours: i64,
    }
    #[derive(Deserialize)]
    struct Type {
        id: i64,
        name: String,
        description: String,
        duration_minutes: i64,
        slot_interval_minutes: i64,
        max_quantity: i64,
        unit_amount: i64,
        requires_payment: i64,
        allow_resource_choice: i64,
    }
    #[derive(Deserialize)]
    struct Res {
        id: i64,
        resource_type_id: i64,
        name: String,
        capacity: i64,
    }
    #[derive(Deserialize)]
    struct Hours {
        resource_type_id: i64,
        weekday: i64,
        opens: i64,
        closes: i64,
    }
    #[derive(Deserialize)]
    struct Closed {
        date: String,
    }
    let Some(org) = rows::<Org>(sql, "SELECT * FROM organisation WHERE id = 1", vec![])?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let resources = rows::<Res>(
        sql,
        "SELECT id, resource_type_id, name, capacity FROM resources ORDER BY position",
        vec![],
    )?;
    let hours = rows::<Hours>(sql, "SELECT * FROM opening_hours ORDER BY weekday, opens", vec![])?;
    let types = rows::<Type>(sql, "SELECT * FROM resource_types ORDER BY position", vec![])?;
    let closed = rows::<Closed>(sql, "SELECT date FROM closed_dates ORDER BY date", vec![])?;
    #[derive(Deserialize)]
    struct Bardge {
        sign_in_url: String,
        offers: String,
    }
    // The reseller's API key and member-token secret stay in their table; see [`bardge_secrets`].
    let bardge = rows::<Bardge>(sql, "SELECT sign_in_url, offers FROM bardge", vec![])?
        .into_iter()
        .next()
        .map(|b| BardgeDoc {
            api_key: String::new(),
            member_token_secret: String::new(),
            sign_in_url: b.sign_in_url,
            offers: crate::http::from_json(&b.offers).unwrap_or_default(),
        });
    let doc = OrganisationDocument {
        name: org.name,
        time_zone: org.time_zone,
        currency: org.currency,
        locale: org.locale,
        branding: Branding {
            logo_url: org.logo_url,
            brand_color: org.brand_color,
        },
        allowed_origins: crate::http::from_json(&org.allowed_origins).unwrap_or_default(),
        accepts_payments: org.accepts_payments != 0,
        booking_window_days: org.booking_window_days as u32,
        hold_minutes: org.hold_minutes as u32,
        closed_dates: closed.iter().filter_map(|c| Date::parse(&c.date)).collect(),
        api_keys: Vec::<ApiKeyDoc>::new(),
        // Webhook secrets stay in their table; only deliveries read them.
        webhooks: Vec::new(),
        bardge,
        address: org.address,
        cancellation_notice_hours: org.cancellation_notice_hours as u32,
        resource_types: types
            .into_iter()
            .map(|t| ResourceTypeDoc {
                id: t.id,
                name: t.name,
                description: t.description,
                duration_minutes: t.duration_minutes as u32,
                slot_interval_minutes: Some(t.slot_interval_minutes as u32),
                max_quantity: t.max_quantity as u32,
                unit_amount: t.unit_amount,
                requires_payment: t.requires_payment != 0,
                allow_resource_choice: t.allow_resource_choice != 0,
                opening_hours: hours
                    .iter()
                    .filter(|h| h.resource_type_id == t.id)
                    .map(|h| OpeningHoursDoc {
                        days: vec![h.weekday as u8],
                        opens: h.opens as u32,
                        closes: h.closes as u32,
                    })
                    .collect(),
                resources: resources
                    .iter()
                    .filter(|r| r.resource_type_id == t.id)
                    .map(|r| ResourceDoc {
                        id: r.id,
                        name: r.name.clone(),
                        capacity: r.capacity as u32,
                        public_token: None,
                    })
                    .collect(),
            })
            .collect(),
    };
    Ok(Some((org.slug, doc)))
}

/// A Bardge organisation's API key and member-token secret, read only where a call or a token needs them.
pub fn bardge_secrets(sql: &SqlStorage) -> ApiResult<(String, String)> {
    #[derive(Deserialize)]
    struct Secrets {
        api_key: String,
        member_token_secret: String,
    }
    rows::<Secrets>(sql, "SELECT api_key, member_token_secret FROM bardge", vec![])?
        .into_iter()
        .next()
        .map(|s| (s.api_key, s.member_token_secret))
        .ok_or_else(|| crate::http::internal("bardge", "no Bardge settings stored"))
}
