//! A stand-in for Bardge's V3 reseller API (which cannot run here), speaking `../shared/BARDGE.md`: what Bardge
//! states it enforces (bearer key, `{"error":{type,code,message,request_id}}` answers with a
//! `Bardge-Request-Id` header, JSON bodies, Idempotency-Keys that are UUIDs and replay the first answer or
//! refuse another body as `idempotency_key_reused`, 24-hour sessions, confirm only with the session's own
//! fields, capacity as `class_full`, `already_cancelled`) and the shapes the adapter assumes for the rest.
//! Counts one debit per confirmed session; switches make it fail N times, hang, be disabled, or forget a
//! session. Time is the machine's clock, shared with the edge.

use crate::booking::now;
use crate::double::{Answer, Recorded, Server};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const API_KEY: &str = "bardge_test_reseller_key_0123456789";
const SESSION_SECONDS: i64 = 24 * 3600;
/// The API's path prefix (the edge's `BARDGE_API_URL` is the stand-in's base plus this).
pub const PREFIX: &str = "/v3/api/business/reseller";

/// A class of a provider, with its instances and the co-pay packages for passes that do not cover it.
#[derive(Clone)]
pub struct ClassSpec {
    pub id: &'static str,
    pub provider_id: &'static str,
    pub name: &'static str,
    pub duration_minutes: u32,
    /// (instance id, scheduled_for, capacity).
    pub instances: Vec<(String, i64, u32)>,
    /// (package id, name, amount in cents).
    pub copay_options: Vec<(&'static str, &'static str, i64)>,
}

/// A spa service of a provider, its slots, and the co-pay for passes that do not cover it.
#[derive(Clone)]
pub struct ServiceSpec {
    pub id: &'static str,
    pub provider_id: &'static str,
    pub name: &'static str,
    pub duration_minutes: u32,
    pub slots: Vec<i64>,
    pub copay_amount: i64,
}

/// A client's issued pass: what it covers and how many visits are left on it.
#[derive(Clone)]
pub struct PassSpec {
    pub pass_id: &'static str,
    pub client_id: &'static str,
    /// Class and service ids the pass covers.
    pub covers: Vec<&'static str>,
    pub visits_left: u32,
}

#[derive(Default)]
struct State {
    classes: Vec<ClassSpec>,
    /// Places left per class instance.
    spots_left: HashMap<String, u32>,
    services: Vec<ServiceSpec>,
    passes: Vec<PassSpec>,
    sessions: HashMap<String, Value>,
    bookings: HashMap<String, Value>,
    /// Idempotency-Key → (path and body, the first answer's status and body).
    by_key: HashMap<String, (String, u16, Value)>,
    /// Debits of the reseller's account, one per confirmed session: (session id, amount).
    debits: Vec<(String, i64)>,
    /// Calls whose path contains the text fail with 500 this many more times.
    failing: Vec<(String, u32)>,
    /// Calls whose path or body contains the text are answered after this many milliseconds.
    hanging: Vec<(String, u64)>,
    disabled: bool,
    /// Sessions whose confirm key Bardge holds for another body already (as after a bug on the caller's side).
    reused_keys: Vec<String>,
    next_id: u64,
}

#[derive(Clone)]
pub struct BardgeDouble {
    /// What the edge's `BARDGE_API_URL` is set to.
    pub api_url: String,
    server: Server,
    state: Arc<Mutex<State>>,
}

impl BardgeDouble {
    pub fn start(classes: Vec<ClassSpec>, services: Vec<ServiceSpec>, passes: Vec<PassSpec>) -> BardgeDouble {
        BardgeDouble::start_on(0, classes, services, passes)
    }

