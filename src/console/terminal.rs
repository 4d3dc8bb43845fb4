//! The console on the local terminal: raw mode, the alternate screen and
//! mouse capture on the way in, all of it undone on every way out (quit,
//! error, panic, or a stop signal), and crossterm's key stream turned into
//! [`Input`]s for [`run`]. The all-in-one binary and `switchboard console`
//! call [`run_in_terminal`]; remote sessions call [`run`] with their own
//! backend instead.

use std::io::{self, Stdout};
use std::panic::{self, PanicHookInfo};
use std::sync::Arc;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, EventStream};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};
use futures_util::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use tokio::sync::mpsc;

use super::input::Input;
use super::run::run;
use super::{ConsoleError, ConsoleOptions, ExitReason};
use crate::control::Link;

/// Inputs read ahead of the loop; a paste of many keys waits here.
const INPUT_QUEUE: usize = 256;

type PanicHook = Arc<dyn Fn(&PanicHookInfo<'_>) + Send + Sync + 'static>;

/// Runs the console on this process's terminal until the user quits.
///
/// Mouse capture is on, so selecting text with the mouse (to copy a SIP
/// password, say) needs the terminal's own modifier, usually Shift. While
/// the console runs, SIGTERM, SIGHUP and SIGINT end it with
/// [`ExitReason::Signal`] after the terminal is restored; the caller decides
/// what the process does next.
pub async fn run_in_terminal<L: Link>(
    link: Arc<L>,
    options: ConsoleOptions,
) -> Result<ExitReason, ConsoleError> {
    let mut screen = Screen::enter().map_err(ConsoleError::Terminal)?;
    let (inputs_tx, inputs) = mpsc::channel(INPUT_QUEUE);
    let reader = tokio::spawn(read_terminal(inputs_tx));

    let result = tokio::select! {
        result = run(&mut screen.terminal, link, inputs, options) => result,
        () = stop_signal() => Ok(ExitReason::Signal),
    };

    reader.abort();
    screen.leave();
    result
}

/// The terminal in console mode. Dropping it puts the terminal back, and
/// so does a panic while it is held.
struct Screen {
    terminal: Terminal<CrosstermBackend<Stdout>>,
    previous_hook: PanicHook,
    restored: bool,
}

impl Screen {
    fn enter() -> io::Result<Self> {
        // Install the hook first so that a panic during setup restores too.
        let previous_hook: PanicHook = Arc::from(panic::take_hook());
        let chained = Arc::clone(&previous_hook);
        panic::set_hook(Box::new(move |info| {
            restore_terminal();
            chained(info);
        }));

        let setup = (|| {
            enable_raw_mode()?;
            execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture, cursor::Hide)?;
            Terminal::new(CrosstermBackend::new(io::stdout()))
        })();
        match setup {
            Ok(terminal) => Ok(Self { terminal, previous_hook, restored: false }),
            Err(error) => {
                restore_terminal();
                let previous = Arc::clone(&previous_hook);
                panic::set_hook(Box::new(move |info| previous(info)));
                Err(error)
            }
        }
    }

    fn leave(&mut self) {
        if self.restored {
            return;
        }
        self.restored = true;
        restore_terminal();
        let previous = Arc::clone(&self.previous_hook);
        // Our hook is dropped here; the one before it is put back.
        drop(panic::take_hook());
        panic::set_hook(Box::new(move |info| previous(info)));
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        self.leave();
    }
}

/// Puts the terminal back as the shell expects it. Each step is attempted
/// even if one before it failed, since this also runs while panicking.
fn restore_terminal() {
    if let Err(error) = disable_raw_mode() {
        tracing::warn!(%error, "cannot leave raw mode");
    }
    if let Err(error) =
        execute!(io::stdout(), DisableMouseCapture, LeaveAlternateScreen, cursor::Show)
    {
        tracing::warn!(%error, "cannot leave the alternate screen");
    }
}

/// Feeds crossterm's events to the loop until the terminal or the loop goes.
async fn read_terminal(inputs: mpsc::Sender<Input>) {
    let mut stream = EventStream::new();
    while let Some(event) = stream.next().await {
        match event {
            Ok(event) => {
                let Some(input) = Input::from_crossterm(&event) else { continue };
                if inputs.send(input).await.is_err() {
                    break;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot read the terminal");
                break;
            }
        }
    }
}

/// Resolves when the process is asked to stop. Without signal handling the
/// console still works, so a failure to set it up is logged and waits forever.
async fn stop_signal() {
    if let Err(error) = wait_for_signal().await {
        tracing::warn!(%error, "cannot watch for stop signals");
        std::future::pending::<()>().await;
    }
}

#[cfg(unix)]
async fn wait_for_signal() -> io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = hangup.recv() => {}
        _ = interrupt.recv() => {}
    }
    Ok(())
}

#[cfg(not(unix))]
async fn wait_for_signal() -> io::Result<()> {
    tokio::signal::ctrl_c().await
}
