//! The one refresh in flight: under the tabs' lock when there is one, with retries and backoff,
//! bounded in time at every stage, and joined by everyone who needs a refresh meanwhile.
//!
//! Stages: waiting for the lock → sending → (backing off → sending)* → finished. A waiting tab
//! steals the lock only from a holder that stopped showing signs of life: the holder posts
//! [`TabMessage::Working`] whenever it sends or backs off, and each one pushes the waiter's
//! patience out. A refused lock request, or a steal that never comes through, falls back to
//! refreshing without the lock, as a browser without Web Locks would.

use alloc::vec::Vec;

use super::{AuthId, CallId, Command, FetchId, Keeper, MAX_RETRY_AFTER_MS};
use crate::event::{Event, Trigger};
use crate::message::TabMessage;
use crate::{Error, ErrorKind};

/// Who waits for the refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Waiter {
    /// `restore()`.
    Restore(CallId),
    /// `refresh()`.
    Refresh(CallId),
    /// `login()` with `refreshAfterLogin`, whose sign-in was accepted: it settles with the
    /// claims of the token this refresh brings.
    Login(CallId),
    /// An app request to send once the token is fresh.
    Send(FetchId),
    /// An app request that got a 401, to retry once the token is fresh.
    Retry(FetchId),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Stage {
    /// Asked for the lock; steal it at `steal_at_ms` (or, once stealing, go on without it).
    Lock { steal_at_ms: f64, stealing: bool },
    /// The refresh call `id` left at `sent_at_ms`; it times out at `deadline_ms`.
    Send {
        id: AuthId,
        sent_at_ms: f64,
        deadline_ms: f64,
    },
    /// Waiting out a backoff until `until_ms`.
    Backoff { until_ms: f64 },
    /// Holding the lock after another tab held it, waiting until `until_ms` for the token that
    /// tab is about to broadcast (a message and a lock grant may arrive in either order).
    Adopt { until_ms: f64 },
}

/// The refresh: the one in flight, the next one scheduled, and the wait the server asked for.
#[derive(Debug)]
pub(super) struct Refresh {
    /// The one refresh in flight.
    pub(super) flight: Option<Flight>,
    /// When to start a scheduled refresh.
    pub(super) scheduled_at_ms: Option<f64>,
    /// No refresh call leaves before this moment (local ms): the server's `Retry-After`, or the
    /// last backoff. Kept across flights ([`Keeper::refresh_waits`]).
    pub(super) not_before_ms: f64,
    /// The status of the answer that asked for that wait (0: no answer, a network failure).
    pub(super) not_before_status: u16,
}

impl Default for Refresh {
    fn default() -> Self {
        Refresh {
            flight: None,
            scheduled_at_ms: None,
            not_before_ms: f64::NEG_INFINITY,
            not_before_status: 0,
        }
    }
}

/// How long a tab that got the lock after a working holder waits for the holder's token.
pub(super) const ADOPT_WAIT_MS: f64 = 50.0;

#[derive(Debug)]
pub(super) struct Flight {
    /// The token generation when the flight began: a newer one after the lock means another
    /// tab refreshed meanwhile.
    pub(super) generation: u64,
    /// Retries used.
    pub(super) attempt: u32,
    /// Another tab said it was refreshing while this one waited for the lock.
    pub(super) heard_working: bool,
    pub(super) stage: Stage,
    pub(super) waiters: Vec<Waiter>,
}

impl Flight {
    pub(super) fn deadline_ms(&self) -> Option<f64> {
        Some(match self.stage {
            Stage::Lock { steal_at_ms, .. } => steal_at_ms,
            Stage::Send { deadline_ms, .. } => deadline_ms,
            Stage::Backoff { until_ms } | Stage::Adopt { until_ms } => until_ms,
        })
    }
}

/// How a refresh call ended: the one thing its answer, its timeout or the lock tells the flight.
pub(super) enum Outcome {
    /// A new token is held (received, or adopted from another tab).
    Fresh,
    /// It failed for good; the error says how.
    Failed(Error),
    /// It failed in a way worth another try (no answer, a timeout, 5xx, 429), with the wait the
    /// server asked for (`Retry-After`, in ms) if it named one.
    Transient(Error, Option<f64>),
}

impl Keeper {
    /// Joins the refresh in flight with `waiter`, or starts one. When the server asked for a
    /// longer wait than the keeper waits out ([`MAX_RETRY_AFTER_MS`]), `waiter` learns at once
    /// that the refresh failed, and why.
    pub(super) fn join_flight(&mut self, trigger: Trigger, waiter: Waiter, now_ms: f64) {
        if self.refresh.flight.is_none() {
            if let Some(e) = self.refresh_barred(now_ms) {
                return self.answer_waiter(waiter, Some(&e));
            }
            self.start_flight(trigger, now_ms);
        }
        if let Some(flight) = &mut self.refresh.flight {
            flight.waiters.push(waiter);
        }
    }

