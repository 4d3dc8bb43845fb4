//! A [`Link`] over the control socket of a running PBX: what the CLI and
//! `switchboard console` use. Each request opens its own short connection, so a
//! PBX restart between two requests costs nothing; a subscription keeps one
//! connection open for as long as its receiver lives.

use std::io;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::sync::mpsc;

use super::api::{Command, ControlError, ErrorKind, Event, Reply, Snapshot};
use super::local::SUBSCRIBER_QUEUE;
use super::socket::socket_path;
use super::wire::{read_line, Request, Response, MAX_RESPONSE_LINE};
use super::Link;

/// A link to the PBX running on a data directory.
#[derive(Debug, Clone)]
pub struct SocketLink {
    path: PathBuf,
}

impl SocketLink {
    /// Connects to the PBX running on `dir`. `Ok(None)` when none runs there
    /// (no socket, or one left by a crash that nothing answers on); an error
    /// when one runs but cannot be reached (for instance, it belongs to
    /// another account).
    pub async fn connect(dir: &Path) -> Result<Option<SocketLink>, ControlError> {
        let path = socket_path(dir);
        match UnixStream::connect(&path).await {
            Ok(_) => Ok(Some(SocketLink { path })),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
                ) =>
            {
                Ok(None)
            }
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Err(ControlError::new(
                ErrorKind::Forbidden,
                format!("the switchboard on {} belongs to another account", dir.display()),
            )),
            Err(e) => Err(connection_error(&path, &e.to_string())),
        }
    }

    /// Opens a connection, sends `request`, and returns a reader for the
    /// answer and the connection's write half (kept open by the caller).
    async fn send(
        &self,
        request: &Request,
    ) -> Result<
        (BufReader<tokio::net::unix::OwnedReadHalf>, tokio::net::unix::OwnedWriteHalf),
        ControlError,
    > {
        let stream = UnixStream::connect(&self.path)
            .await
            .map_err(|e| connection_error(&self.path, &e.to_string()))?;
        let (reader, mut writer) = stream.into_split();
        writer
            .write_all(&request.to_line())
            .await
            .map_err(|e| connection_error(&self.path, &e.to_string()))?;
        Ok((BufReader::new(reader), writer))
    }

    async fn receive(
        &self,
        reader: &mut BufReader<tokio::net::unix::OwnedReadHalf>,
    ) -> Result<Response, ControlError> {
        let line = read_line(reader, MAX_RESPONSE_LINE)
            .await
            .map_err(|e| connection_error(&self.path, &e.to_string()))?
            .ok_or_else(|| connection_error(&self.path, "the PBX closed the connection"))?;
        serde_json::from_slice(&line)
            .map_err(|e| connection_error(&self.path, &format!("unreadable answer: {e}")))
    }
}

impl Link for SocketLink {
    async fn request(&self, command: Command) -> Result<Reply, ControlError> {
        let (mut reader, _writer) = self.send(&Request::Command(command)).await?;
        match self.receive(&mut reader).await? {
            Response::Ok(reply) => Ok(reply),
            Response::Error(error) => Err(error),
            _ => Err(connection_error(&self.path, "the PBX answered something else")),
        }
    }

    async fn subscribe(&self) -> Result<(Snapshot, mpsc::Receiver<Event>), ControlError> {
        let (mut reader, writer) = self.send(&Request::Subscribe).await?;
        let snapshot = match self.receive(&mut reader).await? {
            Response::Snapshot(snapshot) => snapshot,
            Response::Error(error) => return Err(error),
            _ => return Err(connection_error(&self.path, "the PBX answered something else")),
        };

        let (sender, receiver) = mpsc::channel(SUBSCRIBER_QUEUE);
        let path = self.path.clone();
        tokio::spawn(async move {
            // The write half stays open while events flow: closing it is how
            // the server learns this subscriber went away.
            let _writer = writer;
            loop {
                let line = match read_line(&mut reader, MAX_RESPONSE_LINE).await {
                    Ok(Some(line)) => line,
                    Ok(None) => return,
                    Err(error) => {
                        tracing::debug!(%error, path = %path.display(), "event stream ended");
                        return;
                    }
                };
                let event = match serde_json::from_slice(&line) {
                    Ok(Response::Event(event)) => event,
                    Ok(_) | Err(_) => {
                        tracing::warn!(path = %path.display(), "unreadable event; stream ended");
                        return;
                    }
                };
                if sender.send(event).await.is_err() {
                    return;
                }
            }
        });
        Ok((snapshot, receiver))
    }
}

fn connection_error(path: &Path, detail: &str) -> ControlError {
    ControlError::new(
        ErrorKind::Internal,
        format!("the control connection {} failed: {detail}", path.display()),
    )
}
