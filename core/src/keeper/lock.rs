//! The tabs' refresh lock, as the keeper uses it: asking, being granted, adopting the token of
//! the tab that held it, being refused (then refreshing alone), and stealing it only from a
//! holder that stopped giving word that it works.

use super::flight::{Flight, Stage, ADOPT_WAIT_MS};
use super::{Command, Keeper, LockEvent, MAX_RETRY_AFTER_MS};

/// The refresh lock, as this tab knows it.
#[derive(Debug)]
pub(super) struct LockState {
    /// Whether this tab holds it.
    pub(super) held: bool,
    /// Locks were refused once: this tab refreshes on its own from then on.
    pub(super) broken: bool,
    /// Until when another tab said it is working on a refresh (local ms).
    pub(super) other_working_until_ms: f64,
}

impl Default for LockState {
    fn default() -> Self {
        LockState {
            held: false,
            broken: false,
            other_working_until_ms: f64::NEG_INFINITY,
        }
    }
}

impl Keeper {
    /// A timer fired long after its deadline — more than a waiter's patience: this tab slept
    /// (frozen, suspended) and another may have stolen its lock without it hearing yet. It gives
    /// the lock up; whatever it does next under the lock, it queues for it again first.
    pub(super) fn woke_late(&mut self, now_ms: f64) {
        let late = self
            .poll_timeout()
            .is_some_and(|due| now_ms - due > self.timeout_ms());
        if late && self.lock.held {
            self.release_lock();
        }
    }

    /// Back to waiting for the lock (it was stolen, or this tab slept so long it may have been).
    pub(super) fn queue_for_lock(&mut self, now_ms: f64) {
        self.release_lock();
        let steal_at_ms = now_ms.max(self.lock.other_working_until_ms) + self.patience_ms();
        if let Some(flight) = &mut self.refresh.flight {
            flight.stage = Stage::Lock {
                steal_at_ms,
                stealing: false,
            };
            flight.heard_working = false;
        }
        self.push(Command::RequestLock { steal: false });
    }

    /// What happened to the lock ([`LockEvent`]).
    pub fn handle_lock(&mut self, event: LockEvent, now_ms: f64) {
        match event {
            LockEvent::Granted => self.lock_granted(now_ms),
            LockEvent::Refused => self.lock_refused(now_ms),
            LockEvent::Lost => self.lock_lost(now_ms),
        }
    }

    /// The lock was granted (after the driver let queued tab messages land).
    pub(super) fn lock_granted(&mut self, now_ms: f64) {
        if self.auth.login_waiting.is_some() {
            // A login's turn: it goes now, and gives the lock back when it is answered.
            self.lock.held = true;
            return self.send_waiting_login(now_ms);
        }
        if self.auth.draining.is_some() {
            // Granted to a request made before a cancelled flight's call went out: held.
            self.lock.held = true;
            return;
        }
        let (waiting, stole) = match self.refresh.flight.as_ref().map(|f| f.stage) {
            Some(Stage::Lock { stealing, .. }) => (true, stealing),
            _ => (false, false),
        };
        if self.refresh.flight.is_none() {
            // Nobody needs it any more (the flight was cancelled, or finished without it).
            self.push(Command::ReleaseLock);
            return;
        }
        self.lock.held = true;
        if !waiting {
            // Went on without the lock meanwhile: hold it until the flight finishes.
            return;
        }
        if self.finish_if_adopted(now_ms) {
            return;
        }
        // Another tab was refreshing just now: its token is on its way. Or this tab stole the
        // lock: another waiter may have stolen at the same moment, before hearing of this one.
        // Either way, wait a moment under the lock: for that token, or for the word that the
        // lock was stolen again (then this tab queues instead of sending beside the other thief).
        let heard_since_steal = self
            .refresh
            .flight
            .as_ref()
            .is_some_and(|f| f.heard_working);
        let heard_working = heard_since_steal || now_ms <= self.lock.other_working_until_ms;
        // A thief that heard the holder at work after it asked to steal took the lock from a tab
        // that is alive and has its refresh on the wire: it waits for that token as long as the
        // holder said it works, not only a moment.
        let until_ms = match stole && heard_since_steal {
            true => self.lock.other_working_until_ms.max(now_ms + ADOPT_WAIT_MS),
            false => now_ms + ADOPT_WAIT_MS,
        };
        if stole {
            self.tell_working(ADOPT_WAIT_MS + self.timeout_ms());
        }
        match &mut self.refresh.flight {
            Some(flight) if heard_working || stole => {
                flight.stage = Stage::Adopt { until_ms };
            }
            _ => self.send_refresh(now_ms),
        }
    }

