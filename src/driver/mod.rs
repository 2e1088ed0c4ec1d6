//! The browser driver: performs the core's commands with `fetch`, `setTimeout`, page listeners,
//! Web Locks and `BroadcastChannel`, and feeds back what happened. It decides nothing: every
//! refresh, retry, adoption and sign-out is the core's ([`token_keeper_core::Keeper`]).
//!
//! The core lives in a `RefCell` that is borrowed only inside [`Inner::with_core`], never while a
//! command runs: a listener called by an event may call back into the keeper.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use token_keeper_core::{AuthId, CallId, Command, Event, Keeper, LockEvent, Settled};
use web_sys::AbortController;

mod auth;
mod fetch;

pub(crate) use fetch::fetch;

use crate::clock::{self, Listener, Timeout};
use crate::dpop::Dpop;
use crate::tabs::{Channel, Lock};
use crate::Error;

pub(crate) type Callback = Rc<dyn Fn(&Event)>;

/// What a user call settles with.
type Settling = Result<Settled, Error>;

/// A call's answer (a user call's, an app request's), delivered once.
pub(crate) struct Slot<T> {
    value: RefCell<Option<T>>,
    waker: RefCell<Option<Waker>>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            value: RefCell::new(None),
            waker: RefCell::new(None),
        }
    }
}

impl<T> Slot<T> {
    /// Delivers the answer and wakes whoever waits for it.
    pub(crate) fn fill(&self, value: T) {
        *self.value.borrow_mut() = Some(value);
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }
}

/// Waits for a [`Slot`].
pub(crate) struct Wait<T>(pub(crate) Rc<Slot<T>>);