    /// Like [`BardgeDouble::start`], on a given port (0: any free one).
    pub fn start_on(
        port: u16,
        classes: Vec<ClassSpec>,
        services: Vec<ServiceSpec>,
        passes: Vec<PassSpec>,
    ) -> BardgeDouble {
        let mut state = State::default();
        for c in &classes {
            for (id, _, capacity) in &c.instances {
                state.spots_left.insert(id.clone(), *capacity);
            }
        }
        state.classes = classes;
        state.services = services;
        state.passes = passes;
        let state = Arc::new(Mutex::new(state));
        let shared = state.clone();
        let server = Server::start_on(port, move |r: &Recorded| {
            let delay = {
                let s = shared.lock().unwrap();
                let text = r.text();
                s.hanging
                    .iter()
                    .find(|(p, _)| r.path.contains(p.as_str()) || text.contains(p.as_str()))
                    .map(|(_, ms)| *ms)
            };
            if let Some(ms) = delay {
                std::thread::sleep(std::time::Duration::from_millis(ms));
            }
            let request_id = {
                let mut s = shared.lock().unwrap();
                s.next_id += 1;
                format!("req_standin_{}", s.next_id)
            };
            let (status, mut body) = answer(&mut shared.lock().unwrap(), r);
            if let Some(error) = body.get_mut("error") {
                error["request_id"] = json!(request_id);
            }
            Answer {
                status,
                headers: vec![
                    ("Content-Type", "application/json".into()),
                    ("Bardge-Request-Id", request_id),
                ],
                body: body.to_string(),
            }
        });
        BardgeDouble {
            api_url: format!("{}{PREFIX}", server.base),
            server,
            state,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }

    /// The reseller's account debits: (session id, amount), one per confirmed session.
    pub fn debits(&self) -> Vec<(String, i64)> {
        self.state.lock().unwrap().debits.clone()
    }

    /// Bookings made (covered at once or confirmed), with their status.
    pub fn bookings(&self) -> Vec<Value> {
        self.state.lock().unwrap().bookings.values().cloned().collect()
    }

    pub fn spots_left(&self, instance_id: &str) -> u32 {
        self.state.lock().unwrap().spots_left[instance_id]
    }

    /// The next `n` calls whose path or body contains `path` fail on Bardge's side (500 `api_error`).
    pub fn fail(&self, path: &str, n: u32) {
        self.state.lock().unwrap().failing.push((path.into(), n));
    }

    /// Calls whose path or body contains `path` are answered only after `ms` milliseconds.
    pub fn hang(&self, path: &str, ms: u64) {
        self.state.lock().unwrap().hanging.push((path.into(), ms));
    }

    /// The reseller's account is disabled (403 `account_disabled` for every call).
    pub fn disable(&self) {
        self.state.lock().unwrap().disabled = true;
    }

    /// Bardge no longer knows the session (404 on confirm).
    pub fn forget_session(&self, session_id: &str) {
        self.state.lock().unwrap().sessions.remove(session_id);
    }

    /// The session an initiate opened whose details mention `needle` (a class instance id, or a spa slot's
    /// `scheduled_for`).
    pub fn session_of(&self, needle: &str) -> Option<String> {
        let state = self.state.lock().unwrap();
        state
            .sessions
            .iter()
            .find(|(_, s)| {
                s["class_instance_id"] == needle
                    || s["scheduled_for"].as_i64().map(|t| t.to_string()).as_deref() == Some(needle)
            })
            .map(|(id, _)| id.clone())
    }

    /// Bardge holds the session's confirm key for another body: its confirm answers `idempotency_key_reused`.
    pub fn reuse_key_of(&self, session_id: &str) {
        self.state.lock().unwrap().reused_keys.push(format!("/{session_id}/"));
    }

    /// Another client takes the instance's last places.
    pub fn fill(&self, instance_id: &str) {
        self.state.lock().unwrap().spots_left.insert(instance_id.into(), 0);
    }
}

fn error(status: u16, kind: &str, code: &str, message: &str) -> (u16, Value) {
    (
        status,
        json!({"error": {"type": kind, "code": code, "message": message, "request_id": ""}}),
    )
}

fn validation(message: &str) -> (u16, Value) {
    error(400, "invalid_request_error", "validation_error", message)
}

fn not_found(what: &str) -> (u16, Value) {
    error(
        404,
        "invalid_request_error",
        "resource_not_found",
        &format!("No such {what}"),
    )
}

fn list(data: Vec<Value>, url: &str) -> (u16, Value) {
    (
        200,
        json!({"object": "list", "data": data, "has_more": false, "url": url}),
    )
}

/// A canonical UUID (8-4-4-4-12 hex digits).
fn is_uuid(key: &str) -> bool {
    let groups: Vec<&str> = key.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn query(path: &str) -> HashMap<String, String> {
    path.split_once('?')
        .map(|(_, q)| crate::double::parse_form(q).into_iter().collect())
        .unwrap_or_default()
}

fn date_of(t: i64) -> String {
    slotbook_core::time::Timestamp(t).utc_date().to_string()
}

fn answer(s: &mut State, r: &Recorded) -> (u16, Value) {
    let expected = format!("Bearer {API_KEY}");
    if r.headers.get("authorization") != Some(&expected) {
        return error(
            401,
            "authentication_error",
            "invalid_api_key",
            "The API key provided is invalid",
        );
    }
    if s.disabled {
        return error(
            403,
            "permission_error",
            "account_disabled",
            "Your reseller account has been disabled",
        );
    }
    let text = r.text();
    let matching = |p: &str| r.path.contains(p) || text.contains(p);
    if let Some((_, left)) = s.failing.iter_mut().find(|(p, left)| *left > 0 && matching(p)) {
        *left -= 1;
        return error(
            500,
            "api_error",
            "internal_server_error",
            "An unexpected error occurred on our side",
        );
    }
    let Some(rest) = r.path.strip_prefix(PREFIX) else {
        return not_found("endpoint");
    };
    let path = rest.split('?').next().unwrap_or("");
    let q = query(rest);
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (r.method.as_str(), segments.as_slice()) {
        ("GET", ["classes"]) => {
            let limit: i64 = q.get("limit").map_or(Some(10), |l| l.parse().ok()).unwrap_or(0);
            if !(1..=100).contains(&limit) {
                return validation("limit must be between 1 and 100");
            }
            let Some(provider) = q.get("provider_id") else {
                return validation("provider_id is required");
            };
            let data = s
                .classes
                .iter()
                .filter(|c| c.provider_id == provider)
                .map(|c| {
                    json!({"object": "class", "id": c.id, "name": c.name, "description": "", "provider_id": c.provider_id,
                           "provider_name": format!("Provider {}", c.provider_id), "duration_minutes": c.duration_minutes})
                })
                .collect();
            list(data, "/classes")
        }
        ("GET", ["classes", id]) => {
            let (Some(from), Some(to)) = (q.get("from"), q.get("to")) else {
                return validation("from and to are required");
            };
            let Some(c) = s.classes.iter().find(|c| c.id == *id) else {
                return not_found("class");
            };
            let instances: Vec<Value> = c
                .instances
                .iter()
                .filter(|(_, t, _)| date_of(*t) >= *from && date_of(*t) <= *to)
                .map(|(iid, t, capacity)| {
                    json!({"object": "class_instance", "id": iid, "date": date_of(*t), "time": "",
                           "scheduled_for": t, "duration_minutes": c.duration_minutes, "capacity": capacity,
                           "spots_left": s.spots_left[iid]})
                })
                .collect();
            (
                200,
                json!({"object": "class", "id": c.id, "name": c.name, "provider_id": c.provider_id,
                       "duration_minutes": c.duration_minutes, "instances": instances}),
            )
        }
        ("GET", ["providers", provider, "services"]) => {
            let data = s
                .services
                .iter()
                .filter(|v| v.provider_id == *provider)
                .map(|v| json!({"object": "service", "id": v.id, "name": v.name, "duration_minutes": v.duration_minutes}))
                .collect();
            list(data, path)
        }
        ("GET", ["providers", provider, "services", service, "availability"]) => {
            let Some(date) = q.get("date") else {
                return validation("date is required");
            };
            let Some(v) = s
                .services
                .iter()
                .find(|v| v.provider_id == *provider && v.id == *service)
            else {
                return not_found("service");
            };
            let taken: Vec<i64> = s
                .bookings
                .values()
                .filter(|b| b["type"] == "spa" && !b["status"].as_str().unwrap_or("").eq_ignore_ascii_case("cancelled"))
                .filter_map(|b| b["scheduled_for"].as_i64())
                .collect();
            let slots: Vec<Value> = v
                .slots
                .iter()
                .filter(|t| date_of(**t) == *date && !taken.contains(t))
                .map(|t| json!({"scheduled_for": t, "time": ""}))
                .collect();
            (200, json!({"object": "availability", "date": date, "slots": slots}))
        }
        ("GET", ["bookings", id]) => match s.bookings.get(*id) {
            Some(b) => (200, b.clone()),
            None => not_found("booking"),
        },
        ("POST", _) => post(s, r, &segments),
        _ => not_found("endpoint"),
    }
}

/// The calls that change something: JSON bodies, Idempotency-Keys on initiate and confirm.
fn post(s: &mut State, r: &Recorded, segments: &[&str]) -> (u16, Value) {
    let needs_key =
        segments.first() == Some(&"bookings") && segments.get(1).is_some_and(|k| *k == "class" || *k == "spa");
    let body: Value = if r.body.is_empty() {
        json!({})
    } else {
        if r.headers.get("content-type").map(|c| c.starts_with("application/json")) != Some(true) {
            return validation("Content-Type must be application/json");
        }
        match serde_json::from_slice(&r.body) {
            Ok(v @ Value::Object(_)) => v,
            _ => return validation("The body is not a JSON object"),
        }
    };
    let key = r.headers.get("idempotency-key").cloned();
    if needs_key {
        let Some(key) = &key else {
            return validation("Idempotency-Key is required");
        };
        if !is_uuid(key) {
            return validation("Idempotency-Key must be a UUID");
        }
        if s.reused_keys.iter().any(|p| r.path.contains(p.as_str())) {
            return error(
                409,
                "idempotency_error",
                "idempotency_key_reused",
                "An idempotency key was reused with a different request body",
            );
        }
        let request = format!("{} {}", r.path, body);
        if let Some((stored, status, answer)) = s.by_key.get(key) {
            if *stored != request {
                return error(
                    409,
                    "idempotency_error",
                    "idempotency_key_reused",
                    "An idempotency key was reused with a different request body",
                );
            }
            return (*status, answer.clone());
        }
        let (status, answer) = booking_call(s, segments, &body);
        // Saved once the call began, whatever it answered (Bardge gives the first answer again).
        s.by_key.insert(key.clone(), (request, status, answer.clone()));
        return (status, answer);
    }
    match segments {
        ["bookings", id, "cancel"] => cancel(s, id),
        _ => not_found("endpoint"),
    }
}

fn booking_call(s: &mut State, segments: &[&str], body: &Value) -> (u16, Value) {
    match segments {
        ["bookings", "class"] => initiate_class(s, body),
        ["bookings", "spa"] => initiate_spa(s, body),
        ["bookings", "class", session, "confirm"] => confirm(s, session, body, false),
        ["bookings", "spa", session, "confirm"] => confirm(s, session, body, true),
        _ => not_found("endpoint"),
    }
}

fn fields<'a>(body: &'a Value, names: &[&str]) -> Result<Vec<&'a str>, (u16, Value)> {
    if let Some(extra) = body.as_object().unwrap().keys().find(|k| !names.contains(&k.as_str())) {
        return Err(validation(&format!("Unknown field {extra}")));
    }
    names
        .iter()
        .map(|n| match body.get(*n) {
            Some(Value::String(v)) if !v.trim().is_empty() => Ok(v.as_str()),
            Some(Value::Number(_)) => Ok(""),
            _ => Err(validation(&format!("{n} is required"))),
        })
        .collect()
}

