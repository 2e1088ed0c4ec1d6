//! What a tab's driver does with its core's commands in the simulated browser — exactly what the
//! browser driver does with real fetches, locks and channels — and the tabs' lifecycle: opened,
//! frozen, thawed, closed.

use std::collections::{HashMap, VecDeque};

use token_keeper_core::{
    AppAnswer, AuthId, AuthKind, Authorization, CallId, Command, Event, FetchId, Keeper, LockEvent,
    Proof, Settled,
};

use crate::world::{failed, CallKind, Ev, Tab, World};

impl World {
    /// Feeds tab `tab`'s core one input, then performs its commands as the browser driver would.
    pub fn drive(&mut self, tab: usize, input: impl FnOnce(&mut Keeper)) {
        input(&mut self.tabs[tab].core);
        loop {
            // The page's readable cookies, as `document.cookie` lists them.
            let jar = &self.jar;
            let cookies = || {
                jar.as_ref()
                    .map(|c| format!("csrf_token={}", c.1))
                    .unwrap_or_default()
            };
            let Some(command) = self.tabs[tab].core.poll(cookies) else {
                break;
            };
            self.perform(tab, command);
        }
        let deadline = self.tabs[tab].core.poll_timeout();
        if self.tabs[tab].timer != deadline {
            self.tabs[tab].timer = deadline;
            if let Some(at) = deadline {
                self.schedule(at.max(self.now), Ev::Timer { tab, at });
            }
        }
    }

    fn perform(&mut self, tab: usize, command: Command) {
        let now = self.now;
        match command {
            Command::SendAuth(send) => {
                let (id, kind) = (send.id, send.kind);
                self.note(|| format!("tab {tab} sends {kind:?} #{id}"));
                let cookie = self.jar.clone();
                // The headers the core decided: the CSRF header, and the reissue flow's bearer.
                let header = |name: &str| {
                    send.headers()
                        .find(|(n, _)| n.eq_ignore_ascii_case(name))
                        .map(|(_, v)| String::from(v))
                };
                let csrf = header("x-csrf-token");
                let bearer = header("authorization");
                // Trace only: the lookups are not paid for on every refresh of an untraced run.
                if let (Some(b), true) = (&bearer, self.trace) {
                    let token_family = self.server.family_of(b.trim_start_matches("Bearer "));
                    let cookie_family = cookie
                        .as_ref()
                        .and_then(|c| self.server.family_of_refresh(c.0));
                    self.note(|| {
                        format!("  bearer of family {token_family:?}, cookie of {cookie_family:?}")
                    });
                }
                if !self.network_up {
                    let at = now + self.rng.range(1.0, 50.0);
                    self.schedule(
                        at,
                        Ev::AuthAtBrowser {
                            tab,
                            id,
                            reply: failed(),
                            refresh: false,
                        },
                    );
                    return;
                }
                if kind == AuthKind::Refresh {
                    self.refresh_in_transit.push((tab, id));
                    crate::check::refresh_sent(self, tab);
                }
                if let AuthKind::Login { call } = kind {
                    if let Some((_, made)) = self.tabs[tab].calls.get(&call) {
                        self.login_made.insert((tab, id), *made);
                    }
                }
                let at = now + self.net_delay();
                self.schedule(
                    at,
                    Ev::AuthAtServer {
                        tab,
                        id,
                        kind,
                        cookie: cookie.map(|c| c.0),
                        csrf,
                        bearer,
                        sent_at: now,
                    },
                );
            }
            Command::AbortAuth { id } => {
                self.note(|| format!("tab {tab} aborts #{id}"));
                self.tabs[tab].aborted.push(id);
            }
            Command::PassApp { id } => self.send_app(tab, now, id, None, None),
            Command::SendApp {
                id,
                authorization,
                proof,
            } => {
                self.send_app(tab, now, id, Some(authorization), proof);
            }
            Command::FinishApp { id } => {
                self.tabs[tab].fetches.remove(&id);
            }
            Command::RequestLock { steal } => {
                self.note(|| format!("tab {tab} asks for the lock (steal {steal})"));
                self.request_lock(tab, steal);
            }
            Command::ReleaseLock => {
                self.note(|| format!("tab {tab} releases the lock"));
                self.release_lock(tab);
            }
            Command::Post(message) => {
                let logout = match message {
                    // Whole milliseconds, as the message carries it.
                    token_keeper_core::TabMessage::Logout { at_ms } => Some(at_ms.floor()),
                    _ => None,
                };
                let wire = message.wire(self.tabs[tab].core.session());
                for to in 0..self.tabs.len() {
                    if to == tab || !self.tabs[to].alive {
                        continue;
                    }
                    let (lo, hi) = self.channel_delay_ms;
                    let earliest = self.last_delivery.get(&(tab, to)).copied().unwrap_or(0.0);
                    let at = (now + self.rng.range(lo, hi)).max(earliest);
                    self.last_delivery.insert((tab, to), at);
                    self.schedule(
                        at,
                        Ev::Deliver {
                            tab: to,
                            wire: wire.clone(),
                            logout,
                        },
                    );
                }
            }
            Command::Emit(event) => {
                self.note(|| format!("tab {tab} emits {event:?}"));
                if let Event::Logout { reason } = event {
                    crate::check::logout_event(self, tab, reason);
                }
                if let Event::Token { .. } = event {
                    crate::check::token_event(self, tab);
                }
            }
            Command::Settle { call, result } => {
                if let Some((kind, made)) = self.tabs[tab].calls.remove(&call) {
                    if kind == CallKind::Logout {
                        self.tabs[tab].logouts_resolved.push(made);
                        crate::check::logout_resolved(self, tab);
                    }
                    let ok = match &result {
                        Ok(Settled::Restored(b)) => format!("restored {b}"),
                        Ok(_) => "ok".into(),
                        Err(e) => e.code().into(),
                    };
                    self.note(|| format!("tab {tab} {kind:?} settled: {ok}"));
                }
            }
        }
    }

