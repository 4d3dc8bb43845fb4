//! One end-to-end pass of the all-in-one `switchboard` in a real terminal:
//! the binary runs inside a detached tmux session of fixed size, keys go in
//! with `send-keys`, and what the operator would see comes back with
//! `capture-pane`. It needs no terminal of its own, so it runs in CI.
//!
//! The first pass loads the demo office from the console, registers a phone
//! with SIPp, watches the Users and Connected users panes follow, then quits
//! and checks that the process ended well and gave the terminal back. The
//! second creates the first user in the console's form, applies it from the
//! pending changes and sees it in the Users pane. The third creates two
//! users, opens one in the user editor, forwards it on no answer to the other
//! with a ring time moved on its slider and voicemail as a last resort,
//! saves, applies from the pending changes and reads the forwarding back from
//! the running PBX through the CLI.

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Terminal size of the session: the console's full four-pane layout.
const COLUMNS: u16 = 120;
const ROWS: u16 = 40;

/// Long enough for anything on loopback and a debug build; short enough for a
/// stuck console to fail the test quickly.
const WAIT: Duration = Duration::from_secs(15);

#[test]
fn console_shows_a_registration_live_and_quits_cleanly() {
    let data = tempfile::Builder::new().prefix("console-tmux-").tempdir().expect("temp dir");
    let console = Console::start(data.path());

    let offer = console.wait_for("the empty-store offer", |screen| {
        screen.pane("Users").is_some_and(|users| users.contains("demo office"))
    });
    assert!(offer.pane("Users").is_some_and(|u| u.contains("Press d")), "{offer}");

    console.send_keys(&["d"]);
    let loaded = console.wait_for("the demo users", |screen| {
        screen.user_state("1001").is_some() && screen.pane("Connected users").is_some()
    });
    assert_eq!(loaded.user_state("1001").as_deref(), Some("offline"), "{loaded}");
    let connected = loaded.pane("Connected users").expect("the pane is drawn");
    assert!(connected.contains("No phone is registered"), "{loaded}");

    let identifiers = console.identifiers("1001");
    let phone = register(&identifiers, 3600);

    // The pane shows the address and port the phone's contact names.
    let contact = phone.to_string();
    let registered = console.wait_for("the registration in both panes", |screen| {
        screen.user_state("1001").as_deref() == Some("registered")
            && screen.pane("Connected users").is_some_and(|pane| pane.contains(&contact))
    });
    let connected = registered.pane("Connected users").expect("the pane is drawn");
    let row = connected.lines().find(|line| line.contains(&contact)).expect("the contact row");
    assert!(row.split_whitespace().next() == Some("1001"), "user column: {row:?}\n{registered}");
    assert!(row.contains(USER_AGENT), "user agent shown: {row:?}\n{registered}");
    assert!(row.contains("udp"), "transport shown: {row:?}\n{registered}");
    assert!(row.contains("59m"), "expiry counts down from an hour: {row:?}\n{registered}");

    // Extensions sort as numbers (201 and 202 come first): pick 1001 by
    // filtering the list to it, as a person would.
    console.send_keys(&["/", "1", "0", "0", "1", "Enter"]);
    console.wait_for("the list filtered to 1001", |screen| {
        screen.pane("Users").is_some_and(|pane| !pane.contains("Warehouse"))
    });
    console.send_keys(&["s"]);
    let hidden = console.wait_for("the SIP identifiers", |screen| {
        screen.pane("SIP identifiers").is_some_and(|popup| popup.contains("hidden"))
    });
    assert!(!hidden.text.contains(&identifiers.password), "password shown unasked:\n{hidden}");
    console.send_keys(&["r"]);
    console.wait_for("the revealed password", |screen| {
        screen.pane("SIP identifiers").is_some_and(|popup| popup.contains(&identifiers.password))
    });

    // Esc and the next key in one write, as a quick typist over SSH sends
    // them: the terminal shows them as one Alt key, the console as two.
    console.send_keys_at_once(&["Escape", "?"]);
    console.wait_for("the popup closed and the help open", |screen| {
        screen.pane("SIP identifiers").is_none() && screen.pane("Keys").is_some()
    });

    // Quit from over the help: the quit key works in every popup that only
    // shows something.
    console.send_keys(&["q"]);
    let status = console.wait_for_exit();
    assert_eq!(status, 0, "exit status\n{}", console.capture());

    // tmux reads the pane's output on its own time: once the shell's line is
    // on the screen, everything the console wrote before it was read too.
    let after = console.wait_for("the shell's output on the normal screen", |screen| {
        screen.text.contains("switchboard exited with status 0")
    });
    assert!(!after.text.contains("Users ("), "the console is gone from the screen:\n{after}");
    let terminal = console.terminal_modes();
    assert!(!terminal.alternate_screen, "alternate screen left on: {terminal:?}");
    assert!(terminal.cursor_visible, "cursor left hidden: {terminal:?}");
    assert!(!terminal.mouse_reporting, "mouse reporting left on: {terminal:?}");
}