    /// Ends the flight when another tab's token arrived since it began: no second rotation.
    pub(super) fn finish_if_adopted(&mut self, now_ms: f64) -> bool {
        let adopted = self.refresh.flight.as_ref().is_some_and(|f| {
            f.generation != self.session.generation && !matches!(f.stage, Stage::Send { .. })
        }) && self.session.held.is_some()
            && !self.is_due(now_ms);
        if adopted {
            self.finish_flight(None, now_ms);
        }
        adopted
    }

    /// How long to wait for the lock past the holder's last word before stealing it: one
    /// timeout, spread by up to half of one so that two waiters rarely steal at the same moment
    /// (the first thief's word reaches the second first). Without a channel the holder cannot
    /// speak: then the wait covers the longest flight it can have, every attempt and backoff.
    pub(super) fn patience_ms(&mut self) -> f64 {
        let timeout = self.timeout_ms();
        let spread = 1.0 + 0.5 * self.rng.unit();
        if self.env.channel {
            return timeout * spread;
        }
        let retry = self.config.retry;
        #[allow(clippy::cast_precision_loss)]
        let longest_wait = (retry.max_delay.as_millis() as f64).max(MAX_RETRY_AFTER_MS);
        let attempts = f64::from(retry.attempts);
        ((attempts + 1.0) * timeout + attempts * longest_wait) * spread
    }

    /// Whether refreshes take turns under the lock.
    pub(super) fn uses_lock(&self) -> bool {
        self.env.locks && !self.lock.broken
    }

    /// The browser refused the lock request: from now on this tab refreshes on its own.
    fn lock_refused(&mut self, now_ms: f64) {
        self.lock.broken = true;
        self.lock.held = false;
        self.send_waiting_login(now_ms);
        if matches!(
            self.refresh.flight.as_ref().map(|f| f.stage),
            Some(Stage::Lock { .. })
        ) {
            self.send_refresh(now_ms);
        }
    }

    /// Another tab stole the lock from this one (it must have looked frozen), or took it
    /// before this tab heard it was granted: two waiters stealing at once, the second wins. A
    /// tab still waiting then queues behind the thief — the lock works, it is only taken; giving
    /// up on it here would have this tab refresh beside the others from then on.
    fn lock_lost(&mut self, now_ms: f64) {
        self.lock.held = false;
        self.send_waiting_login(now_ms);
        if matches!(
            self.refresh.flight.as_ref().map(|f| f.stage),
            Some(Stage::Lock { .. })
        ) {
            self.queue_for_lock(now_ms);
        }
    }

    pub(super) fn release_lock(&mut self) {
        if self.lock.held {
            self.lock.held = false;
            self.push(Command::ReleaseLock);
        }
    }

    /// The lock holder is still at work: wait for it at least `for_ms` plus one timeout more.
    pub(super) fn holder_is_working(&mut self, for_ms: f64, now_ms: f64) {
        // No holder works longer than a `Retry-After` it accepts, or than one call: a message
        // that says more (another version of the app, a script) cannot stop the steal for good.
        let for_ms = for_ms.min(MAX_RETRY_AFTER_MS.max(self.timeout_ms()));
        self.lock.other_working_until_ms = self.lock.other_working_until_ms.max(now_ms + for_ms);
        let patience = now_ms + for_ms + self.patience_ms();
        if let Some(Flight {
            stage: Stage::Lock { steal_at_ms, .. },
            heard_working,
            ..
        }) = &mut self.refresh.flight
        {
            *steal_at_ms = steal_at_ms.max(patience);
            *heard_working = true;
        }
    }

    /// Sends the refresh when this tab still has its turn; queues for the lock again when it lost
    /// it (stolen, or given up after a sleep: [`Keeper::woke_late`]).
    pub(super) fn send_in_turn(&mut self, now_ms: f64) {
        if self.auth.draining.is_some() {
            // A call of an ended session is still out (a backoff began before it was cancelled):
            // this refresh waits for it to land, as a flight begun meanwhile does (`end_drain`).
            let steal_at_ms = now_ms + self.patience_ms();
            if let Some(flight) = &mut self.refresh.flight {
                flight.stage = Stage::Lock {
                    steal_at_ms,
                    stealing: false,
                };
            }
            return;
        }
        if self.uses_lock() && !self.lock.held {
            self.queue_for_lock(now_ms);
        } else {
            self.send_refresh(now_ms);
        }
    }
}
