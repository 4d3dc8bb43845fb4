//! A real phone for end-to-end tests: baresip, headless, in its own config
//! directory, driven over `ctrl_tcp`.
//!
//! Each phone plays a WAV file as its microphone (aufile), sends what it hears
//! to a dummy player (aubridge) and records both directions with sndfile into
//! its directory. All its ports (SIP, the TLS port baresip opens at SIP+1,
//! ctrl_tcp, RTP) come from one block of [`super::ports`], on 127.0.0.1 only.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::audio;
use super::ctrl::{Control, ControlError, PhoneEvent, Reply};
use super::ports::{self, PortBlock};
use super::process;
use super::wait;

/// Where Debian's baresip package keeps its modules; with a config file of
/// its own baresip would otherwise look in the current directory.
const DEFAULT_MODULE_PATH: &str = "/usr/lib/baresip/modules";

/// How long a ctrl_tcp command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// How a phone is set up.
#[derive(Debug, Clone)]
pub struct PhoneSettings {
    pub user: String,
    pub password: String,
    /// Where to register; `None`: no REGISTER, reachable at its own address.
    pub registrar: Option<SocketAddr>,
    /// What the phone says once a call is up; silence when `None`.
    pub prompt: Option<String>,
    /// Seconds of audio the phone can play: its calls end after this long,
    /// because baresip hangs up at the end of its audio file.
    pub audio_seconds: u32,
    /// Answer incoming calls at once (else they ring until `accept`).
    pub auto_answer: bool,
}

impl PhoneSettings {
    /// A silent, auto-answering phone registering as `user` at `registrar`.
    pub fn registered(user: &str, password: &str, registrar: SocketAddr) -> PhoneSettings {
        PhoneSettings {
            user: user.to_string(),
            password: password.to_string(),
            registrar: Some(registrar),
            prompt: None,
            audio_seconds: 60,
            auto_answer: true,
        }
    }

    pub fn saying(mut self, prompt: &str) -> PhoneSettings {
        self.prompt = Some(prompt.to_string());
        self
    }

    pub fn ringing_until_accepted(mut self) -> PhoneSettings {
        self.auto_answer = false;
        self
    }
}

/// A running baresip.
pub struct Phone {
    child: Child,
    dir: tempfile::TempDir,
    ports: PortBlock,
    control: Control,
    user: String,
}

impl Phone {
    /// Writes the config, starts baresip and connects to its ctrl_tcp.
    ///
    /// Panics with baresip's log when it does not come up.
    pub fn start(settings: PhoneSettings) -> Phone {
        let dir = tempfile::Builder::new()
            .prefix(&format!("baresip-{}-", settings.user))
            .tempdir()
            .expect("create a baresip directory");
        let ports = ports::block(40);

        let play = dir.path().join("play.wav");
        match &settings.prompt {
            Some(text) => audio::write_prompt(text, &play, settings.audio_seconds),
            None => audio::write_silence(&play, settings.audio_seconds),
        }
        let recordings = dir.path().join("rec");
        fs::create_dir_all(&recordings).expect("create the recordings directory");

        fs::write(dir.path().join("config"), config(&settings, &ports, &play, &recordings))
            .expect("write baresip config");
        fs::write(dir.path().join("accounts"), account(&settings, &ports))
            .expect("write baresip accounts");
        fs::write(dir.path().join("contacts"), "").expect("write baresip contacts");

        let log = fs::File::create(dir.path().join("baresip.log")).expect("create baresip log");
        let log_err = log.try_clone().expect("share the log file");
        let mut child = Command::new("baresip")
            .arg("-4")
            .arg("-f")
            .arg(dir.path())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start baresip (is it installed?): {err}"));

        let ctrl_addr = SocketAddr::from(([127, 0, 0, 1], ctrl_port(&ports)));
        let control = match Control::connect(ctrl_addr, Duration::from_secs(10)) {
            Ok(control) => control,
            Err(err) => {
                process::stop(&mut child, Duration::from_secs(3));
                let log = fs::read_to_string(dir.path().join("baresip.log")).unwrap_or_default();
                panic!("baresip for {} did not come up: {err}\n{log}", settings.user);
            }
        };

        Phone { child, dir, ports, control, user: settings.user }
    }

