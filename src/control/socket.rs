//! The control socket server: the [`Service`] on the Unix socket
//! `DIR/control.sock`, for `switchboard console` and the CLI while a PBX runs.
//!
//! The socket is owner-only (0600) inside an owner-only directory, and each
//! connection's caller is learned from its peer credentials, so every request
//! is checked against the account that really sent it. Connections are capped
//! and request lines are bounded; the framing is in [`super::wire`].

use std::future::Future;
use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, watch, Semaphore};
use tokio::task::JoinSet;

use super::api::{ControlError, ErrorKind, Event};
use super::wire::{read_line, LineError, Request, Response, MAX_REQUEST_LINE};
use super::{Caller, Service};

/// Most connections served at once; a console's subscription holds one.
pub const MAX_CONNECTIONS: usize = 64;

/// The control socket of the switchboard whose data directory is `dir`.
pub fn socket_path(dir: &Path) -> PathBuf {
    dir.join("control.sock")
}

/// Why the control socket could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error("another switchboard PBX is already running on {}", dir.display())]
    InUse { dir: PathBuf },
    #[error("{} exists and is not a socket; move it away", path.display())]
    NotASocket { path: PathBuf },
    #[error("cannot set up the control socket {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// A bound control socket, ready to serve.
pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl ControlSocket {
    /// Binds `DIR/control.sock`, owner-only. A socket left behind by a crash
    /// (nothing answers on it) is replaced; one that answers means another
    /// PBX runs on `dir`, which is [`SocketError::InUse`]. Must be called
    /// within a tokio runtime.
    pub fn bind(dir: &Path) -> Result<ControlSocket, SocketError> {
        let path = socket_path(dir);
        let io_error = |source| SocketError::Io { path: path.clone(), source };

        match std::fs::symlink_metadata(&path) {
            Ok(metadata) if !metadata.file_type().is_socket() => {
                return Err(SocketError::NotASocket { path });
            }
            Ok(_) => match std::os::unix::net::UnixStream::connect(&path) {
                Ok(_) => return Err(SocketError::InUse { dir: dir.to_path_buf() }),
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    tracing::warn!(path = %path.display(), "replacing a control socket left by a crash");
                    std::fs::remove_file(&path).map_err(io_error)?;
                }
                Err(e) => return Err(io_error(e)),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(e)),
        }

        let listener = UnixListener::bind(&path).map_err(io_error)?;
        // Between bind and chmod the socket has the umask's mode, but the
        // data directory around it is already owner-only.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(io_error)?;
        Ok(ControlSocket { listener, path })
    }

    /// Where the socket is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Serves connections until `shutdown` completes, then ends every
    /// connection (subscriptions included), waits for them and removes the
    /// socket file.
    pub async fn serve(self, service: Arc<Service>, shutdown: impl Future<Output = ()>) {
        let (stop, stopped) = watch::channel(false);
        let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut connections = JoinSet::new();
        tokio::pin!(shutdown);

        loop {
            // Taking the permit before accepting makes a full house wait here
            // instead of accepting connections it cannot serve.
            let permit = tokio::select! {
                permit = limit.clone().acquire_owned() => permit,
                () = &mut shutdown => break,
            };
            let Ok(permit) = permit else { break };
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                () = &mut shutdown => break,
            };
            while let Some(ended) = connections.try_join_next() {
                log_connection_end(ended);
            }

            match accepted {
                Ok((stream, _)) => {
                    let service = service.clone();
                    let stopped = stopped.clone();
                    connections.spawn(async move {
                        let _permit = permit;
                        serve_connection(stream, service, stopped).await
                    });
                }
                Err(error) => {
                    // Usually out of file descriptors: pause rather than spin.
                    tracing::warn!(%error, "control socket accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }

        let _ = stop.send(true);
        while let Some(ended) = connections.join_next().await {
            log_connection_end(ended);
        }
        if let Err(error) = std::fs::remove_file(&self.path) {
            tracing::warn!(%error, path = %self.path.display(), "control socket not removed");
        }
    }
}

fn log_connection_end(ended: Result<Result<(), ConnectionError>, tokio::task::JoinError>) {
    match ended {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::debug!(%error, "control connection ended"),
        Err(error) => tracing::error!(%error, "control connection task failed"),
    }
}

#[derive(Debug, thiserror::Error)]
enum ConnectionError {
    #[error("peer credentials unavailable: {0}")]
    Credentials(io::Error),
    #[error(transparent)]
    Line(#[from] LineError),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Answers one connection's requests in order until it closes, asks for a
/// subscription (which then lasts until it closes), or the server stops.
async fn serve_connection(
    stream: UnixStream,
    service: Arc<Service>,
    mut stopped: watch::Receiver<bool>,
) -> Result<(), ConnectionError> {
    let uid = stream.peer_cred().map_err(ConnectionError::Credentials)?.uid();
    let caller = tokio::task::spawn_blocking(move || Caller::from_uid(uid))
        .await
        .unwrap_or_else(|_| Caller { uid, name: uid.to_string() });
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);

    loop {
        let line = tokio::select! {
            line = read_line(&mut reader, MAX_REQUEST_LINE) => line,
            _ = stopped.changed() => return Ok(()),
        };
        let line = match line {
            Ok(Some(line)) => line,
            Ok(None) => return Ok(()),
            Err(LineError::TooLong { max }) => {
                let refusal = invalid_request(format!("request longer than {max} bytes"));
                writer.write_all(&refusal.to_line()).await?;
                return Ok(());
            }
            Err(error) => return Err(error.into()),
        };

        match Request::parse(&line) {
            Err(error) => {
                let refusal = invalid_request(format!("request not understood: {error}"));
                writer.write_all(&refusal.to_line()).await?;
            }
            Ok(Request::Command(command)) => {
                let service = service.clone();
                let caller = caller.clone();
                let reply = tokio::task::spawn_blocking(move || service.execute(&caller, command))
                    .await
                    .unwrap_or_else(|e| {
                        Err(ControlError::new(ErrorKind::Internal, format!("command failed: {e}")))
                    });
                let response = match reply {
                    Ok(reply) => Response::Ok(reply),
                    Err(error) => Response::Error(error),
                };
                writer.write_all(&response.to_line()).await?;
            }
            Ok(Request::Subscribe) => {
                return stream_events(&service, &caller, reader, writer, stopped).await;
            }
        }
    }
}

/// Sends a snapshot, then every event, until the client closes its side or
/// the server stops.
async fn stream_events(
    service: &Arc<Service>,
    caller: &Caller,
    mut reader: BufReader<tokio::net::unix::OwnedReadHalf>,
    mut writer: tokio::net::unix::OwnedWriteHalf,
    mut stopped: watch::Receiver<bool>,
) -> Result<(), ConnectionError> {
    // Subscribing first: an event may repeat the snapshot, none can be lost.
    let mut events = service.subscribe_events();
    let snapshot = {
        let service = service.clone();
        let caller = caller.clone();
        tokio::task::spawn_blocking(move || service.snapshot(&caller)).await.unwrap_or_else(|e| {
            Err(ControlError::new(ErrorKind::Internal, format!("snapshot failed: {e}")))
        })
    };
    match snapshot {
        Ok(snapshot) => writer.write_all(&Response::Snapshot(snapshot).to_line()).await?,
        Err(error) => {
            writer.write_all(&Response::Error(error).to_line()).await?;
            return Ok(());
        }
    }

    let mut ignored = [0u8; 512];
    loop {
        let event = tokio::select! {
            event = events.recv() => match event {
                Ok(event) => event,
                Err(broadcast::error::RecvError::Lagged(_)) => Event::Lagged,
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            },
            // The client sends nothing more; reading only notices it leave.
            read = reader.read(&mut ignored) => match read {
                Ok(0) | Err(_) => return Ok(()),
                Ok(_) => continue,
            },
            _ = stopped.changed() => return Ok(()),
        };
        writer.write_all(&Response::Event(event).to_line()).await?;
    }
}

fn invalid_request(message: String) -> Response {
    Response::Error(ControlError::new(ErrorKind::Invalid, message))
}
