//! The running PBX: the SIP core behind a lock, the transports feeding it, a
//! timer task driving its retransmissions and expiries, and a writer task that
//! keeps call records. It reports live state through [`LiveState`] and
//! control events through a broadcast channel.

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, oneshot, Notify};
use tokio::task::JoinHandle;

use super::transport::{Receiver, Transports};
use super::{CallLog, PbxOptions};
use crate::config::Config;
use crate::control::api::{CallRecord, CallState, Event, LiveCall, RegistrationView};
use crate::control::LiveState;
use crate::sip::call::CallEvent;
use crate::sip::core::{Core, CoreEvent, CoreOptions};
use crate::sip::registrar::{ExpiryLimits, SavedBinding};
use crate::sip::{Flow, Transport};

/// Call log entries waiting to be written; the SIP path never waits on the disk.
const RECORD_QUEUE: usize = 4_096;

/// What the recorder writes.
enum LogEntry {
    InProgress(LiveCall),
    Ended(CallRecord),
}

/// Why the PBX could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: std::net::SocketAddr, source: std::io::Error },
}

/// State shared by the transports, the timer and the control service.
struct Shared {
    /// Itself, for handing the transports a receiver when they open a connection.
    me: Weak<Shared>,
    core: Mutex<Core>,
    transports: Arc<Transports>,
    events: broadcast::Sender<Event>,
    records: mpsc::Sender<LogEntry>,
    /// Woken when a message may have brought the next deadline closer.
    timer: Notify,
    /// The moment the timer task sleeps until.
    wake_at: Mutex<Option<Instant>>,
}

/// A handle to the running PBX.
pub struct Pbx {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
    recorder: JoinHandle<()>,
    stop_recorder: oneshot::Sender<()>,
}

impl Pbx {
    /// Binds the transports and starts serving `config`.
    pub async fn start(
        options: PbxOptions,
        config: Arc<Config>,
        events: broadcast::Sender<Event>,
        call_log: Arc<dyn CallLog>,
        saved: Vec<SavedBinding>,
    ) -> Result<Pbx, EngineError> {
        let (transports, listener) = Transports::bind(options.sip_addr)
            .await
            .map_err(|source| EngineError::Bind { addr: options.sip_addr, source })?;

        let mut core = Core::new(
            config,
            CoreOptions {
                nonce_ttl: options.nonce_ttl,
                expiry: ExpiryLimits { min: options.min_expires, max: options.max_expires },
                advertise: options.advertise,
            },
            Instant::now(),
        );
        core.restore_registrations(saved, Instant::now(), |peer| {
            transports.flow(Transport::Udp, peer, None)
        });
        // Nobody listens yet; restored registrations show in the first snapshot.
        core.drain();
        let (records, pending) = mpsc::channel::<LogEntry>(RECORD_QUEUE);
        let (stop_recorder, stopped) = oneshot::channel();
        let recorder = tokio::spawn(keep_records(pending, stopped, call_log));
        let shared = Arc::new_cyclic(|me| Shared {
            me: me.clone(),
            core: Mutex::new(core),
            transports: transports.clone(),
            events,
            records,
            timer: Notify::new(),
            wake_at: Mutex::new(None),
        });

        let receiver: Arc<dyn Receiver> = shared.clone();
        let tasks = vec![
            tokio::spawn(transports.clone().run_udp(receiver.clone())),
            tokio::spawn(transports.clone().run_tcp(listener, receiver)),
            tokio::spawn(run_timers(shared.clone())),
        ];
        tracing::info!(udp = %transports.udp_addr, tcp = %transports.tcp_addr, "PBX listening");
        Ok(Pbx { shared, tasks, recorder, stop_recorder })
    }

    pub fn udp_addr(&self) -> std::net::SocketAddr {
        self.shared.transports.udp_addr
    }

    pub fn tcp_addr(&self) -> std::net::SocketAddr {
        self.shared.transports.tcp_addr
    }

    /// The live state the control service reads.
    pub fn live_state(&self) -> Arc<dyn LiveState> {
        self.shared.clone()
    }

    /// Ends every call with BYE (or a final answer to callers still waiting),
    /// gives the far ends a moment to answer, then stops. Returns the
    /// registrations worth keeping for the next start.
    pub async fn shutdown(self) -> Vec<SavedBinding> {
        let live_calls = self.shared.lock_core().live_calls().len();
        if live_calls > 0 {
            tracing::info!(calls = live_calls, "ending live calls");
            self.shared.step(|core, now| core.end_all_calls(now));
            // The BYEs' retransmissions continue while we wait for their answers.
            tokio::time::sleep(Duration::from_millis(750)).await;
        }
        for task in &self.tasks {
            task.abort();
        }
        // Every record already produced is written before returning.
        let _ = self.stop_recorder.send(());
        let _ = self.recorder.await;
        self.shared.lock_core().save_registrations(Instant::now())
    }
}

