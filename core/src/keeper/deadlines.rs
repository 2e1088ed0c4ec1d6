//! The one timer: every deadline the keeper keeps, in one table. [`Keeper::poll_timeout`] is the
//! earliest of them; [`Keeper::handle_timeout`] acts on each that is due, in the table's order
//! (a drain that ends lets the calls it held leave before their own deadlines are read).

use super::flight::Flight;
use super::Keeper;
use crate::event::Trigger;

/// What the keeper waits for, in the order its deadlines are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deadline {
    /// A login waiting for the refresh lock goes without it (the holder is frozen or gone).
    LoginWaiting,
    /// A cancelled flight's refresh call still out is given up.
    Drain,
    /// A login or logout call times out.
    AuthCall,
    /// The refresh in flight: steal the lock, time out the call, end a backoff, stop waiting
    /// for another tab's token.
    Flight,
    /// The scheduled refresh.
    Schedule,
}

const TABLE: [Deadline; 5] = [
    Deadline::LoginWaiting,
    Deadline::Drain,
    Deadline::AuthCall,
    Deadline::Flight,
    Deadline::Schedule,
];

impl Keeper {
    /// When `kind` is due, if it is waited for. (Not inlined: both loops below call it, and one
    /// copy is smaller in the npm wasm.)
    fn deadline(&self, kind: Deadline) -> Option<f64> {
        match kind {
            Deadline::LoginWaiting => self.auth.login_waiting.map(|(_, until)| until),
            Deadline::Drain => self.auth.draining.map(|(_, at)| at),
            Deadline::AuthCall => {
                // Plain code: an iterator chain here cost the npm wasm half a kilobyte.
                let mut first: Option<f64> = None;
                for call in &self.auth.pending {
                    first = Some(first.map_or(call.deadline_ms, |f| f.min(call.deadline_ms)));
                }
                first
            }
            Deadline::Flight => self.refresh.flight.as_ref().and_then(Flight::deadline_ms),
            Deadline::Schedule => self.refresh.scheduled_at_ms,
        }
    }

    /// When the driver's one timer must fire (ms on the local clock), if at all: the earliest
    /// deadline of the table.
    pub fn poll_timeout(&self) -> Option<f64> {
        let mut first: Option<f64> = None;
        for kind in TABLE {
            if let Some(at) = self.deadline(kind) {
                first = Some(first.map_or(at, |f| f.min(at)));
            }
        }
        first
    }

    /// The one timer fired (or the driver checks early): acts on every deadline that is due,
    /// each read when its turn comes.
    pub fn handle_timeout(&mut self, now_ms: f64) {
        if self.disposed {
            return;
        }
        self.woke_late(now_ms);
        for kind in TABLE {
            if !self.deadline(kind).is_some_and(|at| now_ms >= at) {
                continue;
            }
            match kind {
                Deadline::LoginWaiting => self.send_waiting_login(now_ms),
                Deadline::Drain => self.drain_timeout(now_ms),
                Deadline::AuthCall => self.auth_timeouts(now_ms),
                Deadline::Flight => self.flight_timeout(now_ms),
                Deadline::Schedule => {
                    self.refresh.scheduled_at_ms = None;
                    if self.session.held.is_some() && self.unavailable().is_none() {
                        self.start_flight(Trigger::Schedule, now_ms);
                    }
                }
            }
        }
    }
}
