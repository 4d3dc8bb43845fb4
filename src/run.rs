//! Starting the PBX: alone as a daemon, or together with the console.
//!
//! Both open the store, start the engine on the live revision, and serve the
//! control socket so that CLI commands reach the running PBX. They differ in
//! where logs go (stderr for the daemon, a file for the console, which owns
//! the screen) and in what they wait for before stopping.

use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::sync::Arc;

use color_eyre::eyre::{eyre, Result, WrapErr};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::cli::{AllInOneOptions, ServeOptions};
use crate::console::{self, ConsoleOptions};
use crate::control::{event_channel, ControlSocket, LocalLink, Service};
use crate::engine::{Pbx, PbxOptions};
use crate::sip::registrar::SavedBinding;
use crate::store::Store;

/// `switchboard`: the PBX and the console together in this terminal.
pub fn all_in_one(options: AllInOneOptions) -> Result<()> {
    // Without a terminal there is no console to show: say so before opening
    // any port or creating any store.
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(eyre!("the console needs a terminal; `switchboard serve` runs the PBX alone"));
    }
    // The log goes into the data directory, which must exist (owner-only, as
    // the store wants it) before anything is logged.
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&options.data)
        .wrap_err_with(|| format!("cannot create {}", options.data.display()))?;
    log_to_file(&options.data.join("switchboard.log"))?;
    within_runtime(async {
        let running = Running::start(&options.data, options.pbx).await?;
        tracing::info!(udp = %running.pbx.udp_addr(), tcp = %running.pbx.tcp_addr(), "all-in-one started");

        let link = Arc::new(LocalLink::new(running.service.clone()));
        let console_options = ConsoleOptions {
            keymap_file: Some(options.data.join("keymap.toml")),
            quit_ends_calls: true,
            ..Default::default()
        };
        let outcome = console::run_in_terminal(link, console_options).await;
        running.stop().await;
        outcome.map(|_| ()).map_err(|error| eyre!("{error}"))
    })
}

/// `switchboard serve`: the PBX alone, until SIGTERM or SIGINT.
pub fn serve(options: ServeOptions) -> Result<()> {
    match &options.log_file {
        Some(file) => log_to_file(file)?,
        None => log_to_stderr(),
    }
    within_runtime(async {
        let mut stop = StopSignals::install()?;
        let running = Running::start(&options.data, options.pbx).await?;
        // The one line scripts and service managers wait for.
        eprintln!("listening on udp {}, tcp {}", running.pbx.udp_addr(), running.pbx.tcp_addr());
        stop.wait().await;
        tracing::info!("stopping");
        running.stop().await;
        Ok(())
    })
}

/// Runs `work` to its end, then gives threads still blocked (a read of the
/// terminal, say) a moment before leaving them behind: everything that
/// matters was stopped and flushed by `work` itself.
fn within_runtime(work: impl std::future::Future<Output = Result<()>>) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the runtime")?;
    let outcome = runtime.block_on(work);
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    outcome
}

/// A PBX with its store, control service and control socket.
struct Running {
    pbx: Pbx,
    service: Arc<Service>,
    socket_task: JoinHandle<()>,
    stop_socket: oneshot::Sender<()>,
}