impl<T> Future for Wait<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.0.value.borrow_mut().take() {
            Some(v) => Poll::Ready(v),
            None => {
                *self.0.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// The driver's side effects, each owned by a handle that undoes it on drop.
#[derive(Default)]
pub(crate) struct Io {
    timer: Option<(f64, Timeout)>,
    pub(crate) wake: Vec<Listener>,
    pub(crate) channel: Option<Channel>,
    /// Lock requests (and the lock once granted), numbered, so a late word about one the core
    /// already gave up is not taken for the current one.
    locks: Vec<(u64, Lock)>,
    calls: Vec<(CallId, Rc<Slot<Settling>>)>,
    auth: Vec<(AuthId, AbortController)>,
    apps: Vec<fetch::App>,
}

pub(crate) struct Inner {
    core: RefCell<Keeper>,
    /// With the option `dpop`: this keeper's key.
    pub(crate) dpop: Option<Dpop>,
    pub(crate) io: RefCell<Io>,
    pub(crate) listeners: RefCell<Vec<(u64, Callback)>>,
    next_id: Cell<u64>,
}

impl Inner {
    pub(crate) fn new(core: Keeper, dpop: Option<Dpop>) -> Inner {
        Inner {
            core: RefCell::new(core),
            dpop,
            io: RefCell::default(),
            listeners: RefCell::default(),
            next_id: Cell::new(0),
        }
    }

    pub(crate) fn next_id(&self) -> u64 {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        id
    }

    /// Reads the core.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Keeper) -> R) -> R {
        f(&self.core.borrow())
    }
}

/// Feeds the core one input (with the time), then performs every command it gives back.
pub(crate) fn with_core<R>(inner: &Rc<Inner>, f: impl FnOnce(&mut Keeper, f64) -> R) -> R {
    let out = f(&mut inner.core.borrow_mut(), clock::now_ms());
    pump(inner);
    out
}

/// A user call: registers its slot, feeds the core, and waits for the answer.
pub(crate) async fn call(
    inner: &Rc<Inner>,
    f: impl FnOnce(&mut Keeper, CallId, f64),
) -> Result<Settled, Error> {
    let id = CallId(inner.next_id());
    let slot = Rc::new(Slot::default());
    inner.io.borrow_mut().calls.push((id, slot.clone()));
    with_core(inner, |k, now| f(k, id, now));
    Wait(slot).await
}

fn pump(inner: &Rc<Inner>) {
    loop {
        // The page's cookies are read only for an auth call (its CSRF header).
        let command = inner.core.borrow_mut().poll(crate::http::document_cookie);
        match command {
            Some(command) => perform(inner, command),
            None => break,
        }
    }
    arm_timer(inner);
}

/// The one timer, at the core's deadline: replaced when the deadline moves, never stacked.
fn arm_timer(inner: &Rc<Inner>) {
    let deadline = inner.core.borrow().poll_timeout();
    let mut io = inner.io.borrow_mut();
    if io.timer.as_ref().map(|(at, _)| *at) == deadline {
        return;
    }
    io.timer = deadline.and_then(|at| {
        let weak = Rc::downgrade(inner);
        let timer = Timeout::new(at - clock::now_ms(), move || {
            if let Some(inner) = weak.upgrade() {
                inner.io.borrow_mut().timer = None;
                with_core(&inner, |k, now| k.handle_timeout(now));
            }
        })?;
        Some((at, timer))
    });
}

fn perform(inner: &Rc<Inner>, command: Command) {
    match command {
        Command::SendAuth(send) => auth::send_auth(inner, send),
        Command::AbortAuth { id } => {
            let mut io = inner.io.borrow_mut();
            if let Some(i) = io.auth.iter().position(|(a, _)| *a == id) {
                io.auth.swap_remove(i).1.abort();
            }
        }
        Command::PassApp { id } => fetch::send_app(inner, id, None, None, false),
        Command::SendApp {
            id,
            authorization,
            proof,
        } => {
            fetch::send_app(inner, id, Some(&authorization), proof, true);
        }
        Command::FinishApp { id } => fetch::finish_app(inner, id),
        Command::RequestLock { steal } => request_lock(inner, steal),
        Command::ReleaseLock => {
            let locks = std::mem::take(&mut inner.io.borrow_mut().locks);
            drop(locks);
        }
        Command::Post(message) => {
            if let Some(channel) = &inner.io.borrow().channel {
                channel.post(&inner.read(|k| message.wire(k.session())));
            }
        }
        Command::Emit(event) => emit(inner, &event),
        Command::Settle { call, result } => {
            let slot = {
                let mut io = inner.io.borrow_mut();
                let i = io.calls.iter().position(|(c, _)| *c == call);
                i.map(|i| io.calls.swap_remove(i).1)
            };
            if let Some(slot) = slot {
                slot.fill(result);
            }
        }
    }
}

pub(crate) fn emit(inner: &Inner, event: &Event) {
    // Copy the list first: a listener may subscribe, unsubscribe or call the keeper.
    let listeners: Vec<Callback> = inner
        .listeners
        .borrow()
        .iter()
        .map(|(_, l)| l.clone())
        .collect();
    for listener in listeners {
        listener(event);
    }
}

fn request_lock(inner: &Rc<Inner>, steal: bool) {
    let name = inner.read(Keeper::channel_name);
    if steal {
        // Stop queueing: the steal replaces the request.
        let queued = std::mem::take(&mut inner.io.borrow_mut().locks);
        drop(queued);
    }
    let number = inner.next_id();
    let current = move |inner: &Inner| inner.io.borrow().locks.iter().any(|(n, _)| *n == number);
    let (granted, failed) = (Rc::downgrade(inner), Rc::downgrade(inner));
    // Refused or stolen: a grant still waiting for its turn below is not told.
    let ended = Rc::new(Cell::new(false));
    let ended_too = ended.clone();
    let lock = Lock::request(
        &name,
        steal,
        move || {
            // Let a token another tab broadcast just before the lock came free land first.
            spawn(async move {
                clock::sleep_ms(0.0).await;
                match granted.upgrade() {
                    Some(inner) if current(&inner) && !ended.get() => {
                        with_core(&inner, |k, now| k.handle_lock(LockEvent::Granted, now));
                    }
                    _ => {}
                }
            });
        },
        move |was_granted| {
            ended_too.set(true);
            match failed.upgrade() {
                Some(inner) if current(&inner) && was_granted => {
                    with_core(&inner, |k, now| k.handle_lock(LockEvent::Lost, now));
                }
                Some(inner) if current(&inner) => {
                    with_core(&inner, |k, now| k.handle_lock(LockEvent::Refused, now));
                }
                _ => {}
            }
        },
    );
    match lock {
        Ok(lock) => inner.io.borrow_mut().locks.push((number, lock)),
        // Refused outright: tell the core after this command, from a fresh task.
        Err(()) => {
            let weak: Weak<Inner> = Rc::downgrade(inner);
            spawn(async move {
                if let Some(inner) = weak.upgrade() {
                    with_core(&inner, |k, now| k.handle_lock(LockEvent::Refused, now));
                }
            });
        }
    }
}

/// Runs a future to completion in the background. Boxed, so the executor glue is compiled once.
pub(crate) fn spawn(future: impl Future<Output = ()> + 'static) {
    let boxed: Pin<Box<dyn Future<Output = ()>>> = Box::pin(future);
    wasm_bindgen_futures::spawn_local(boxed);
}
