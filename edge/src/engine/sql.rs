//! SQLite helpers for the Durable Objects: schema migrations applied inside the object, typed rows, and
//! synchronous transactions (all or nothing, with no `await` inside, so nothing interleaves).

use crate::http::internal;
use serde::de::DeserializeOwned;
use slotbook_core::error::{ApiError, ApiResult};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use worker::{SqlStorage, SqlStorageValue, Storage};

pub type Params = Vec<SqlStorageValue>;

/// Applies the migrations not applied yet, in order. Each entry is one schema version.
pub fn migrate(sql: &SqlStorage, migrations: &[&str]) -> ApiResult<()> {
    exec(
        sql,
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
        vec![],
    )?;
    #[derive(serde::Deserialize)]
    struct Version {
        version: Option<i64>,
    }
    let current = rows::<Version>(sql, "SELECT MAX(version) AS version FROM schema_migrations", vec![])?
        .first()
        .and_then(|v| v.version)
        .unwrap_or(0);
    for (i, migration) in migrations.iter().enumerate().skip(current as usize) {
        for statement in migration.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            exec(sql, statement, vec![])?;
        }
        exec(
            sql,
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
            vec![(i as i64 + 1).into(), (js_sys::Date::now() as i64 / 1000).into()],
        )?;
    }
    Ok(())
}

pub fn exec(sql: &SqlStorage, query: &str, params: Params) -> ApiResult<()> {
    sql.exec(query, params).map(|_| ()).map_err(|e| internal(query, e))
}

pub fn rows<T: DeserializeOwned>(sql: &SqlStorage, query: &str, params: Params) -> ApiResult<Vec<T>> {
    raw_rows(sql, query, params)?
        .into_iter()
        .map(|row| slotbook_core::js_value::from_js(row).map_err(|e| internal(query, e)))
        .collect()
}

// Apart from `rows` so that running the query exists once, not once per row type.
fn raw_rows(sql: &SqlStorage, query: &str, params: Params) -> ApiResult<Vec<JsValue>> {
    let cursor = sql.exec(query, params).map_err(|e| internal(query, e))?;
    cursor.collect::<worker::Result<_>>().map_err(|e| internal(query, e))
}

/// Whether `query` finds any row (its queries ask for one row by its key).
pub fn exists(sql: &SqlStorage, query: &str, params: Params) -> ApiResult<bool> {
    Ok(!raw_rows(sql, query, params)?.is_empty())
}

/// The id SQLite gave the last inserted row.
pub fn last_insert_id(sql: &SqlStorage) -> ApiResult<i64> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: i64,
    }
    rows::<Id>(sql, "SELECT last_insert_rowid() AS id", vec![])?
        .first()
        .map(|r| r.id)
        .ok_or_else(|| internal("last_insert_rowid", "no row"))
}

/// Runs `body` inside `storage.transactionSync`: if it returns an error, every write it made is rolled back.
pub fn transaction<T>(storage: &Storage, body: impl FnOnce() -> ApiResult<T>) -> ApiResult<T> {
    let raw: &JsValue = storage.as_raw().as_ref();
    let function: js_sys::Function = js_sys::Reflect::get(raw, &JsValue::from_str("transactionSync"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| internal("transactionSync", "not available"))?;
    let mut body = Some(body);
    let mut outcome: Option<ApiResult<T>> = None;
    {
        let mut run = || -> Result<JsValue, JsValue> {
            let result = body.take().map(|b| b()).unwrap_or_else(|| Err(ApiError::internal()));
            let failed = result.is_err();
            outcome = Some(result);
            if failed {
                Err(JsValue::from_str("rolled back"))
            } else {
                Ok(JsValue::UNDEFINED)
            }
        };
        let run: &mut dyn FnMut() -> Result<JsValue, JsValue> = &mut run;
        // SAFETY: transactionSync calls the function synchronously and keeps no reference to it; the
        // closure is dropped before `run` goes out of scope.
        let run: &'static mut dyn FnMut() -> Result<JsValue, JsValue> = unsafe { std::mem::transmute(run) };
        let closure = Closure::<dyn FnMut() -> Result<JsValue, JsValue>>::wrap(Box::new(run));
        let called = function.call1(raw, closure.as_ref().unchecked_ref());
        drop(closure);
        if let Err(e) = called {
            if !matches!(outcome, Some(Err(_))) {
                return Err(internal("transaction", worker::Error::from(e)));
            }
        }
    }
    outcome.unwrap_or_else(|| Err(ApiError::internal()))
}

pub fn flag(b: bool) -> SqlStorageValue {
    SqlStorageValue::Integer(b as i64)
}
