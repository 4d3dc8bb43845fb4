//! The console's event loop. It waits on four things at once (the user's
//! inputs, the engine's events, replies to requests, and a one-second tick)
//! and redraws only when one of them changed something. Requests run as
//! tasks whose replies come back through a channel, so drawing never waits
//! on the engine.

use std::future::pending;
use std::sync::Arc;
use std::time::Duration;

use ratatui::backend::Backend;
use ratatui::Terminal;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{interval, sleep, MissedTickBehavior};

use super::input::Input;
use super::keymap::Keymap;
use super::render::render;
use super::state::ConsoleState;
use super::update::{apply_reply, handle_input, Effect};
use super::{ConsoleError, ConsoleOptions, ExitReason};
use crate::control::api::{Command, ControlError, Event, Reply, Snapshot};
use crate::control::Link;

/// Requests allowed in flight at once; past this a key that would send one
/// is answered with a notice instead of a new task.
const MAX_REQUESTS: usize = 16;

/// The longest wait between attempts to subscribe to an unreachable engine.
const MAX_RETRY: Duration = Duration::from_secs(10);

/// What a finished task hands back to the loop.
enum Outcome {
    // Boxed: a reply can be much larger than a subscription's handle.
    Reply { command: Command, result: Box<Result<Reply, ControlError>> },
    Subscribed(Result<(Snapshot, mpsc::Receiver<Event>), ControlError>),
}

/// Runs the console on `terminal` until the user quits or `inputs` closes.
///
/// The console subscribes to `link` at once and again whenever the event
/// stream lags or closes, retrying with a growing pause while the engine is
/// unreachable; link failures are shown, never returned. The error cases
/// are a bad keymap override and a terminal that cannot be drawn on.
pub async fn run<B, L>(
    terminal: &mut Terminal<B>,
    link: Arc<L>,
    mut inputs: mpsc::Receiver<Input>,
    options: ConsoleOptions,
) -> Result<ExitReason, ConsoleError>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    L: Link,
{
    let keymap = Keymap::load(options.keymap_file.as_deref())?;
    let mut state = ConsoleState::new(keymap, options.quit_ends_calls);
    let (outcomes_tx, mut outcomes) = mpsc::channel::<Outcome>(MAX_REQUESTS + 1);
    let mut tasks = JoinSet::new();
    let mut events: Option<mpsc::Receiver<Event>> = None;
    let mut subscribing = true;
    let mut failed_subscriptions = 0u32;
    tasks.spawn(subscribe(Arc::clone(&link), outcomes_tx.clone(), Duration::ZERO));

    let mut tick = interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut dirty = true;

    loop {
        if dirty {
            let now = options.clock.now();
            let frame = terminal
                .draw(|frame| render(&state, frame, now))
                .map_err(|error| ConsoleError::Draw(Box::new(error)))?;
            state.screen = frame.area;
            dirty = false;
        }

        let effects = tokio::select! {
            input = inputs.recv() => {
                let Some(input) = input else { return Ok(ExitReason::InputClosed) };
                dirty = true;
                handle_input(&mut state, input)
            }
            event = next_event(&mut events) => {
                dirty = true;
                match event {
                    Some(event) => state.apply_event(event).map(Effect::from).into_iter().collect(),
                    None => {
                        tracing::info!("event stream closed; subscribing again");
                        state.connection_lost("the event stream closed");
                        vec![Effect::Resubscribe]
                    }
                }
            }
            Some(outcome) = outcomes.recv() => {
                dirty = true;
                match outcome {
                    Outcome::Reply { command, result } => apply_reply(&mut state, command, *result),
                    Outcome::Subscribed(Ok((snapshot, receiver))) => {
                        state.apply_subscription(snapshot);
                        events = Some(receiver);
                        subscribing = false;
                        failed_subscriptions = 0;
                        Vec::new()
                    }
                    Outcome::Subscribed(Err(error)) => {
                        tracing::warn!(%error, "cannot subscribe to the engine");
                        state.connection_lost(error.to_string());
                        failed_subscriptions = failed_subscriptions.saturating_add(1);
                        let pause = retry_pause(failed_subscriptions);
                        tasks.spawn(subscribe(Arc::clone(&link), outcomes_tx.clone(), pause));
                        Vec::new()
                    }
                }
            }
            Some(joined) = tasks.join_next() => {
                if let Err(error) = joined {
                    if error.is_panic() {
                        tracing::error!(%error, "console request task panicked");
                    }
                }
                Vec::new()
            }
            _ = tick.tick() => {
                dirty = state.shows_time();
                Vec::new()
            }
        };

        for effect in effects {
            match effect {
                Effect::Quit(reason) => return Ok(reason),
                Effect::Resubscribe if subscribing => {}
                Effect::Resubscribe => {
                    events = None;
                    subscribing = true;
                    tasks.spawn(subscribe(Arc::clone(&link), outcomes_tx.clone(), Duration::ZERO));
                }
                Effect::Request(_) if tasks.len() >= MAX_REQUESTS => {
                    state.notice = Some("The PBX is slow to answer; try again.".to_string());
                }
                Effect::Request(command) => {
                    tasks.spawn(request(Arc::clone(&link), outcomes_tx.clone(), command));
                }
            }
        }
    }
}

/// The next event, or `None` once the stream has closed; never ready while
/// there is no subscription.
async fn next_event(events: &mut Option<mpsc::Receiver<Event>>) -> Option<Event> {
    match events {
        Some(receiver) => receiver.recv().await,
        None => pending().await,
    }
}

async fn request<L: Link>(link: Arc<L>, outcomes: mpsc::Sender<Outcome>, command: Command) {
    let result = link.request(command.clone()).await;
    // The loop has gone when this fails, and then nobody wants the reply.
    let result = Box::new(result);
    let _ = outcomes.send(Outcome::Reply { command, result }).await;
}

async fn subscribe<L: Link>(link: Arc<L>, outcomes: mpsc::Sender<Outcome>, pause: Duration) {
    if !pause.is_zero() {
        sleep(pause).await;
    }
    let result = link.subscribe().await;
    let _ = outcomes.send(Outcome::Subscribed(result)).await;
}

/// 1, 2, 4, 8, then 10 seconds between attempts.
fn retry_pause(failures: u32) -> Duration {
    let seconds = 1u64 << failures.saturating_sub(1).min(4);
    Duration::from_secs(seconds).min(MAX_RETRY)
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