#[test]
fn a_user_typed_into_the_form_goes_live_once_applied() {
    let data = tempfile::Builder::new().prefix("console-tmux-").tempdir().expect("temp dir");
    let console = Console::start(data.path());
    let offer = console.wait_for("the empty-store offer", |screen| {
        screen.pane("Users").is_some_and(|users| users.contains("first user"))
    });
    assert!(offer.pane("Users").is_some_and(|u| u.contains("or a to create")), "{offer}");

    // Typed as a person would: the letters of the name include keys that mean
    // something on the main screen (a, d, q), which the form must keep.
    console.send_keys(&["a"]);
    console.wait_for("the form", |screen| screen.pane("New user").is_some());
    console.send_keys(&["2001", "Tab", "Ada Quade", "Enter"]);
    let staged = console.wait_for("the user staged", |screen| {
        screen.pane("New user").is_none() && screen.text.contains("1 pending change")
    });
    assert!(staged.text.contains("User 2001 staged"), "{staged}");
    // Saved users are listed at once, marked until Apply makes them live.
    let row = staged
        .pane("Users")
        .and_then(|users| users.lines().find(|line| line.contains("2001")).map(str::to_string));
    assert!(row.is_some_and(|row| row.contains("new")), "listed as new before apply:\n{staged}");

    console.send_keys(&["c"]);
    let changes = console.wait_for("the pending changes", |screen| {
        screen.pane("Pending changes: 1").is_some_and(|pane| pane.contains("user 2001"))
    });
    assert!(changes.pane("Pending changes").is_some_and(|p| p.contains("added")), "{changes}");
    console.send_keys(&["a"]);
    let applied = console.wait_for("the user live", |screen| {
        screen.text.contains("Applied revision 1")
            && screen.pane("Users").is_some_and(|users| !users.contains("Pending"))
    });
    assert_eq!(applied.user_state("2001").as_deref(), Some("offline"), "{applied}");
    assert!(applied.pane("Users").is_some_and(|u| u.contains("Ada Quade")), "{applied}");
    assert!(applied.text.contains("no pending changes"), "{applied}");

    console.send_keys(&["q"]);
    assert_eq!(console.wait_for_exit(), 0, "exit status\n{}", console.capture());
}