/// The pass, checked against its client.
fn pass<'a>(s: &'a State, client_id: &str, pass_id: &str) -> Result<&'a PassSpec, (u16, Value)> {
    match s.passes.iter().find(|p| p.pass_id == pass_id) {
        Some(p) if p.client_id == client_id => Ok(p),
        Some(_) => Err(validation("user_pass_id does not belong to client_id")),
        None => Err(error(
            404,
            "invalid_request_error",
            "resource_not_found",
            "No such pass",
        )),
    }
}

fn booking(s: &mut State, kind: &str, name: &str, scheduled_for: i64, instance: Option<&str>) -> Value {
    s.next_id += 1;
    let id = format!("booking_standin_{}", s.next_id);
    let mut b = json!({"object": "booking", "id": id, "status": "PENDING", "type": kind, "provider_name": "Provider",
        "date": date_of(scheduled_for), "time": "", "scheduled_for": scheduled_for, "created": now(),
        "message": "Booked successfully"});
    b[if kind == "class" { "class_name" } else { "service_name" }] = json!(name);
    if let Some(i) = instance {
        b["class_instance_id"] = json!(i);
    }
    s.bookings.insert(id, b.clone());
    b
}

fn new_session(s: &mut State, mut session: Value) -> String {
    s.next_id += 1;
    let id = format!("sess_standin_{}", s.next_id);
    session["session_id"] = json!(id);
    session["expires_at"] = json!(now() + SESSION_SECONDS);
    s.sessions.insert(id.clone(), session);
    id
}

