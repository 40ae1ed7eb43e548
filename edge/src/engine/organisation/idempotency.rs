//! Idempotency-Keys of reserves (see `slotbook_core::idempotency` for the rules). A claim is a row with a
//! random claim id; the reserve writes its reservation id into that row in the reservation's own transaction
//! (and, for a free booking, the answer), so a crash can never leave a reservation its key does not know.
//! Which claims are alive is known in memory: a Durable Object runs one instance, and a restart ends every
//! request it was running.

use super::reserve::reserve_answer;
use super::Organisation;
use crate::engine::sql::{exec, rows, transaction};
use crate::engine::{IdempotencyKey, Scope, REPLAYED_HEADER};
use crate::http::{internal, json, raw_json};
use crate::runtime::random_hex;
use serde::Deserialize;
use slotbook_core::error::{ApiError, ApiResult};
use slotbook_core::idempotency::{self, Decision, StoredKey};
use slotbook_core::time::Timestamp;
use slotbook_core::wire::ReserveRequest;
use worker::{Response, SqlStorage};

/// A key claimed by the request now running it.
pub struct Claim {
    key: String,
    id: String,
}

enum Claimed {
    Replay(Response),
    Run(Claim),
    Resume(Claim, i64),
}

impl Claim {
    /// Inside the reservation's transaction: the key now names it (and holds the answer, when known).
    pub fn link<T: serde::Serialize>(
        &self,
        sql: &SqlStorage,
        reservation_id: i64,
        answer: Option<&T>,
    ) -> ApiResult<()> {
        self.check_held(sql)?;
        exec(
            sql,
            "UPDATE idempotency_keys SET reservation_id = ? WHERE key = ?",
            vec![reservation_id.into(), self.key.clone().into()],
        )?;
        match answer {
            Some(a) => self.finish(
                sql,
                Some((201, serde_json::to_string(a).map_err(|e| internal("store answer", e))?)),
            ),
            None => Ok(()),
        }
    }

    /// Stores the answer; `None` (a failure on our side) frees the key for a retry.
    pub fn finish(&self, sql: &SqlStorage, answer: Option<(u16, String)>) -> ApiResult<()> {
        match answer {
            Some((status, body)) => exec(
                sql,
                "UPDATE idempotency_keys SET finished = 1, status = ?, body = ? WHERE key = ? AND claim_id = ?",
                vec![
                    (status as i64).into(),
                    body.into(),
                    self.key.clone().into(),
                    self.id.clone().into(),
                ],
            ),
            None => self.release(sql),
        }
    }

    /// Frees the key, unless another request has claimed it since or it names a reservation (a retry must
    /// find that reservation, not book another).
    pub fn release(&self, sql: &SqlStorage) -> ApiResult<()> {
        exec(
            sql,
            "DELETE FROM idempotency_keys WHERE key = ? AND claim_id = ? AND finished = 0 AND reservation_id IS NULL",
            vec![self.key.clone().into(), self.id.clone().into()],
        )
    }

    /// Frees the key together with the reservation it named, which was just cancelled in the same transaction.
    pub fn forget(&self, sql: &SqlStorage) -> ApiResult<()> {
        exec(
            sql,
            "DELETE FROM idempotency_keys WHERE key = ? AND claim_id = ? AND finished = 0",
            vec![self.key.clone().into(), self.id.clone().into()],
        )
    }

    /// A request that outlived its lease may have lost the key to a retry: then it must not write.
    fn check_held(&self, sql: &SqlStorage) -> ApiResult<()> {
        #[derive(Deserialize)]
        struct Row {
            claim_id: Option<String>,
        }
        let held = rows::<Row>(
            sql,
            "SELECT claim_id FROM idempotency_keys WHERE key = ?",
            vec![self.key.clone().into()],
        )?
        .first()
        .is_some_and(|r| r.claim_id.as_deref() == Some(self.id.as_str()));
        if held {
            Ok(())
        } else {
            Err(ApiError::new(
                slotbook_core::ErrorCode::IdempotencyKeyInUse,
                "A retry of this request has taken over its Idempotency-Key",
            )
            .with_retry_after(1))
        }
    }
}

