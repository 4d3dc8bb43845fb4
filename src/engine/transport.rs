//! SIP over UDP and TCP: the sockets around the SIP core. Datagrams go to the
//! core whole; TCP streams are cut into messages by Content-Length first. What
//! the core wants sent goes out on the flow it names, reusing the TCP
//! connection a phone registered over.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, Semaphore};

use crate::sip::message::{content_length, header_end};
use crate::sip::{ConnectionId, Flow, Outbound, Transport};

/// The largest message accepted; SIP over UDP stays far below it.
pub const MAX_MESSAGE: usize = 65_535;

/// TCP connections open at once, accepted and opened together.
pub const MAX_CONNECTIONS: usize = 1_024;

/// Messages waiting to be written to one TCP connection; a peer that does
/// not read is dropped rather than let this grow.
const WRITE_QUEUE: usize = 256;

/// Something that takes each framed message with the flow it came on.
pub trait Receiver: Send + Sync + 'static {
    fn receive(&self, bytes: &[u8], flow: Flow);
}

/// The bound sockets and the open TCP connections.
pub struct Transports {
    udp: Arc<UdpSocket>,
    pub udp_addr: SocketAddr,
    pub tcp_addr: SocketAddr,
    connections: Mutex<HashMap<ConnectionId, mpsc::Sender<Vec<u8>>>>,
    next_connection: AtomicU64,
    connection_slots: Arc<Semaphore>,
    /// The local address that faces each peer, when bound to a wildcard.
    local_ips: Mutex<HashMap<IpAddr, IpAddr>>,
}

impl Transports {
    /// Binds UDP and TCP on the same port (with port 0, the port UDP got).
    pub async fn bind(addr: SocketAddr) -> io::Result<(Arc<Transports>, TcpListener)> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let udp = UdpSocket::bind(addr).await?;
            let udp_addr = udp.local_addr()?;
            match TcpListener::bind(udp_addr).await {
                Ok(listener) => {
                    let tcp_addr = listener.local_addr()?;
                    let transports = Transports {
                        udp: Arc::new(udp),
                        udp_addr,
                        tcp_addr,
                        connections: Mutex::new(HashMap::new()),
                        next_connection: AtomicU64::new(1),
                        connection_slots: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
                        local_ips: Mutex::new(HashMap::new()),
                    };
                    return Ok((Arc::new(transports), listener));
                }
                // The TCP side of a port chosen for UDP may be taken: try another.
                Err(error) if addr.port() == 0 && attempts < 10 => {
                    tracing::debug!(%error, "TCP port taken, binding again");
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// The flow for a message that arrived from `peer`.
    pub fn flow(
        &self,
        transport: Transport,
        peer: SocketAddr,
        connection: Option<ConnectionId>,
    ) -> Flow {
        let port = match transport {
            Transport::Udp => self.udp_addr.port(),
            Transport::Tcp => self.tcp_addr.port(),
        };
        Flow {
            transport,
            peer,
            local: SocketAddr::new(self.local_ip_for(peer.ip()), port),
            connection,
        }
    }

    /// The address of ours a peer reaches us at. Bound to a wildcard, the
    /// routing table decides; the answer is cached per peer address.
    fn local_ip_for(&self, peer: IpAddr) -> IpAddr {
        let bound = self.udp_addr.ip();
        if !bound.is_unspecified() {
            return bound;
        }
        if peer.is_loopback() {
            return peer;
        }
        let mut cache = self.local_ips.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ip) = cache.get(&peer) {
            return *ip;
        }
        let found = std::net::UdpSocket::bind(SocketAddr::new(bound, 0))
            .and_then(|probe| {
                probe.connect(SocketAddr::new(peer, 9))?;
                probe.local_addr()
            })
            .map(|addr| addr.ip())
            .unwrap_or(bound);
        if cache.len() < 4_096 {
            cache.insert(peer, found);
        }
        found
    }

    /// Reads datagrams until the socket fails.
    pub async fn run_udp(self: Arc<Self>, receiver: Arc<dyn Receiver>) {
        let mut buffer = vec![0u8; MAX_MESSAGE];
        loop {
            match self.udp.recv_from(&mut buffer).await {
                Ok((length, peer)) => {
                    let flow = self.flow(Transport::Udp, peer, None);
                    receiver.receive(&buffer[..length], flow);
                }
                // ICMP errors from earlier sends surface here on some systems.
                Err(error) if error.kind() == io::ErrorKind::ConnectionReset => {}
                Err(error) => {
                    tracing::error!(%error, "UDP receive failed");
                    return;
                }
            }
        }
    }

    /// Accepts TCP connections, each read on its own task.
    pub async fn run_tcp(self: Arc<Self>, listener: TcpListener, receiver: Arc<dyn Receiver>) {
        loop {
            let Ok(permit) = self.connection_slots.clone().acquire_owned().await else { return };
            match listener.accept().await {
                Ok((stream, peer)) => {
                    let transports = self.clone();
                    let receiver = receiver.clone();
                    tokio::spawn(async move {
                        transports.serve_connection(stream, peer, receiver).await;
                        drop(permit);
                    });
                }
                Err(error) => {
                    tracing::warn!(%error, "TCP accept failed");
                    drop(permit);
                }
            }
        }
    }

    /// Registers a connection's writer and reads messages from it until it closes.
    async fn serve_connection(
        self: Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        receiver: Arc<dyn Receiver>,
    ) -> ConnectionId {
        let id = ConnectionId(self.next_connection.fetch_add(1, Ordering::Relaxed));
        let (mut reader, mut writer) = stream.into_split();
        let (queue, mut pending) = mpsc::channel::<Vec<u8>>(WRITE_QUEUE);
        self.lock_connections().insert(id, queue);
        let write_task = tokio::spawn(async move {
            while let Some(bytes) = pending.recv().await {
                if writer.write_all(&bytes).await.is_err() {
                    break;
                }
            }
        });

        let flow = self.flow(Transport::Tcp, peer, Some(id));
        let mut buffer: Vec<u8> = Vec::with_capacity(4_096);
        let mut chunk = vec![0u8; 16_384];
        'reading: loop {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
            loop {
                match next_frame(&buffer) {
                    Frame::Message(length) => {
                        receiver.receive(&buffer[..length], flow.clone());
                        buffer.drain(..length);
                    }
                    Frame::KeepAlive(length) => {
                        buffer.drain(..length);
                    }
                    Frame::Incomplete => break,
                    Frame::Invalid => {
                        tracing::debug!(%peer, "unframeable TCP input, closing");
                        break 'reading;
                    }
                }
            }
        }
        self.lock_connections().remove(&id);
        write_task.abort();
        id
    }