#[test]
fn forwardings_set_in_the_user_editor_go_live_once_applied() {
    let data = tempfile::Builder::new().prefix("console-tmux-").tempdir().expect("temp dir");
    let console = Console::start(data.path());
    console.wait_for("the empty-store offer", |screen| {
        screen.pane("Users").is_some_and(|users| users.contains("first user"))
    });

    for (extension, name) in [("2001", "Ada Quade"), ("2002", "Bob Marr")] {
        console.send_keys(&["a"]);
        console.wait_for("the form", |screen| screen.pane("New user").is_some());
        console.send_keys(&[extension, "Tab", name, "Enter"]);
        console.wait_for("the user staged", |screen| {
            screen.pane("New user").is_none()
                && screen.text.contains(&format!("User {extension} staged"))
        });
    }
    console.send_keys(&["c"]);
    console.wait_for("both users pending", |screen| {
        screen.pane("Pending changes: 2").is_some_and(|pane| pane.contains("user 2002"))
    });
    console.send_keys(&["a"]);
    let applied = console.wait_for("both users live", |screen| {
        screen.text.contains("Applied revision 1") && screen.text.contains("no pending changes")
    });
    assert!(applied.user_state("2001").is_some() && applied.user_state("2002").is_some());

    // The list is sorted by extension, so 2001 is the first row and selected.
    console.send_keys(&["g", "Enter"]);
    console.wait_for("the editor on General", |screen| {
        screen.pane("User 2001 Ada Quade").is_some_and(|form| form.contains("› General"))
    });
    console.send_keys(&["Right"]);
    let forwardings = console.wait_for("the Forwardings tab", |screen| {
        screen.pane("User 2001").is_some_and(|form| form.contains("No answer 1"))
    });
    let slider = editor_row(&forwardings, "rings for");
    assert!(slider.contains("20 s"), "the ring time starts at 20 s: {slider:?}\n{forwardings}");

    // Down to the first destination, type it, down to its slider, three
    // steps right (5 s each), then down past the next empty destination and
    // its slider to the voicemail flag, which Space turns on.
    console.send_keys(&["Down", "2002", "Down", "Right", "Right", "Right"]);
    let moved = console.wait_for("the ring time at 35 s", |screen| {
        screen.pane("User 2001").is_some_and(|form| form.contains("▸ 35 s"))
    });
    assert!(editor_row(&moved, "No answer 1").contains("2002"), "{moved}");
    assert!(editor_row(&moved, "No answer 2").contains("extension or +number"), "{moved}");
    console.send_keys(&["Down", "Down", "Down", "Space"]);
    let flagged = console.wait_for("voicemail as a last resort", |screen| {
        screen.pane("User 2001").is_some_and(|form| form.contains("[x] yes"))
    });
    assert!(editor_row(&flagged, "Voicemail last").starts_with('›'), "{flagged}");

    console.send_keys(&["Enter"]);
    let saved = console.wait_for("the edit staged", |screen| {
        screen.pane("User 2001").is_none() && screen.text.contains("2 pending changes")
    });
    assert!(saved.text.contains("User 2001 staged"), "{saved}");
    let before = console.export_live();
    assert!(!before.contains("2002:35"), "live before apply:\n{before}");

    console.send_keys(&["c"]);
    let changes = console.wait_for("the forwarding in the pending changes", |screen| {
        screen.pane("Pending changes: 2").is_some_and(|pane| pane.contains("voicemail as a last"))
    });
    let pending = changes.pane("Pending changes").expect("the pane is drawn");
    assert!(pending.contains("forwarding on no answer: none → 2002 35 s"), "{changes}");
    console.send_keys(&["a"]);
    let live = console.wait_for("revision 2 applied", |screen| {
        screen.text.contains("Applied revision 2") && screen.text.contains("no pending changes")
    });
    assert!(live.pane("Users").is_some_and(|users| users.contains("Ada Quade")), "{live}");

    let export = console.export_live();
    let forwardings = export
        .split("[users.2001.forwardings]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .unwrap_or_else(|| panic!("no forwardings of 2001 in:\n{export}"));
    assert!(forwardings.contains(r#"no_answer = ["2002:35"]"#), "{forwardings}");
    assert!(forwardings.contains("voicemail_last_resort = true"), "{forwardings}");

    console.send_keys(&["q"]);
    assert_eq!(console.wait_for_exit(), 0, "exit status\n{}", console.capture());
}

/// The row of the user editor whose label starts with `label`, from the
/// focus marker on.
fn editor_row(screen: &Screen, label: &str) -> String {
    let form = screen.pane("User ").unwrap_or_else(|| panic!("no user editor:\n{screen}"));
    form.lines()
        .map(str::trim)
        .find(|line| line.trim_start_matches(['›', ' ']).starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} row:\n{screen}"))
        .to_string()
}

/// The SIP identifiers a phone is configured with, as the CLI prints them.
struct Identifiers {
    username: String,
    password: String,
    proxy: SocketAddr,
}

/// What SIPp announces itself as, to find its row in the Connected users pane.
const USER_AGENT: &str = "console-e2e-phone";

/// REGISTER with digest authentication: 401 with a challenge, then the same
/// request with credentials, then 200.
const REGISTER_SCENARIO: &str = r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register with digest authentication">
  <send retrans="500"><![CDATA[

REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
Max-Forwards: 70
From: <sip:[field0]@[remote_ip]:[remote_port]>;tag=[pid]c[call_number]
To: <sip:[field0]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:[field0]@[local_ip]:[local_port]>
Expires: [expires]
User-Agent: [user_agent]
Content-Length: 0

]]></send>

  <recv response="401" auth="true" />

  <send retrans="500"><![CDATA[

REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
Max-Forwards: 70
From: <sip:[field0]@[remote_ip]:[remote_port]>;tag=[pid]c[call_number]
To: <sip:[field0]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:[field0]@[local_ip]:[local_port]>
Expires: [expires]
[field2]
User-Agent: [user_agent]
Content-Length: 0

]]></send>

  <recv response="200" />
</scenario>
"#;

/// Registers `identifiers` with SIPp for `expires` seconds; returns the
/// phone's address, which is the host part of the contact it registered.
fn register(identifiers: &Identifiers, expires: u32) -> SocketAddr {
    let dir = tempfile::Builder::new().prefix("console-sipp-").tempdir().expect("temp dir");
    std::fs::write(dir.path().join("register.xml"), REGISTER_SCENARIO).expect("write scenario");
    let (user, password) = (&identifiers.username, &identifiers.password);
    std::fs::write(
        dir.path().join("users.csv"),
        format!(
            "SEQUENTIAL\n{user};{password};[authentication username={user} password={password}]\n"
        ),
    )
    .expect("write the credentials");

    let phone = SocketAddr::from(([127, 0, 0, 1], free_udp_port()));
    let output = Command::new("timeout")
        .arg("20")
        .arg("sipp")
        .arg(identifiers.proxy.to_string())
        .args(["-sf", "register.xml", "-inf", "users.csv", "-m", "1", "-nostdin"])
        .args(["-i", "127.0.0.1", "-p", &phone.port().to_string()])
        .args(["-mp", &free_udp_port().to_string(), "-cp", &free_udp_port().to_string()])
        .args(["-key", "expires", &expires.to_string(), "-key", "user_agent", USER_AGENT])
        .args(["-timeout", "10s", "-timeout_error", "-trace_err", "-error_file", "errors.log"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("sipp runs (is the sip-tester package installed?)");
    let errors = std::fs::read_to_string(dir.path().join("errors.log")).unwrap_or_default();
    assert!(
        output.status.success(),
        "SIPp could not register {user}: {:?}\n{}\n{}\n{errors}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    phone
}

/// A loopback UDP port free right now. Another process could take it before
/// SIPp binds it; on loopback in a test run that is rare enough.
fn free_udp_port() -> u16 {
    let socket = UdpSocket::bind(("127.0.0.1", 0)).expect("bind a loopback port");
    socket.local_addr().expect("bound socket has an address").port()
}

/// The all-in-one binary in a pane of a private tmux server. Dropping it kills
/// that server, and with it everything it runs, also when the test fails.
struct Console {
    /// The private server's socket, inside the data directory: no other tmux
    /// server is ever reached, and nothing is left behind in /tmp.
    socket: PathBuf,
    data: PathBuf,
}

impl Console {
    fn start(data: &Path) -> Console {
        let socket = data.join("tmux.sock");
        let config = data.join("tmux.conf");
        std::fs::write(&config, "set -g default-terminal xterm-256color\n")
            .expect("write tmux.conf");

        // The shell stays a while after the console exits, so that the screen
        // and the modes the console left the terminal in can still be read
        // (tmux's remain-on-exit would scroll its own line over them).
        let binary = env!("CARGO_BIN_EXE_switchboard");
        let script = format!(
            "{} --data {} --sip 127.0.0.1:0; status=$?; echo $status > {}; \
             echo \"switchboard exited with status $status\"; exec sleep 120",
            quote(Path::new(binary)),
            quote(data),
            quote(&data.join("exit-status")),
        );
        let console = Console { socket, data: data.to_path_buf() };
        let output = console
            .tmux_command()
            .arg("-f")
            .arg(&config)
            .args(["new-session", "-d", "-x", &COLUMNS.to_string(), "-y", &ROWS.to_string()])
            .args(["-e", "TERM=xterm-256color", "sh", "-c", &script])
            .output()
            .expect("tmux runs (is the tmux package installed?)");
        assert!(output.status.success(), "tmux new-session: {}", stderr(&output));
        console
    }

    fn tmux_command(&self) -> Command {
        let mut command = Command::new("timeout");
        command.args(["10", "tmux", "-S"]).arg(&self.socket);
        // A test run from inside tmux must not reach the user's own server.
        command.env_remove("TMUX").stdin(Stdio::null());
        command
    }

    fn tmux(&self, args: &[&str]) -> String {
        let output = self.tmux_command().args(args).output().expect("tmux runs");
        assert!(output.status.success(), "tmux {args:?}: {}", stderr(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Each key in its own `send-keys`, with a pause, as typed by hand.
    fn send_keys(&self, keys: &[&str]) {
        for key in keys {
            self.send_keys_at_once(&[key]);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// All keys in one `send-keys`: the console reads them in one go.
    fn send_keys_at_once(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    fn capture(&self) -> Screen {
        Screen { text: self.tmux(&["capture-pane", "-p", "-t", "0"]) }
    }

    /// Captures the pane until `ready` holds; fails with the last screen.
    fn wait_for(&self, what: &str, ready: impl Fn(&Screen) -> bool) -> Screen {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.capture();
            if ready(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} within {WAIT:?}:\n{screen}\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The exit status the wrapper wrote once the binary ended.
    fn wait_for_exit(&self) -> i32 {
        let file = self.data.join("exit-status");
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(text) = std::fs::read_to_string(&file) {
                if text.ends_with('\n') {
                    return text.trim().parse().expect("a number in exit-status");
                }
            }
            assert!(
                Instant::now() < deadline,
                "switchboard still runs {WAIT:?} after q:\n{}\n{}",
                self.capture(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn terminal_modes(&self) -> TerminalModes {
        let modes = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            "0",
            "#{alternate_on} #{cursor_flag} #{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}",
        ]);
        let fields: Vec<&str> = modes.split_whitespace().collect();
        assert_eq!(fields.len(), 3, "tmux modes: {modes:?}");
        TerminalModes {
            alternate_screen: fields[0] == "1",
            cursor_visible: fields[1] == "1",
            mouse_reporting: fields[2].contains('1'),
        }
    }

    /// The user's SIP identifiers, from the CLI talking to the running PBX.
    fn identifiers(&self, extension: &str) -> Identifiers {
        let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .arg("--data")
            .arg(&self.data)
            .args(["user", "show", extension, "--reveal"])
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        assert!(output.status.success(), "user show {extension}: {}", stderr(&output));
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let field = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name))
                .map(|value| value.trim().to_string())
                .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
        };
        Identifiers {
            username: field("SIP username"),
            password: field("SIP password"),
            proxy: field("Proxy").parse().expect("the proxy is the PBX's address"),
        }
    }

    /// The live configuration as the running PBX exports it over its
    /// control socket.
    fn export_live(&self) -> String {
        let output = Command::new("timeout")
            .arg("20")
            .arg(env!("CARGO_BIN_EXE_switchboard"))
            .arg("--data")
            .arg(&self.data)
            .args(["export", "-", "--live"])
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        assert!(output.status.success(), "export --live: {}", stderr(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn log(&self) -> String {
        let log = std::fs::read_to_string(self.data.join("switchboard.log")).unwrap_or_default();
        format!("--- switchboard.log\n{log}")
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.tmux_command().arg("kill-server").stderr(Stdio::null()).status();
    }
}

#[derive(Debug)]
struct TerminalModes {
    alternate_screen: bool,
    cursor_visible: bool,
    mouse_reporting: bool,
}

/// One capture of the pane, as plain text.
struct Screen {
    text: String,
}

impl Screen {
    /// The inside of the box whose title starts with `title`, one line per
    /// row, or `None` when no such box is drawn.
    fn pane(&self, title: &str) -> Option<String> {
        let rows: Vec<Vec<char>> = self.text.lines().map(|line| line.chars().collect()).collect();
        for (top, row) in rows.iter().enumerate() {
            let line: String = row.iter().collect();
            let Some(byte) = line.find(&format!(" {title}")) else { continue };
            let title_column = line[..byte].chars().count();
            let left = title_column.checked_sub(1)?;
            if !matches!(row.get(left), Some('┌' | '┏' | '╔')) {
                continue;
            }
            let right = (left + 1..row.len()).find(|&c| matches!(row[c], '┐' | '┓' | '╗'))?;
            let inside = rows[top + 1..]
                .iter()
                .take_while(|r| !matches!(r.get(left), Some('└' | '┗' | '╚')))
                .map(|r| r.iter().skip(left + 1).take(right - left - 1).collect::<String>())
                .collect::<Vec<_>>()
                .join("\n");
            return Some(inside);
        }
        None
    }

    /// The State column of `extension`'s row in the Users pane.
    fn user_state(&self, extension: &str) -> Option<String> {
        let users = self.pane("Users")?;
        let header = users.lines().find(|line| line.contains("State"))?;
        let column = header.find("State")?;
        let row = users.lines().find(|line| {
            line.trim_start_matches(['›', ' ']).split_whitespace().next() == Some(extension)
        })?;
        // Columns are counted in characters: names may hold accented letters.
        let state: String = row.chars().skip(header[..column].chars().count()).collect();
        Some(state.split_whitespace().next()?.to_string())
    }
}

impl std::fmt::Display for Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "--- screen\n{}", self.text)
    }
}

/// `path` quoted for `sh -c`.
fn quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