/// Removes a claim from the running set when its request ends, however it ends.
struct Running<'a> {
    organisation: &'a Organisation,
    id: String,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.organisation.running.borrow_mut().remove(&self.id);
    }
}

impl Organisation {
    /// A public reserve, run at most once per Idempotency-Key.
    pub(super) async fn reserve_once(
        &self,
        req: ReserveRequest,
        scope: Option<Scope>,
        base_url: &str,
        public_path: &str,
        key: Option<IdempotencyKey>,
        now: Timestamp,
    ) -> ApiResult<Response> {
        let Some(key) = key else {
            return json(201, &self.reserve(req, scope, base_url, public_path, None, now).await?);
        };
        let (claim, resume) = match self.claim(&key, now)? {
            Claimed::Replay(response) => return Ok(response),
            Claimed::Run(claim) => (claim, None),
            Claimed::Resume(claim, id) => (claim, Some(id)),
        };
        let _running = Running {
            organisation: self,
            id: claim.id.clone(),
        };
        let result = match resume {
            None => self.reserve(req, scope, base_url, public_path, Some(&claim), now).await,
            Some(id) => self.resume(id, base_url, public_path, &claim, now).await,
        };
        match &result {
            // Stored already, in the reservation's transaction or once the checkout started.
            Ok(_) => {}
            Err(e) => claim.finish(&self.sql(), idempotency_answer(e))?,
        }
        json(201, &result?)
    }

    /// Answers a request whose reservation was written before its request died.
    async fn resume(
        &self,
        id: i64,
        base_url: &str,
        public_path: &str,
        claim: &Claim,
        now: Timestamp,
    ) -> ApiResult<slotbook_core::wire::ReserveResponse> {
        let stored = self.stored(id)?;
        let loaded = self.load()?;
        // The first answer never reached the customer: a new manage link replaces the one it held.
        let (manage_url, manage_token_hash) = super::reserve::new_manage_link(base_url, &loaded.slug);
        exec(
            &self.sql(),
            "UPDATE reservations SET manage_token_hash = ? WHERE id = ?",
            vec![manage_token_hash.into(), id.into()],
        )?;
        let waiting = stored.payment_required_snapshot
            && stored.status == slotbook_core::reservation::ReservationStatus::PendingPayment;
        if waiting && stored.stripe_checkout_session_id.is_none() {
            return self
                .start_checkout(
                    &loaded,
                    stored,
                    base_url,
                    public_path,
                    Some(manage_url),
                    Some(claim),
                    now,
                )
                .await;
        }
        let answer = reserve_answer(&stored, &loaded, public_path, Some(manage_url), now);
        claim.finish(
            &self.sql(),
            Some((
                201,
                serde_json::to_string(&answer).map_err(|e| internal("store answer", e))?,
            )),
        )?;
        Ok(answer)
    }

