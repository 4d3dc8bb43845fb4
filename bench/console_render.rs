//! Times the operator console's drawing and filtering with many users and
//! calls, on ratatui's TestBackend at 120×40 (no terminal, no PBX): the whole
//! screen drawn with 100 users (the reference), with 10,000 users unfiltered
//! and filtered by "mar", with 1,000 live calls, and one key typed into the
//! filter line over 10,000 users. Each figure is the median of many runs,
//! printed with its ratio to the reference taken in the same run, so that
//! figures from different machines compare.
//!
//! `cargo bench --bench console_render` measures. Under `cargo test` (no
//! `--bench` argument) each case runs once, to check that it still works
//! without slowing the test suite down.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use switchboard::console::{handle_input, render, ConsoleState, Input, Key, KeyCode, Keymap};
use switchboard::control::api::{
    CallState, LiveCall, RegistrationView, Snapshot, StagedUser, UserRow,
};
use time::OffsetDateTime;

const COLUMNS: u16 = 120;
const ROWS: u16 = 40;

/// Time spent on each case when measuring; the median of its runs is kept.
const BUDGET: Duration = Duration::from_secs(2);
const MAX_RUNS: usize = 5_000;

const FIRST_NAMES: [&str; 12] = [
    "Marie", "Omar", "Lucas", "Amélie", "Jonas", "Sofia", "Martin", "Inès", "Noah", "Léa", "Hugo",
    "Tamara",
];
const LAST_NAMES: [&str; 10] = [
    "Dubois", "Keller", "Marchand", "Osei", "Peeters", "Rossi", "Schmidt", "Lemaire", "Novak",
    "Janssens",
];

fn main() {
    let measuring = std::env::args().any(|arg| arg == "--bench");
    let now = OffsetDateTime::now_utc();
    let mut terminal = Terminal::new(TestBackend::new(COLUMNS, ROWS)).expect("a test backend");

    let reference = console(snapshot(100, 0, now));
    let users = console(snapshot(10_000, 0, now));
    let mut filtered = console(snapshot(10_000, 0, now));
    type_keys(&mut filtered, "/mar");
    handle_input(&mut filtered, Input::Key(Key::plain(KeyCode::Enter)));
    let calls = console(snapshot(100, 1_000, now));

    let mut typing = users.clone();
    type_keys(&mut typing, "/ma");
    let mut draw = |state: &ConsoleState| {
        let start = Instant::now();
        terminal.draw(|frame| render(state, frame, now)).expect("drawing on a test backend");
        black_box(terminal.backend().buffer().area);
        start.elapsed()
    };
    let cases: Vec<(&str, Duration)> = vec![
        ("screen, 100 users (reference)", time(measuring, || draw(&reference))),
        ("screen, 10,000 users", time(measuring, || draw(&users))),
        ("screen, 10,000 users filtered by \"mar\"", time(measuring, || draw(&filtered))),
        ("screen, 100 users and 1,000 live calls", time(measuring, || draw(&calls))),
        ("typing \"r\" in the filter, 10,000 users", time(measuring, || filter_key(&typing))),
    ];

    if !measuring {
        return;
    }
    let unit = cases[0].1.as_secs_f64();
    println!("console at {COLUMNS}x{ROWS}, median of up to {MAX_RUNS} runs each");
    for (name, took) in &cases {
        let micros = took.as_secs_f64() * 1e6;
        println!("{name:<44} {micros:>10.1} µs   ×{:.2}", took.as_secs_f64() / unit);
    }
}

/// The median of the times `run` reports for itself, or one run when not
/// measuring.
fn time(measuring: bool, mut run: impl FnMut() -> Duration) -> Duration {
    if !measuring {
        return run();
    }
    let mut times = Vec::new();
    let started = Instant::now();
    while started.elapsed() < BUDGET && times.len() < MAX_RUNS {
        times.push(run());
    }
    times.sort_unstable();
    times[times.len() / 2]
}

/// How long one key typed into the open filter line of a copy of `state`
/// takes; the copy is made before the clock starts.
fn filter_key(state: &ConsoleState) -> Duration {
    let mut state = state.clone();
    let start = Instant::now();
    handle_input(&mut state, Input::Key(Key::char('r')));
    let took = start.elapsed();
    black_box(&state);
    took
}

fn type_keys(state: &mut ConsoleState, keys: &str) {
    for key in keys.chars() {
        handle_input(state, Input::Key(Key::char(key)));
    }
}

fn console(snapshot: Snapshot) -> ConsoleState {
    let keymap = Keymap::default_map().expect("the default keymap parses");
    let mut state = ConsoleState::new(keymap, true);
    state.apply_subscription(snapshot);
    state
}

/// An office of `users` users with believable names, one phone registered
/// for every tenth, and `calls` calls in progress between them.
fn snapshot(users: usize, calls: usize, now: OffsetDateTime) -> Snapshot {
    let extension = |n: usize| format!("{}", 10_000 + n);
    let rows: Vec<UserRow> = (0..users)
        .map(|n| UserRow {
            extension: extension(n),
            name: format!(
                "{} {}",
                FIRST_NAMES[n % FIRST_NAMES.len()],
                LAST_NAMES[(n / FIRST_NAMES.len()) % LAST_NAMES.len()]
            ),
            email: None,
            gsm: None,
            voicemail: n % 3 != 0,
            outgoing_number: (n % 4 == 0).then(|| format!("+32255501{:02}", n % 100)),
            multiple_calls: false,
        })
        .collect();
    let registrations = (0..users)
        .step_by(10)
        .map(|n| RegistrationView {
            user: extension(n),
            contact: format!("sip:{}@192.168.1.{}:5060", extension(n), n % 250 + 2),
            transport: "UDP".to_string(),
            user_agent: Some("Yealink SIP-T46U".to_string()),
            expires_at: now + time::Duration::seconds(1800),
        })
        .collect();
    let calls = (0..calls)
        .map(|n| LiveCall {
            id: format!("call-{n}"),
            caller: extension(n % users),
            callee: format!("+3225550{:03}", n % 1000),
            state: if n % 5 == 0 { CallState::Ringing } else { CallState::Answered },
            started_at: now - time::Duration::seconds(60),
            answered_at: (n % 5 != 0).then(|| now - time::Duration::seconds(50)),
        })
        .collect();
    Snapshot {
        taken_at: now,
        pbx_running: true,
        domain: "pbx.example.com".to_string(),
        proxy: "pbx.example.com:5060".to_string(),
        revision: 1,
        pending_changes: 0,
        staged_users: rows
            .iter()
            .map(|user| StagedUser { user: user.clone(), pending: None })
            .collect(),
        users: rows,
        registrations,
        calls,
    }
}