    /// Why no refresh may start at `now_ms`: the server's `Retry-After` (or the last backoff)
    /// runs longer than [`MAX_RETRY_AFTER_MS`] from now.
    fn refresh_barred(&self, now_ms: f64) -> Option<Error> {
        if self.refresh.not_before_ms - now_ms <= MAX_RETRY_AFTER_MS {
            return None;
        }
        let message = "the auth server asked to wait before the next refresh";
        Some(match self.refresh.not_before_status {
            0 => Error::new(ErrorKind::Network, message),
            status => Error::http(status, message),
        })
    }

    pub(super) fn start_flight(&mut self, trigger: Trigger, now_ms: f64) {
        if self.refresh.flight.is_some() {
            return;
        }
        if self.refresh_barred(now_ms).is_some() {
            // Tried again when the wait is over.
            self.refresh.scheduled_at_ms = self
                .session
                .held
                .as_ref()
                .map(|_| self.refresh.not_before_ms);
            return;
        }
        self.refresh.scheduled_at_ms = None;
        self.emit(Event::Refresh { trigger });
        self.refresh.flight = Some(Flight {
            generation: self.session.generation,
            attempt: 0,
            heard_working: false,
            stage: Stage::Lock {
                // A holder that said it is working gets its time, as if heard while waiting.
                steal_at_ms: now_ms.max(self.lock.other_working_until_ms) + self.patience_ms(),
                stealing: false,
            },
            waiters: Vec::new(),
        });
        let until_ms = self.refresh.not_before_ms;
        if let (true, Some(flight)) = (now_ms < until_ms, &mut self.refresh.flight) {
            // The server asked for a pause (or the last flight was backing off): the call waits
            // it out, then takes its turn as after any backoff.
            flight.stage = Stage::Backoff { until_ms };
            return;
        }
        if self.auth.draining.is_some() {
            // The last flight's call is still out: this one goes when it lands.
        } else if self.uses_lock() && !self.lock.held {
            self.push(Command::RequestLock { steal: false });
        } else {
            self.send_refresh(now_ms);
        }
    }

    pub(super) fn send_refresh(&mut self, now_ms: f64) {
        let id = self.next_auth_id();
        let deadline_ms = now_ms + self.timeout_ms();
        if let Some(flight) = &mut self.refresh.flight {
            flight.stage = Stage::Send {
                id,
                sent_at_ms: now_ms,
                deadline_ms,
            };
        }
        self.tell_working(self.timeout_ms());
        self.push_auth(id, super::AuthKind::Refresh);
    }

    pub(super) fn tell_working(&mut self, for_ms: f64) {
        if self.lock.held && self.env.channel {
            self.push(Command::Post(TabMessage::Working { for_ms }));
        }
    }

    /// When the refresh call in flight left, if it is `id`.
    pub(super) fn refresh_call_sent_at(&self, id: AuthId) -> Option<f64> {
        match self.refresh.flight.as_ref().map(|f| f.stage) {
            Some(Stage::Send {
                id: current,
                sent_at_ms,
                ..
            }) if current == id => Some(sent_at_ms),
            _ => None,
        }
    }

    pub(super) fn flight_timeout(&mut self, now_ms: f64) {
        let Some(stage) = self.refresh.flight.as_ref().map(|f| f.stage) else {
            return;
        };
        match stage {
            Stage::Lock {
                steal_at_ms,
                stealing,
            } if now_ms >= steal_at_ms => {
                if !stealing && now_ms - steal_at_ms > ADOPT_WAIT_MS {
                    // Woken late for the moment to steal (this tab slept, or its timers were
                    // throttled): the holder's word may be queued right behind this timer.
                    // Listen a moment first.
                    if let Some(flight) = &mut self.refresh.flight {
                        flight.stage = Stage::Lock {
                            steal_at_ms: now_ms + ADOPT_WAIT_MS,
                            stealing,
                        };
                    }
                    return;
                }
                if stealing {
                    // Even stealing got nowhere: this browser's locks do not answer. Refresh
                    // without them, from now on, as when they are refused.
                    self.lock.broken = true;
                    self.push(Command::ReleaseLock);
                    self.send_refresh(now_ms);
                } else {
                    let steal_at_ms = now_ms + self.timeout_ms();
                    if let Some(flight) = &mut self.refresh.flight {
                        flight.stage = Stage::Lock {
                            steal_at_ms,
                            stealing: true,
                        };
                        // From here on, a word from the holder means it is alive (`lock_granted`).
                        flight.heard_working = false;
                    }
                    self.push(Command::RequestLock { steal: true });
                }
            }
            Stage::Send {
                id, deadline_ms, ..
            } if now_ms >= deadline_ms => {
                self.push(Command::AbortAuth { id });
                self.refresh_done(Outcome::Transient(super::auth::timed_out(), None), now_ms);
            }
            Stage::Backoff { until_ms } if now_ms >= until_ms => self.send_in_turn(now_ms),
            Stage::Adopt { until_ms } if now_ms >= until_ms && !self.finish_if_adopted(now_ms) => {
                self.send_in_turn(now_ms);
            }
            _ => {}
        }
    }

    /// A token came from elsewhere (another tab) while the flight was out.
    pub(super) fn adopted_during_flight(&self) -> bool {
        self.session.held.is_some()
            && self
                .refresh
                .flight
                .as_ref()
                .is_some_and(|f| f.generation != self.session.generation)
    }
}