    /// Claims a key for a request about to run, or returns the answer to give again. The check and the
    /// claim are one synchronous step, so two requests cannot both claim a key.
    fn claim(&self, key: &IdempotencyKey, now: Timestamp) -> ApiResult<Claimed> {
        #[derive(Deserialize)]
        struct Row {
            fingerprint: String,
            finished: i64,
            status: Option<i64>,
            body: Option<String>,
            created_at: i64,
            claim_id: Option<String>,
            claimed_at: Option<i64>,
            reservation_id: Option<i64>,
        }
        let sql = self.sql();
        let claim = Claim {
            key: key.key.clone(),
            id: random_hex(12),
        };
        let claimed = transaction(&self.state.storage(), || {
            exec(
                &sql,
                "DELETE FROM idempotency_keys WHERE created_at <= ?",
                vec![(now.0 - idempotency::KEEP_SECONDS).into()],
            )?;
            let row = rows::<Row>(&sql, "SELECT fingerprint, finished, status, body, created_at, claim_id, claimed_at, reservation_id FROM idempotency_keys WHERE key = ?", vec![key.key.clone().into()])?
                .into_iter()
                .next();
            let alive = row
                .as_ref()
                .and_then(|r| r.claim_id.as_ref())
                .is_some_and(|id| self.running.borrow().contains(id));
            let stored = row.as_ref().map(|r| StoredKey {
                fingerprint: r.fingerprint.clone(),
                finished: r.finished != 0,
                created_at: Timestamp(r.created_at),
                claimed_at: Timestamp(r.claimed_at.unwrap_or(r.created_at)),
                reservation_id: r.reservation_id,
            });
            Ok(
                match idempotency::decide(stored.as_ref(), &key.fingerprint, alive, now)? {
                    Decision::Replay => {
                        let row = row.ok_or_else(|| internal("replay", "no stored answer"))?;
                        Claimed::Replay(replayed(
                            row.status.unwrap_or(200) as u16,
                            row.body.unwrap_or_default(),
                        )?)
                    }
                    Decision::Run => {
                        exec(&sql, "INSERT OR REPLACE INTO idempotency_keys (key, fingerprint, finished, created_at, claim_id, claimed_at) VALUES (?, ?, 0, ?, ?, ?)",
                        vec![key.key.clone().into(), key.fingerprint.clone().into(), now.0.into(), claim.id.clone().into(), now.0.into()])?;
                        Claimed::Run(Claim {
                            key: claim.key.clone(),
                            id: claim.id.clone(),
                        })
                    }
                    Decision::Resume(id) => {
                        exec(
                            &sql,
                            "UPDATE idempotency_keys SET claim_id = ?, claimed_at = ? WHERE key = ?",
                            vec![claim.id.clone().into(), now.0.into(), key.key.clone().into()],
                        )?;
                        Claimed::Resume(
                            Claim {
                                key: claim.key.clone(),
                                id: claim.id.clone(),
                            },
                            id,
                        )
                    }
                },
            )
        })?;
        if let Claimed::Run(c) | Claimed::Resume(c, _) = &claimed {
            self.running.borrow_mut().insert(c.id.clone());
        }
        Ok(claimed)
    }

    /// Proxy mode: claims a key for a reserve the Worker forwards. The Worker is not this object, so its
    /// claim counts as running until it finishes or its lease ends. Answers 200 with the claim id, or the
    /// stored answer (with `Idempotent-Replayed`).
    pub(super) fn claim_for_upstream(&self, key: &IdempotencyKey, now: Timestamp) -> ApiResult<Response> {
        match self.claim(key, now)? {
            Claimed::Replay(response) => Ok(response),
            // The upstream keeps its own record of the key (it is forwarded), so a resumed claim runs again.
            Claimed::Run(claim) | Claimed::Resume(claim, _) => json(200, &serde_json::json!({"claimId": claim.id})),
        }
    }

    /// Proxy mode: the answer to keep for a claimed key; `None` frees the key (the upstream failed).
    pub(super) fn finish_for_upstream(
        &self,
        key: &str,
        claim_id: &str,
        answer: Option<(u16, String)>,
    ) -> ApiResult<()> {
        let claim = Claim {
            key: key.to_string(),
            id: claim_id.to_string(),
        };
        self.running.borrow_mut().remove(claim_id);
        claim.finish(&self.sql(), answer)
    }
}

fn replayed(status: u16, body: String) -> ApiResult<Response> {
    let mut response = raw_json(status, body)?;
    let _ = response.headers_mut().set(REPLAYED_HEADER, "true");
    Ok(response)
}

/// What an Idempotency-Key keeps of a refusal: refusals are answers too; a failure on our side (5xx) is
/// not kept, so a retry can succeed.
pub fn idempotency_answer(e: &ApiError) -> Option<(u16, String)> {
    (e.status() < 500).then(|| (e.status(), serde_json::to_string(&e.body("")).unwrap_or_default()))
}