    fn lock_connections(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<ConnectionId, mpsc::Sender<Vec<u8>>>> {
        self.connections.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends what the core produced. Over TCP without a live connection, one
    /// is opened to the peer's address. A phone whose own connection closed is
    /// reached that way only if it listens where it connected from; most
    /// re-register first, which opens a new connection.
    pub fn send(self: &Arc<Self>, outbound: Vec<Outbound>, receiver: &Arc<dyn Receiver>) {
        for Outbound { flow, bytes } in outbound {
            match flow.transport {
                Transport::Udp => {
                    if let Err(error) = self.udp.try_send_to(&bytes, flow.peer) {
                        tracing::debug!(peer = %flow.peer, %error, "UDP send failed");
                    }
                }
                Transport::Tcp => {
                    let existing =
                        flow.connection.and_then(|id| self.lock_connections().get(&id).cloned());
                    match existing {
                        Some(queue) => {
                            if queue.try_send(bytes).is_err() {
                                tracing::debug!(peer = %flow.peer, "TCP write queue full, message dropped");
                            }
                        }
                        None => self.clone().connect_and_send(flow.peer, bytes, receiver.clone()),
                    }
                }
            }
        }
    }

    fn connect_and_send(
        self: Arc<Self>,
        peer: SocketAddr,
        bytes: Vec<u8>,
        receiver: Arc<dyn Receiver>,
    ) {
        let Ok(permit) = self.connection_slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "too many TCP connections, message dropped");
            return;
        };
        tokio::spawn(async move {
            let connect =
                tokio::time::timeout(std::time::Duration::from_secs(5), TcpStream::connect(peer));
            let Ok(Ok(mut stream)) = connect.await else {
                tracing::debug!(%peer, "TCP connect failed");
                return;
            };
            if stream.write_all(&bytes).await.is_err() {
                return;
            }
            self.serve_connection(stream, peer, receiver).await;
            drop(permit);
        });
    }
}

/// What the front of a TCP buffer holds.
#[derive(Debug, PartialEq, Eq)]
enum Frame {
    /// A whole message of this many bytes.
    Message(usize),
    /// CRLFs sent to keep the connection open (RFC 5626 §3.5.1).
    KeepAlive(usize),
    Incomplete,
    Invalid,
}

fn next_frame(buffer: &[u8]) -> Frame {
    let blank = buffer.iter().take_while(|b| **b == b'\r' || **b == b'\n').count();
    if blank > 0 {
        return Frame::KeepAlive(blank);
    }
    let Some(end) = header_end(buffer) else {
        return if buffer.len() > MAX_MESSAGE { Frame::Invalid } else { Frame::Incomplete };
    };
    match content_length(&buffer[..end]) {
        Ok(body) if end + body > MAX_MESSAGE => Frame::Invalid,
        Ok(body) if buffer.len() >= end + body => Frame::Message(end + body),
        Ok(_) => Frame::Incomplete,
        Err(_) => Frame::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] = b"OPTIONS sip:a SIP/2.0\r\nContent-Length: 4\r\n\r\nbody";

    #[test]
    fn two_messages_in_one_read_are_framed_one_by_one() {
        let mut buffer = OPTIONS.to_vec();
        buffer.extend_from_slice(OPTIONS);
        assert_eq!(next_frame(&buffer), Frame::Message(OPTIONS.len()));
        assert_eq!(next_frame(&buffer[OPTIONS.len()..]), Frame::Message(OPTIONS.len()));
    }

    #[test]
    fn a_message_split_across_reads_waits_for_its_body() {
        assert_eq!(next_frame(&OPTIONS[..10]), Frame::Incomplete);
        assert_eq!(next_frame(&OPTIONS[..OPTIONS.len() - 1]), Frame::Incomplete);
        assert_eq!(next_frame(OPTIONS), Frame::Message(OPTIONS.len()));
    }

    #[test]
    fn keep_alives_and_garbage_are_told_apart() {
        assert_eq!(next_frame(b"\r\n\r\nOPTIONS"), Frame::KeepAlive(4));
        assert_eq!(next_frame(b"X\r\nContent-Length: nope\r\n\r\n"), Frame::Invalid);
        assert_eq!(next_frame(&vec![b'a'; MAX_MESSAGE + 1]), Frame::Invalid);
    }
}
