//! A kill -9 at any moment of Apply leaves the store with the old revision or
//! the new one, whole. Each round stages a large change (every kept user
//! renamed with a new email, a quarter removed and as many added), starts `switchboard apply`
//! on the store, kills it with SIGKILL after a delay that sweeps across the
//! apply's own duration, then opens the store and compares the live
//! configuration with exactly what each of the two revisions holds.
//!
//! The store is staged and read through the library; the apply under test is
//! the real binary. Its debug log says when the apply began and ended, which
//! tells where each kill landed. SIGKILL loses nothing already handed to the
//! kernel, so this proves atomicity against a process crash, not a power cut.

use std::fs::{self, File};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard::config::{Config, User};
use switchboard::control::api::{Command as ControlCommand, NewUser};
use switchboard::control::{event_channel, Caller, Service};
use switchboard::store::Store;

/// Users in each staged configuration: large enough that applying takes
/// long enough for kills to land inside it.
const USERS: u32 = 2_000;
const ROUNDS: u32 = 20;
/// The whole loop stops after this, however many rounds are left.
const LOOP_BUDGET: Duration = Duration::from_secs(120);
/// One apply, run to its end, may take this long at most.
const APPLY_DEADLINE: Duration = Duration::from_secs(30);

const STARTED: &str = "applying the staged configuration";
const FINISHED: &str = "revision applied";

/// Where a kill landed, read from the killed apply's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Landing {
    /// Between the start of the apply and its end.
    During,
    /// After the new revision was recorded, or the process had already exited.
    After,
}

/// The configuration of generation `generation`: users derived from
/// `template` (which carries every field an added user gets), with names and
/// emails that say the generation, and a set of extensions that shifts by a
/// quarter between even and odd generations.
fn generation(template: &User, domain: &str, generation: u32) -> Config {
    let shift = if generation.is_multiple_of(2) { 0 } else { USERS / 4 };
    let users = (0..USERS)
        .map(|n| {
            let extension = (10_000 + shift + n).to_string();
            let user = User {
                extension: extension.clone(),
                name: format!("Generation {generation} user {n}"),
                email: Some(format!("g{generation}.u{n}@example.com")),
                sip_password: format!("secret-{generation}-{extension}-long"),
                ..template.clone()
            };
            (extension, user)
        })
        .collect();
    let mut config = Config { users, ..Config::default() };
    config.settings.domain = domain.to_string();
    config
}

/// Opens the store at `data`, applies one user through the control service
/// (so it has every field a real user gets), and returns that user as the
/// template with revision 1 live.
fn prepare(data: &Path) -> (User, String) {
    let store = Arc::new(Store::open(data).expect("a new store opens"));
    let owner = Caller { uid: store.owner_uid(), name: "crash-test".to_string() };
    let service = Service::new(Arc::clone(&store), None, event_channel());
    store
        .stage(|config| {
            config.settings.domain = "pbx.example.com".to_string();
            Ok::<_, switchboard::store::StoreError>(())
        })
        .expect("domain staged");
    let user = NewUser {
        extension: "1001".to_string(),
        name: "Template".to_string(),
        ..NewUser::default()
    };
    service.execute(&owner, ControlCommand::AddUser { user }).expect("user added");
    service.execute(&owner, ControlCommand::Apply).expect("applied");
    let (_, live) = store.live().expect("live");
    let template = live.users.get("1001").expect("the template user is live").clone();
    (template, live.settings.domain)
}

/// Stages `config` in place of whatever is staged.
fn stage(data: &Path, config: &Config) {
    let store = Store::open(data).expect("store opens to stage");
    store
        .stage(|staged| {
            *staged = config.clone();
            Ok::<_, switchboard::store::StoreError>(())
        })
        .expect("staged");
}

