//! A store of Idempotency-Key claims (see `slotbook_core::idempotency` for the rules). A claim is a row with a
//! random claim id; whoever holds it writes the id of what it created into that row in the same transaction
//! as the record itself (`Claim::link`), so a crash can never leave a record its key does not know. Which
//! claims are alive is known in memory: a Durable Object runs one instance, and a restart ends every request
//! it was running. The reserve that uses these claims reads top to bottom in `reserve.rs`.

use super::Organisation;
use crate::engine::sql::{exec, rows, transaction};
use crate::engine::IdempotencyKey;
use crate::http::{internal, json, replayable_json};
use crate::runtime::random_hex;
use serde::Deserialize;
use slotbook_core::error::{ApiError, ApiResult};
use slotbook_core::idempotency::{self, Decision, StoredKey};
use slotbook_core::time::Timestamp;
use worker::{Response, SqlStorage};

/// A key claimed by the request now running it.
pub struct Claim {
    key: String,
    pub(super) id: String,
}

pub(super) enum KeyOutcome {
    Replay(Response),
    Run(Claim),
    Resume(Claim, i64),
}

impl Claim {
    /// The Idempotency-Key itself (calls to other services derive theirs from it).
    pub fn key(&self) -> &str {
        &self.key
    }

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
        answer.map_or(Ok(()), |a| self.finish_created(sql, a))
    }

    /// Stores the answer of a request that created what it asked for (201).
    pub fn finish_created<T: serde::Serialize>(&self, sql: &SqlStorage, answer: &T) -> ApiResult<()> {
        let body = serde_json::to_string(answer).map_err(|e| internal("store answer", e))?;
        self.finish(sql, Some((201, body)))
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

/// Removes a claim (or a follow-up being run, see `payments`) from the running set when it ends, however it
/// ends.
pub(super) struct Running<'a> {
    pub(super) organisation: &'a Organisation,
    pub(super) id: String,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.organisation.running.borrow_mut().remove(&self.id);
    }
}

impl Organisation {
    /// Claims a key for a request about to run, or returns the answer to give again. The check and the
    /// claim are one synchronous step, so two requests cannot both claim a key.
    pub(super) fn claim(&self, key: &IdempotencyKey, now: Timestamp) -> ApiResult<KeyOutcome> {
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
                        let (status, body) = (row.status.unwrap_or(200) as u16, row.body.unwrap_or_default());
                        KeyOutcome::Replay(replayable_json(status, body, true)?)
                    }
                    Decision::Run => {
                        exec(&sql, "INSERT OR REPLACE INTO idempotency_keys (key, fingerprint, finished, created_at, claim_id, claimed_at) VALUES (?, ?, 0, ?, ?, ?)",
                        vec![key.key.clone().into(), key.fingerprint.clone().into(), now.0.into(), claim.id.clone().into(), now.0.into()])?;
                        KeyOutcome::Run(Claim {
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
                        KeyOutcome::Resume(
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
        if let KeyOutcome::Run(c) | KeyOutcome::Resume(c, _) = &claimed {
            self.running.borrow_mut().insert(c.id.clone());
        }
        Ok(claimed)
    }

    /// Proxy mode: claims a key for a reserve the Worker forwards. The Worker is not this object, so its
    /// claim counts as running until it finishes or its lease ends. Answers 200 with the claim id, or the
    /// stored answer (with `Idempotent-Replayed`).
    pub(super) fn claim_for_upstream(&self, key: &IdempotencyKey, now: Timestamp) -> ApiResult<Response> {
        match self.claim(key, now)? {
            KeyOutcome::Replay(response) => Ok(response),
            // The upstream keeps its own record of the key (it is forwarded), so a resumed claim runs again.
            KeyOutcome::Run(claim) | KeyOutcome::Resume(claim, _) => {
                json(200, &serde_json::json!({"claimId": claim.id}))
            }
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

/// What an Idempotency-Key keeps of a refusal: refusals are answers too; a failure on our side (5xx) is
/// not kept, so a retry can succeed.
pub fn idempotency_answer(e: &ApiError) -> Option<(u16, String)> {
    (e.status() < 500).then(|| (e.status(), serde_json::to_string(&e.body("")).unwrap_or_default()))
}