    /// The phone's SIP address.
    pub fn sip_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.ports.first))
    }

    /// PID of the baresip process.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a ctrl_tcp command.
    pub fn command(&self, command: &str, params: &str) -> Result<Reply, ControlError> {
        self.control.command(command, params, COMMAND_TIMEOUT)
    }

    /// Sends a command that must succeed; panics with the log otherwise.
    fn must(&self, command: &str, params: &str) -> Reply {
        match self.command(command, params) {
            Ok(reply) if reply.ok => reply,
            Ok(reply) => panic!(
                "{}: `{command} {params}` refused: {}\n{}",
                self.user,
                reply.data,
                self.log()
            ),
            Err(err) => panic!("{}: `{command} {params}` failed: {err}\n{}", self.user, self.log()),
        }
    }

    /// Dials a number (an extension, sent to the registrar's domain) or a URI.
    pub fn dial(&self, target: &str) {
        self.must("dial", target);
    }

    /// Answers the ringing call.
    pub fn accept(&self) {
        self.must("accept", "");
    }

    /// Hangs up the current call (a CANCEL while it still rings).
    pub fn hangup(&self) {
        self.must("hangup", "");
    }

    /// The registration summary of `reginfo`.
    pub fn reginfo(&self) -> String {
        self.must("reginfo", "").data
    }

    /// The call summary of `listcalls`.
    pub fn listcalls(&self) -> String {
        self.must("listcalls", "").data
    }

    /// Asks baresip to exit (it unregisters first). Dropping the phone then
    /// makes sure it is gone.
    pub fn quit(&self) {
        // The connection closes as baresip exits, so the reply may never come.
        let _ = self.command("quit", "");
    }

    /// Waits until `reginfo` says the account is registered.
    pub fn wait_registered(&self, timeout: Duration) -> bool {
        wait::for_condition(timeout, || {
            self.command("reginfo", "").is_ok_and(|reply| is_registered(&reply.data))
        })
    }

    /// Events so far.
    pub fn events(&self) -> Vec<PhoneEvent> {
        self.control.events()
    }

    /// Waits for an event of `kind` after the first `skip` events.
    pub fn wait_event(&self, kind: &str, skip: usize, timeout: Duration) -> Option<PhoneEvent> {
        self.control.wait_event(kind, skip, timeout)
    }

    /// Waits for an event of `kind`, or panics with every event and the log.
    pub fn expect_event(&self, kind: &str, timeout: Duration) -> PhoneEvent {
        self.wait_event(kind, 0, timeout).unwrap_or_else(|| {
            panic!(
                "{}: no {kind} event within {timeout:?}; events: {:#?}\n--- baresip log\n{}",
                self.user,
                self.events(),
                self.log()
            )
        })
    }

    /// What the phone heard during its calls (sndfile's `*-dec.wav`), oldest
    /// first. Complete once the call has ended.
    pub fn recordings_heard(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(self.dir.path().join("rec"))
            .map(|entries| {
                entries
                    .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                    .filter(|path| path.to_string_lossy().ends_with("-dec.wav"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }

    /// baresip's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("baresip.log")).unwrap_or_default()
    }

    /// The phone's directory (config, log, recordings).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Phone {
    fn drop(&mut self) {
        // baresip lingers after SIGTERM while it unregisters; three seconds,
        // then SIGKILL.
        process::stop(&mut self.child, Duration::from_secs(3));
        if std::thread::panicking() {
            eprintln!("---- baresip {} log ----\n{}", self.user, self.log());
        }
    }
}

/// Whether a `reginfo` summary shows a successful registration.
pub fn is_registered(reginfo: &str) -> bool {
    reginfo.contains("OK")
}

fn ctrl_port(ports: &PortBlock) -> u16 {
    // SIP is first, TLS first+1 (baresip opens it unasked); keep clear of both.
    ports.port(3)
}

fn config(settings: &PhoneSettings, ports: &PortBlock, play: &Path, recordings: &Path) -> String {
    let module_path =
        std::env::var("BARESIP_MODULE_PATH").unwrap_or_else(|_| DEFAULT_MODULE_PATH.to_string());
    let user = &settings.user;
    let lines = [
        ("poll_method", "epoll".to_string()),
        ("module_path", module_path),
        ("sip_listen", format!("127.0.0.1:{}", ports.first)),
        ("net_interface", "127.0.0.1".to_string()),
        ("call_local_timeout", "120".to_string()),
        ("call_max_calls", "4".to_string()),
        ("audio_source", format!("aufile,{}", play.display())),
        ("audio_player", format!("aubridge,{user}_play")),
        ("audio_alert", format!("aubridge,{user}_alert")),
        ("ausrc_srate", "8000".to_string()),
        ("auplay_srate", "8000".to_string()),
        ("ausrc_channels", "1".to_string()),
        ("auplay_channels", "1".to_string()),
        ("audio_buffer", "80".to_string()),
        ("rtp_ports", format!("{}-{}", ports.port(10), ports.last())),
        ("rtp_stats", "no".to_string()),
        ("jitter_buffer_delay", "5-10".to_string()),
        ("module", "g711.so".to_string()),
        ("module", "aufile.so".to_string()),
        ("module", "aubridge.so".to_string()),
        ("module", "sndfile.so".to_string()),
        ("module_tmp", "account.so".to_string()),
        ("module_app", "menu.so".to_string()),
        ("module_app", "ctrl_tcp.so".to_string()),
        ("ctrl_tcp_listen", format!("127.0.0.1:{}", ctrl_port(ports))),
        ("snd_path", recordings.display().to_string()),
        ("ringback_disabled", "yes".to_string()),
        ("menu_bell", "no".to_string()),
        ("statmode_default", "off".to_string()),
    ];
    lines.iter().map(|(key, value)| format!("{key}\t{value}\n")).collect()
}

fn account(settings: &PhoneSettings, ports: &PortBlock) -> String {
    let user = &settings.user;
    let registration = match settings.registrar {
        Some(registrar) => format!(
            "<sip:{user}@{registrar}>;auth_user={user};auth_pass={};regint=600",
            settings.password
        ),
        None => format!("<sip:{user}@127.0.0.1:{}>;regint=0", ports.first),
    };
    let answer = if settings.auto_answer { "auto" } else { "manual" };
    format!("{registration};answermode={answer};audio_codecs=PCMU/8000/1,PCMA/8000/1;ptime=20\n")
}