impl Running {
    async fn start(data: &Path, options: PbxOptions) -> Result<Running> {
        // The store's lock keeps a second PBX off this directory.
        let store = Arc::new(Store::open(data).map_err(|error| eyre!("{error}"))?);
        let closed = store
            .close_open_calls(time::OffsetDateTime::now_utc())
            .map_err(|error| eyre!("{error}"))?;
        for call in closed {
            tracing::warn!(call = %call.id, caller = %call.caller, callee = %call.callee, "call cut off by the last stop, recorded as failed");
        }
        let (revision, config) = store.live().map_err(|error| eyre!("{error}"))?;
        tracing::info!(revision, users = config.users.len(), "live configuration loaded");

        let events = event_channel();
        let advertise = options.advertise;
        let saved = saved_registrations(&store);
        let pbx = Pbx::start(options, Arc::new(config), events.clone(), store.clone(), saved)
            .await
            .map_err(|error| eyre!("{error}"))?;
        // The socket comes once SIP listens, so a PBX that cannot bind its
        // port leaves no socket behind.
        let socket = match ControlSocket::bind(data) {
            Ok(socket) => socket,
            Err(error) => {
                let saved = pbx.shutdown().await;
                keep_registrations(&store, &saved);
                return Err(eyre!("{error}"));
            }
        };
        let service = Arc::new(Service::new(store, Some(pbx.live_state()), events));
        service.set_sip_address(advertise.unwrap_or_else(|| reachable(pbx.udp_addr())));

        let (stop_socket, stopped) = oneshot::channel::<()>();
        let socket_task = tokio::spawn(socket.serve(service.clone(), async move {
            let _ = stopped.await;
        }));
        Ok(Running { pbx, service, socket_task, stop_socket })
    }

    /// Ends live calls, closes the control socket and lets the store flush.
    async fn stop(self) {
        let saved = self.pbx.shutdown().await;
        keep_registrations(self.service.store(), &saved);
        let _ = self.stop_socket.send(());
        let _ = self.socket_task.await;
        if let Err(error) = self.service.store().flush() {
            tracing::error!(%error, "store flush on stop failed");
        }
    }
}

/// Registrations the last stop kept; a store without any, or with some this
/// version cannot read, starts with none (phones register again by themselves).
fn saved_registrations(store: &Store) -> Vec<SavedBinding> {
    match store.take_registrations() {
        Ok(Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
            tracing::warn!(%error, "kept registrations unreadable, phones will register again");
            Vec::new()
        }),
        Ok(None) => Vec::new(),
        Err(error) => {
            tracing::warn!(%error, "kept registrations not read, phones will register again");
            Vec::new()
        }
    }
}

fn keep_registrations(store: &Store, saved: &[SavedBinding]) {
    let kept = serde_json::to_vec(saved)
        .map_err(|e| e.to_string())
        .and_then(|bytes| store.keep_registrations(&bytes).map_err(|e| e.to_string()));
    match kept {
        Ok(()) => {
            tracing::info!(registrations = saved.len(), "registrations kept for the next start")
        }
        Err(error) => tracing::warn!(%error, "registrations not kept"),
    }
}

/// The address to tell phones about. Listening on every address, that is
/// the machine's first IPv4 address on a network interface (not loopback);
/// with none, the wildcard stays and the console shows the domain instead.
fn reachable(bound: SocketAddr) -> SocketAddr {
    if !bound.ip().is_unspecified() {
        return bound;
    }
    let interfaces = match nix::ifaddrs::getifaddrs() {
        Ok(interfaces) => interfaces,
        Err(error) => {
            tracing::debug!(%error, "cannot list network interfaces");
            return bound;
        }
    };
    interfaces
        .filter_map(|interface| interface.address?.as_sockaddr_in().map(|addr| addr.ip()))
        .find(|ip| !ip.is_loopback() && !ip.is_unspecified())
        .map(|ip| SocketAddr::new(ip.into(), bound.port()))
        .unwrap_or(bound)
}

/// SIGTERM and SIGINT, installed before the PBX starts so that a stop asked
/// for during start-up is not lost.
struct StopSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> Result<StopSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(StopSignals {
            terminate: signal(SignalKind::terminate()).wrap_err("cannot watch SIGTERM")?,
            interrupt: signal(SignalKind::interrupt()).wrap_err("cannot watch SIGINT")?,
        })
    }

    async fn wait(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}

fn log_filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_env("SWITCHBOARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
}

fn log_to_stderr() {
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(log_filter())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

fn log_to_file(path: &Path) -> Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .wrap_err_with(|| format!("cannot open the log file {}", path.display()))?;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(log_filter())
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init();
    Ok(())
}