    fn request_lock(&mut self, tab: usize, steal: bool) {
        if self.locks.refuse {
            let now = self.now;
            self.drive(tab, |k| k.handle_lock(LockEvent::Refused, now));
            return;
        }
        self.locks.queue.retain(|t| *t != tab);
        if steal {
            self.locks.steals += 1;
            if let Some(old) = self.locks.holder.take() {
                if old != tab {
                    // The old holder learns when it runs again.
                    let at = self.now + 1.0;
                    self.schedule(at, Ev::LockLost { tab: old });
                }
            }
            self.grant(tab);
        } else if self.locks.holder.is_none() {
            self.grant(tab);
        } else if self.locks.holder != Some(tab) {
            self.locks.queue.push_back(tab);
        }
    }

    fn grant(&mut self, tab: usize) {
        self.locks.holder = Some(tab);
        let at = self.now + self.rng.range(1.0, 4.0);
        self.schedule(at, Ev::Grant { tab });
    }

    pub fn release_lock(&mut self, tab: usize) {
        self.locks.queue.retain(|t| *t != tab);
        if self.locks.holder == Some(tab) {
            self.locks.holder = None;
            while let Some(next) = self.locks.queue.pop_front() {
                if self.tabs[next].alive {
                    self.grant(next);
                    break;
                }
            }
        }
    }

    /// A user call on tab `tab`.
    pub fn call(&mut self, tab: usize, kind: CallKind) {
        let call = CallId(self.id());
        let now = self.now;
        if kind == CallKind::Logout {
            self.tabs[tab].fence_ms = Some(now);
        }
        self.tabs[tab].calls.insert(call, (kind, now));
        self.drive(tab, |k| match kind {
            CallKind::Restore => k.restore(call, now),
            CallKind::Login => k.login(call, token_keeper_core::Credentials::default(), now),
            CallKind::Refresh => k.refresh(call, now),
            CallKind::Logout => k.logout(call, now),
        });
    }