fn initiate_class(s: &mut State, body: &Value) -> (u16, Value) {
    let f = match fields(
        body,
        &[
            "class_instance_id",
            "client_id",
            "first_name",
            "last_name",
            "user_pass_id",
        ],
    ) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let (instance_id, client_id, pass_id) = (f[0], f[1], f[4]);
    let Some(class) = s
        .classes
        .iter()
        .find(|c| c.instances.iter().any(|(i, ..)| i == instance_id))
        .cloned()
    else {
        return not_found("class instance");
    };
    let pass = match pass(s, client_id, pass_id) {
        Ok(p) => p.clone(),
        Err(e) => return e,
    };
    if s.spots_left[instance_id] == 0 {
        return error(
            409,
            "resource_conflict_error",
            "class_full",
            "The class has reached its maximum capacity",
        );
    }
    let scheduled_for = class.instances.iter().find(|(i, ..)| i == instance_id).unwrap().1;
    let covered = pass.covers.contains(&class.id);
    if covered && pass.visits_left > 0 {
        s.passes.iter_mut().find(|p| p.pass_id == pass_id).unwrap().visits_left -= 1;
        *s.spots_left.get_mut(instance_id).unwrap() -= 1;
        let b = booking(s, "class", class.name, scheduled_for, Some(instance_id));
        return (
            201,
            json!({"object": "class_booking_initiation", "copay_required": false, "additional_visits_required": false,
                   "booking_id": b["id"], "status": b["status"], "class_name": class.name, "provider_name": "Provider",
                   "date": b["date"], "time": "", "scheduled_for": scheduled_for, "visits_deducted": 1,
                   "created": now(), "message": "Class booked successfully"}),
        );
    }
    let mut session = json!({"object": "class_booking_initiation", "copay_required": !covered,
        "additional_visits_required": covered, "kind": "class", "class_instance_id": instance_id,
        "name": class.name, "scheduled_for": scheduled_for, "created": now()});
    if covered {
        session["cost_per_visit"] = json!(900);
        session["currency"] = json!("eur");
        session["durations"] = json!(["MONTHLY", "ANNUALLY"]);
    } else {
        session["copay_options"] = class
            .copay_options
            .iter()
            .map(|(id, name, amount)| json!({"id": id, "name": name, "amount": amount, "currency": "eur", "duration": "DAILY"}))
            .collect();
    }
    let id = new_session(s, session);
    let mut answer = s.sessions[&id].clone();
    for internal in ["kind", "class_instance_id", "name", "created"] {
        answer.as_object_mut().unwrap().remove(internal);
    }
    (201, answer)
}

