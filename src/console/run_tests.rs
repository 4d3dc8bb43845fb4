//! The loop driven end to end on a test terminal, against a link whose every
//! request and subscription is answered (or not) by the test itself.

use std::sync::atomic::{AtomicUsize, Ordering};

use ratatui::backend::TestBackend;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::timeout;

use super::*;
use crate::console::fixtures::{call, empty_snapshot, office_snapshot, NOW};
use crate::console::input::Key;
use crate::console::FixedClock;
use crate::control::api::{CallState, ErrorKind};

type Answer = oneshot::Sender<Result<Reply, ControlError>>;
type Subscription = oneshot::Sender<(Snapshot, mpsc::Receiver<Event>)>;

/// A link that hands each request and subscription to the test.
struct ChannelLink {
    requests: mpsc::Sender<(Command, Answer)>,
    subscriptions: mpsc::Sender<Subscription>,
    subscribed: AtomicUsize,
}

fn gone() -> ControlError {
    ControlError::new(ErrorKind::Internal, "the test stopped answering")
}

impl Link for ChannelLink {
    async fn request(&self, command: Command) -> Result<Reply, ControlError> {
        let (answer, reply) = oneshot::channel();
        self.requests.send((command, answer)).await.map_err(|_| gone())?;
        reply.await.map_err(|_| gone())?
    }

    async fn subscribe(&self) -> Result<(Snapshot, mpsc::Receiver<Event>), ControlError> {
        self.subscribed.fetch_add(1, Ordering::SeqCst);
        let (answer, subscription) = oneshot::channel();
        self.subscriptions.send(answer).await.map_err(|_| gone())?;
        subscription.await.map_err(|_| gone())
    }
}

/// The test's side: the console's inputs, and what it asks of the link.
struct Harness {
    inputs: mpsc::Sender<Input>,
    requests: mpsc::Receiver<(Command, Answer)>,
    subscriptions: mpsc::Receiver<Subscription>,
    link: Arc<ChannelLink>,
    console: JoinHandle<(Result<ExitReason, ConsoleError>, Terminal<TestBackend>)>,
}

const PATIENCE: Duration = Duration::from_secs(30);

impl Harness {
    fn start() -> Self {
        let (inputs, inputs_rx) = mpsc::channel(16);
        let (requests_tx, requests) = mpsc::channel(16);
        let (subscriptions_tx, subscriptions) = mpsc::channel(16);
        let link = Arc::new(ChannelLink {
            requests: requests_tx,
            subscriptions: subscriptions_tx,
            subscribed: AtomicUsize::new(0),
        });
        let options = ConsoleOptions {
            keymap_file: None,
            quit_ends_calls: true,
            clock: Arc::new(FixedClock(NOW)),
        };
        let console_link = Arc::clone(&link);
        let console = tokio::spawn(async move {
            let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("test terminal");
            let result = run(&mut terminal, console_link, inputs_rx, options).await;
            (result, terminal)
        });
        Self { inputs, requests, subscriptions, link, console }
    }

    /// Answers the next subscription; returns the sender of its events.
    async fn subscribed(&mut self, snapshot: Snapshot) -> mpsc::Sender<Event> {
        let answer = timeout(PATIENCE, self.subscriptions.recv())
            .await
            .expect("the console subscribes")
            .expect("link alive");
        let (events, receiver) = mpsc::channel(16);
        answer.send((snapshot, receiver)).expect("console waiting");
        events
    }

    async fn next_request(&mut self) -> (Command, Answer) {
        timeout(PATIENCE, self.requests.recv())
            .await
            .expect("the console sends a request")
            .expect("link alive")
    }

    async fn press(&self, key: Key) {
        self.inputs.send(Input::Key(key)).await.expect("console running");
        settle().await;
    }

    async fn finish(self) -> (ExitReason, String) {
        let (result, terminal) =
            timeout(PATIENCE, self.console).await.expect("the console ends").expect("no panic");
        (result.expect("console ran"), terminal.backend().to_string())
    }
}

/// Lets every task run until all wait on something; time is paused, so
/// this does not slow the tests.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}