/// Runs `switchboard apply` on `data` and, when `kill_after` is given, kills
/// it with SIGKILL that long after its log says the apply began. Returns where
/// the kill landed and how long the process ran after the apply began.
fn apply(data: &Path, log: &Path, kill_after: Option<Duration>) -> (Landing, Duration) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("--data")
        .arg(data)
        .arg("apply")
        .env("SWITCHBOARD_LOG", "switchboard=debug")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(log).expect("log file"))
        .spawn()
        .expect("switchboard apply starts");

    // Watching the log lets the kills sweep the apply itself rather than the
    // start of the process and the opening of the store before it.
    let deadline = Instant::now() + APPLY_DEADLINE;
    let began = loop {
        let text = fs::read_to_string(log).unwrap_or_default();
        if text.contains(STARTED) {
            break Instant::now();
        }
        if child.try_wait().expect("wait for apply").is_some() {
            let _ = child.wait();
            panic!("switchboard apply ended before applying:\n{text}");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("switchboard apply did not begin in {APPLY_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_micros(200));
    };
    if let Some(delay) = kill_after {
        std::thread::sleep(delay);
        // Child::kill is SIGKILL, to this child's PID only.
        let _ = child.kill();
    }
    let deadline = Instant::now() + APPLY_DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for apply") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("switchboard apply ran past {APPLY_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let ran = began.elapsed();

    let text = fs::read_to_string(log).unwrap_or_default();
    let landing =
        if status.success() || text.contains(FINISHED) { Landing::After } else { Landing::During };
    if kill_after.is_none() {
        assert!(status.success(), "an apply left alone succeeds:\n{text}");
    }
    (landing, ran)
}

/// Opens the store as the next switchboard would and checks that it holds
/// revision `old` with `old_config`, or `old + 1` with `new_config`, whole.
/// Returns the revision found.
fn check(data: &Path, old: u64, old_config: &Config, new_config: &Config) -> u64 {
    let store = Store::open(data).unwrap_or_else(|e| panic!("the store opens undamaged: {e}"));
    let (revision, live) = store.live().expect("live configuration reads");

    let expected = if revision == old {
        old_config
    } else if revision == old + 1 {
        new_config
    } else {
        panic!("live revision {revision}, expected {old} or {}", old + 1);
    };
    if live != *expected {
        let stray = live.users.values().find(|u| expected.users.get(&u.extension) != Some(u));
        panic!(
            "revision {revision} is not whole: {} users live, {} expected; first stray {stray:?}",
            live.users.len(),
            expected.users.len()
        );
    }

    let history = store.history_entries().expect("history reads");
    assert_eq!(history.first().map(|e| e.revision), Some(revision), "history ends at live");
    let recorded = store.revision(revision).expect("revision reads").expect("revision recorded");
    assert_eq!(recorded.config, live, "the history holds what is live");
    assert_eq!(
        fs::read_to_string(data.join("revision")).expect("marker").trim(),
        revision.to_string()
    );
    revision
}

#[test]
fn a_kill_at_any_moment_of_apply_leaves_the_old_or_the_new_revision_whole() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path().join("data");
    let log = temp.path().join("apply.log");
    let (template, domain) = prepare(&data);

    // One apply left alone gives the duration the kills sweep across.
    let mut live_config = generation(&template, &domain, 1);
    stage(&data, &live_config);
    let (_, full) = apply(&data, &log, None);
    let mut live_revision = check(&data, 1, &live_config, &live_config);
    assert_eq!(live_revision, 2);

    let begun = Instant::now();
    let mut landings = Vec::new();
    for round in 0..ROUNDS {
        if begun.elapsed() > LOOP_BUDGET {
            break;
        }
        let next = generation(&template, &domain, round + 2);
        stage(&data, &next);

        // From the moment the apply begins to twice its length alone: a store
        // that grows with every revision makes later applies slower.
        let delay = full.mul_f64(2.0 * f64::from(round) / f64::from(ROUNDS));
        let (landing, _) = apply(&data, &log, Some(delay));
        let found = check(&data, live_revision, &live_config, &next);
        let kept_old = found == live_revision;
        if !kept_old {
            live_revision = found;
            live_config = next;
        }
        landings.push((delay, landing, kept_old));
    }

    let during = |kept_old: bool| {
        landings.iter().filter(|(_, l, old)| *l == Landing::During && *old == kept_old).count()
    };
    let (during_old, during_new) = (during(true), during(false));
    eprintln!(
        "apply of {USERS} users took {full:?} alone; {} kills: {} during apply ({during_old} \
         left the old revision, {during_new} the new), {} after it; final revision {live_revision}",
        landings.len(),
        during_old + during_new,
        landings.len() - during_old - during_new,
    );
    for (delay, landing, kept_old) in &landings {
        let left = if *kept_old { "old" } else { "new" };
        eprintln!("  kill {delay:?} into the apply: {landing:?}, {left} revision live");
    }
    assert!(landings.len() >= 10, "too few rounds fit the time budget: {}", landings.len());
    assert!(during_old + during_new >= 3, "too few kills landed during apply: {landings:?}");
}