fn initiate_spa(s: &mut State, body: &Value) -> (u16, Value) {
    let names = [
        "provider_id",
        "service_id",
        "scheduled_for",
        "client_id",
        "user_pass_id",
        "first_name",
        "last_name",
    ];
    let f = match fields(body, &names) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let Some(scheduled_for) = body["scheduled_for"].as_i64() else {
        return validation("scheduled_for must be Unix seconds");
    };
    let Some(service) = s
        .services
        .iter()
        .find(|v| v.provider_id == f[0] && v.id == f[1])
        .cloned()
    else {
        return not_found("service");
    };
    let pass = match pass(s, f[3], f[4]) {
        Ok(p) => p.clone(),
        Err(e) => return e,
    };
    let taken = s.bookings.values().any(|b| {
        b["type"] == "spa"
            && b["scheduled_for"] == scheduled_for
            && !b["status"].as_str().unwrap_or("").eq_ignore_ascii_case("cancelled")
    });
    if !service.slots.contains(&scheduled_for) || taken {
        return error(
            409,
            "resource_conflict_error",
            "slot_unavailable",
            "The requested booking slot is no longer available",
        );
    }
    if pass.covers.contains(&service.id) {
        let b = booking(s, "spa", service.name, scheduled_for, None);
        return (
            201,
            json!({"object": "spa_booking_initiation", "copay_required": false, "booking_id": b["id"],
                   "status": b["status"], "scheduled_for": scheduled_for}),
        );
    }
    let session = json!({"object": "spa_booking_initiation", "copay_required": true, "kind": "spa",
        "name": service.name, "scheduled_for": scheduled_for, "copay_amount": service.copay_amount, "currency": "eur",
        "created": now()});
    let id = new_session(s, session);
    let mut answer = s.sessions[&id].clone();
    for internal in ["kind", "name", "created"] {
        answer.as_object_mut().unwrap().remove(internal);
    }
    (201, answer)
}

