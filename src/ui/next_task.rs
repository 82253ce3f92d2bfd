//! Runs work in the page's next task, without the 4 ms wait that nested
//! `setTimeout(0)` calls get (browsers clamp them after five levels).
//!
//! Owns one `MessageChannel`: `soon(f)` queues `f` and posts an empty
//! message; each message that arrives runs the oldest queued job. Work split
//! into slices this way (a fast-forward, a comparison) gives the thread back
//! between slices, so input and frames are served, but never idles for the
//! clamp. Never decides how long a slice is; its callers do.

use std::cell::RefCell;
use std::collections::VecDeque;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{MessageChannel, MessageEvent};

type Job = Box<dyn FnOnce()>;

/// The channel, its listener, and the jobs waiting for their message.
struct Channel {
    port: MessageChannel,
    _listener: Closure<dyn FnMut(MessageEvent)>,
}

thread_local! {
    static JOBS: RefCell<VecDeque<Job>> = const { RefCell::new(VecDeque::new()) };
    static CHANNEL: Option<Channel> = open();
}

fn open() -> Option<Channel> {
    let port = MessageChannel::new().ok()?;
    let listener = Closure::<dyn FnMut(MessageEvent)>::new(|_: MessageEvent| {
        let job = JOBS.with(|jobs| jobs.borrow_mut().pop_front());
        if let Some(job) = job {
            job();
        }
    });
    port.port1().set_onmessage(Some(listener.as_ref().unchecked_ref()));
    Some(Channel { port, _listener: listener })
}

/// Runs `f` in a task of its own, as soon as the page has handled what
/// was waiting (with `setTimeout(0)` where there is no channel).
pub fn soon(f: impl FnOnce() + 'static) {
    let job: Job = Box::new(f);
    let without_channel = CHANNEL.with(|channel| match channel {
        Some(channel) => {
            JOBS.with(|jobs| jobs.borrow_mut().push_back(job));
            // Posting null to our own port does not fail; were it to, the
            // job would run with the next message.
            let _ = channel.port.port2().post_message(&wasm_bindgen::JsValue::NULL);
            None
        }
        None => Some(job),
    });
    if let Some(job) = without_channel {
        gloo::timers::callback::Timeout::new(0, job).forget();
    }
}