impl Shared {
    fn lock_core(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs one step of the core, then sends and reports what it produced.
    fn step(&self, work: impl FnOnce(&mut Core, Instant)) {
        let now = Instant::now();
        let (outbound, events, deadline) = {
            let mut core = self.lock_core();
            work(&mut core, now);
            let (outbound, events) = core.drain();
            let events: Vec<Event> = events
                .into_iter()
                .map(|event| match event {
                    CoreEvent::Registrations(user) => Event::Registrations {
                        registrations: core.registrations_of(&user, now),
                        user,
                    },
                    CoreEvent::Call(CallEvent::Updated(call)) => Event::CallUpdated { call },
                    CoreEvent::Call(CallEvent::Ended(record)) => Event::CallEnded { record },
                })
                .collect();
            (outbound, events, core.next_deadline())
        };

        if let Some(me) = self.me.upgrade() {
            let receiver: Arc<dyn Receiver> = me;
            self.transports.send(outbound, &receiver);
        }
        for event in events {
            if let Event::CallUpdated { call } = &event {
                // Noted when it starts and when it is answered; ringing adds
                // nothing a record keeps.
                let noted = matches!(call.state, CallState::Calling | CallState::Answered);
                if noted && self.records.try_send(LogEntry::InProgress(call.clone())).is_err() {
                    tracing::error!(call = %call.id, "call log queue full, open call not noted");
                }
            }
            if let Event::CallEnded { record } = &event {
                tracing::info!(call = %record.id, caller = %record.caller, callee = %record.callee, outcome = ?record.outcome, "call ended");
                if self.records.try_send(LogEntry::Ended(record.clone())).is_err() {
                    tracing::error!(call = %record.id, "call record queue full, record lost");
                }
            }
            // No subscriber is not an error: the PBX runs without a console.
            let _ = self.events.send(event);
        }

        let mut wake_at = self.wake_at.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(deadline) = deadline {
            if wake_at.is_none_or(|at| deadline < at) {
                *wake_at = Some(deadline);
                self.timer.notify_one();
            }
        }
    }
}

impl Receiver for Shared {
    fn receive(&self, bytes: &[u8], flow: Flow) {
        self.step(|core, now| core.on_message(bytes, flow, now));
    }
}

impl LiveState for Shared {
    fn registrations(&self) -> Vec<RegistrationView> {
        self.lock_core().registrations(Instant::now())
    }

    fn calls(&self) -> Vec<LiveCall> {
        self.lock_core().live_calls()
    }

    fn config_applied(&self, revision: u64, config: &Config) {
        tracing::info!(revision, "switching to the applied configuration");
        let config = Arc::new(config.clone());
        self.step(|core, _| core.set_config(config));
    }
}

/// Writes call records as they come, and those still queued when told to stop.
async fn keep_records(
    mut pending: mpsc::Receiver<LogEntry>,
    mut stop: oneshot::Receiver<()>,
    call_log: Arc<dyn CallLog>,
) {
    let write = |entry: LogEntry| {
        let call_log = call_log.clone();
        // The store may block on the disk: keep that off the runtime threads.
        tokio::task::spawn_blocking(move || match entry {
            LogEntry::InProgress(call) => call_log.in_progress(&call),
            LogEntry::Ended(record) => call_log.record(&record),
        })
    };
    loop {
        tokio::select! {
            record = pending.recv() => match record {
                Some(record) => {
                    let _ = write(record).await;
                }
                None => return,
            },
            _ = &mut stop => break,
        }
    }
    while let Ok(record) = pending.try_recv() {
        let _ = write(record).await;
    }
}

/// Sleeps until the core's next deadline (or until woken because a message
/// brought it closer), then lets the core act on its timers.
async fn run_timers(shared: Arc<Shared>) {
    loop {
        let wake_at = *shared.wake_at.lock().unwrap_or_else(|e| e.into_inner());
        // With nothing scheduled, sleep until woken; a minute is only a backstop.
        let until = wake_at.unwrap_or_else(|| Instant::now() + Duration::from_secs(60));
        tokio::select! {
            _ = tokio::time::sleep_until(until.into()) => {}
            _ = shared.timer.notified() => continue,
        }
        *shared.wake_at.lock().unwrap_or_else(|e| e.into_inner()) = None;
        shared.step(|core, now| core.on_timer(now));
    }
}