fn confirm(s: &mut State, session_id: &str, body: &Value, spa: bool) -> (u16, Value) {
    let Some(session) = s.sessions.get(session_id).cloned() else {
        return not_found("session");
    };
    if (session["kind"] == "spa") != spa {
        return not_found("session");
    }
    if session["expires_at"].as_i64().unwrap() <= now() {
        return error(
            404,
            "invalid_request_error",
            "resource_not_found",
            "The session has expired; start a new one",
        );
    }
    if session["confirmed"] == true {
        return error(
            409,
            "resource_conflict_error",
            "session_completed",
            "The session was already confirmed",
        );
    }
    let amount = if spa {
        if !body.as_object().unwrap().is_empty() {
            return validation("A spa confirm takes no body");
        }
        session["copay_amount"].as_i64().unwrap()
    } else if session["copay_required"] == true {
        let Some(package) = body["copay_package_id"].as_str() else {
            return validation("copay_package_id is required for a co-pay session");
        };
        if body.as_object().unwrap().len() != 1 {
            return validation("A co-pay session takes only copay_package_id");
        }
        match session["copay_options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == package)
        {
            Some(o) => o["amount"].as_i64().unwrap(),
            None => return validation("copay_package_id is not one of the session's options"),
        }
    } else {
        let visits = body["number_of_visits"].as_i64().unwrap_or(0);
        let duration = body["duration"].as_str().unwrap_or("");
        if visits < 1
            || !session["durations"].as_array().unwrap().iter().any(|d| d == duration)
            || body.as_object().unwrap().len() != 2
        {
            return validation("number_of_visits (at least 1) and duration (one of the session's) are required");
        }
        visits * session["cost_per_visit"].as_i64().unwrap()
    };
    let scheduled_for = session["scheduled_for"].as_i64().unwrap();
    let name = session["name"].as_str().unwrap().to_string();
    let b = if spa {
        booking(s, "spa", &name, scheduled_for, None)
    } else {
        let instance = session["class_instance_id"].as_str().unwrap().to_string();
        if s.spots_left[&instance] == 0 {
            return error(
                409,
                "resource_conflict_error",
                "class_full",
                "The class has reached its maximum capacity",
            );
        }
        *s.spots_left.get_mut(&instance).unwrap() -= 1;
        booking(s, "class", &name, scheduled_for, Some(&instance))
    };
    s.sessions.get_mut(session_id).unwrap()["confirmed"] = json!(true);
    s.debits.push((session_id.to_string(), amount));
    (201, b)
}

fn cancel(s: &mut State, id: &str) -> (u16, Value) {
    let Some(b) = s.bookings.get(id).cloned() else {
        return not_found("booking");
    };
    if b["status"].as_str().unwrap_or("").eq_ignore_ascii_case("cancelled") {
        return error(
            409,
            "resource_conflict_error",
            "already_cancelled",
            "The booking has already been cancelled",
        );
    }
    if let Some(instance) = b["class_instance_id"].as_str() {
        *s.spots_left.get_mut(instance).unwrap() += 1;
    }
    let b = s.bookings.get_mut(id).unwrap();
    b["status"] = json!("cancelled");
    (200, b.clone())
}