    /// An app `fetch` on tab `tab`.
    pub fn fetch(&mut self, tab: usize) {
        let id = FetchId(self.id());
        let now = self.now;
        self.tabs[tab].fetches.insert(id, now);
        self.drive(tab, |k| {
            k.fetch(id, "https://app.example/api/me", false, now)
        });
    }

    pub fn new_tab(&mut self) -> usize {
        let seed = self.rng.next_u64();
        self.tabs.push(Tab {
            core: (self.new_core)(seed),
            alive: true,
            frozen: false,
            backlog: VecDeque::new(),
            timer: None,
            calls: HashMap::new(),
            fetches: HashMap::new(),
            aborted: Vec::new(),
            fence_ms: None,
            last_refresh_status: None,
            last_refresh_stale_bearer: false,
            logouts_resolved: Vec::new(),
            retry_after_until: f64::NEG_INFINITY,
        });
        self.tabs.len() - 1
    }

    pub fn thaw(&mut self, tab: usize) {
        self.tabs[tab].frozen = false;
        while let Some(ev) = self.tabs[tab].backlog.pop_front() {
            self.handle_now(ev, false);
            if self.tabs[tab].frozen {
                break;
            }
        }
        // Timers that came due while frozen fire now.
        let now = self.now;
        self.drive(tab, |k| k.handle_timeout(now));
    }

    pub fn close(&mut self, tab: usize) {
        // In-flight refreshes of a closing tab are cancelled with it: their cookies never land.
        let pending: Vec<AuthId> = self
            .refresh_in_transit
            .iter()
            .filter(|(t, _)| *t == tab)
            .map(|(_, id)| *id)
            .collect();
        self.tabs[tab].aborted.extend(pending);
        let doomed = self.rotations_on_the_wire(tab);
        self.lost_rotations.extend(doomed);
        self.tabs[tab].alive = false;
        self.tabs[tab].calls.clear();
        self.tabs[tab].fetches.clear();
        self.tabs[tab].core.dispose();
        while self.tabs[tab].core.poll(String::new).is_some() {}
        self.release_lock(tab);
    }

    /// The families whose rotation tab `tab` has on the wire (a refresh on its way to the server,
    /// or a rotated answer on its way back): closing the tab cancels them, so those rotations'
    /// cookies never land.
    pub(crate) fn rotations_on_the_wire(&self, tab: usize) -> Vec<u64> {
        self.queue
            .iter()
            .filter_map(|s| match &s.ev {
                Ev::AuthAtServer {
                    tab: t,
                    kind: AuthKind::Refresh,
                    cookie: Some(c),
                    ..
                } if *t == tab => self.server.family_of_refresh(*c),
                Ev::AuthAtBrowser { tab: t, reply, .. } if *t == tab => reply
                    .family
                    .filter(|_| matches!(reply.set_cookie, Some(Some(_)))),
                _ => None,
            })
            .collect()
    }
}

impl World {
    /// An app request the keeper hands over: passed through (`authorization` none: its answer
    /// goes straight to the app) or sent with the token and watched.
    fn send_app(
        &mut self,
        tab: usize,
        now: f64,
        id: FetchId,
        authorization: Option<Authorization>,
        proof: Option<Proof>,
    ) {
        let watch = authorization.is_some();
        if !self.network_up {
            self.tabs[tab].fetches.remove(&id);
            if watch {
                self.drive(tab, |k| k.handle_app_answer(id, AppAnswer::Failed, now));
            }
            return;
        }
        if !watch {
            // Its answer goes straight to the app: settled as far as the keeper goes.
            self.tabs[tab].fetches.remove(&id);
        }
        let authorization = authorization.map(|a| a.expose().to_owned());
        if let (true, Some(_)) = (self.server.dpop, &authorization) {
            // Each send of a request carrying the token carries a proof of its own.
            if proof.is_none_or(|p| p.htu != "https://app.example/api/me") {
                crate::check::no_proof(self, tab);
            }
        }
        let at = now + self.net_delay();
        self.schedule(
            at,
            Ev::AppAtServer {
                tab,
                id,
                authorization,
            },
        );
    }
}