#[tokio::test(start_paused = true)]
async fn loading_the_demo_office_sends_load_demo_then_reads_the_users_back() {
    let mut harness = Harness::start();
    let _events = harness.subscribed(empty_snapshot()).await;
    settle().await;

    harness.press(Key::char('d')).await;
    let (command, answer) = harness.next_request().await;
    assert_eq!(command, Command::LoadDemo);
    answer.send(Ok(Reply::DemoLoaded { revision: 1, users: 5 })).expect("console waiting");

    let (command, answer) = harness.next_request().await;
    assert_eq!(command, Command::Snapshot);
    answer.send(Ok(Reply::Snapshot { snapshot: office_snapshot() })).expect("console waiting");
    settle().await;

    // A refreshed snapshot's calls are left to the event stream, so no call
    // is live and quitting does not ask.
    harness.press(Key::char('q')).await;
    let (reason, screen) = harness.finish().await;
    assert_eq!(reason, ExitReason::Quit);
    assert!(screen.contains("Alice Martin"), "{screen}");
    assert!(screen.contains("Demo office loaded: 5 users"), "{screen}");
}

#[tokio::test(start_paused = true)]
async fn events_are_shown_live_and_quitting_then_asks_about_the_call() {
    let mut harness = Harness::start();
    let events = harness.subscribed(office_snapshot()).await;
    let mut without_calls = office_snapshot();
    without_calls.calls.clear();
    drop(events);

    // The stream closing makes the console subscribe again.
    let events = harness.subscribed(without_calls).await;
    settle().await;
    assert_eq!(harness.link.subscribed.load(Ordering::SeqCst), 2);

    let new_call = call("c-new", "1002", "1004", CallState::Answered, 30);
    events.send(Event::CallUpdated { call: new_call }).await.expect("console listening");
    settle().await;

    harness.press(Key::char('q')).await;
    harness.press(Key::char('y')).await;
    let (reason, screen) = harness.finish().await;
    assert_eq!(reason, ExitReason::Quit);
    assert!(screen.contains("Quitting ends 1 call in progress."), "{screen}");
    let bruno = screen.lines().find(|line| line.contains("Bruno Keller")).unwrap_or_default();
    assert!(bruno.contains("on a call"), "{screen}");
}

#[tokio::test(start_paused = true)]
async fn a_request_the_engine_never_answers_does_not_hold_up_the_console() {
    let mut harness = Harness::start();
    let _events = harness.subscribed(office_snapshot()).await;
    settle().await;

    harness.press(Key::char('s')).await;
    let (command, _unanswered) = harness.next_request().await;
    assert_eq!(command, Command::ShowUser { extension: "1001".into(), reveal: false });

    harness.press(Key::plain(crate::console::KeyCode::Esc)).await;
    harness.press(Key::char('q')).await;
    harness.press(Key::char('n')).await;
    let (reason, screen) = harness.close_inputs_and_finish().await;
    assert_eq!(reason, ExitReason::InputClosed);
    assert!(!screen.contains("SIP identifiers"), "{screen}");
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_engine_is_retried_and_shown() {
    let mut harness = Harness::start();
    let answer = timeout(PATIENCE, harness.subscriptions.recv()).await.expect("subscribes");
    // Dropping the answer makes the subscription fail.
    drop(answer);
    settle().await;

    let _events = harness.subscribed(office_snapshot()).await;
    settle().await;
    assert_eq!(harness.link.subscribed.load(Ordering::SeqCst), 2);
    harness.press(Key::char('q')).await;
    harness.press(Key::char('y')).await;
    let (reason, _) = harness.finish().await;
    assert_eq!(reason, ExitReason::Quit);
}

#[tokio::test(start_paused = true)]
async fn a_bad_keymap_override_stops_the_console_with_its_line() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("keymap.toml");
    std::fs::write(&path, "[screen]\nquit = [\"q\"]\nfly = [\"f\"]\n").expect("write override");

    let (_inputs, inputs_rx) = mpsc::channel(1);
    let (requests, _requests_rx) = mpsc::channel(1);
    let (subscriptions, _subscriptions_rx) = mpsc::channel(1);
    let link = Arc::new(ChannelLink { requests, subscriptions, subscribed: AtomicUsize::new(0) });
    let options = ConsoleOptions { keymap_file: Some(path), ..ConsoleOptions::default() };
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("test terminal");

    let error = run(&mut terminal, link, inputs_rx, options).await.expect_err("refused");
    let message = error.to_string();
    assert!(message.ends_with("keymap.toml, line 3: unknown action \"fly\""), "{message}");
}

impl Harness {
    /// Closes the console's inputs, as a closed terminal or session would.
    async fn close_inputs_and_finish(self) -> (ExitReason, String) {
        let Harness { inputs, console, .. } = self;
        drop(inputs);
        let (result, terminal) =
            timeout(PATIENCE, console).await.expect("the console ends").expect("no panic");
        (result.expect("console ran"), terminal.backend().to_string())
    }
}
