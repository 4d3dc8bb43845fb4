//! Loopback ports for the SIP tools a test starts (SIPp, baresip), which, unlike
//! switchboard itself, need their ports chosen in advance.
//!
//! Tests in one binary run in parallel threads, so every caller gets a block of
//! ports no other caller in this process gets. Other processes on the machine
//! (another test binary, another checkout's suite) are avoided by starting at an
//! offset taken from the process id and by checking that every port of a block
//! is free on UDP and TCP before handing it out. The range stays below the
//! kernel's ephemeral range (32768 and up), where switchboard's own port 0 and
//! outgoing connections land.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicU32, Ordering};

/// First and one-past-last port handed out.
const RANGE_START: u32 = 10_000;
const RANGE_END: u32 = 32_000;

/// Ports are handed out in multiples of this size, so blocks never overlap.
const GRANULE: u32 = 20;

/// Offset of the next block, relative to this process's starting point.
static CURSOR: AtomicU32 = AtomicU32::new(0);

/// A run of consecutive loopback ports, free when handed out, reserved for one
/// user within this process.
#[derive(Debug, Clone, Copy)]
pub struct PortBlock {
    pub first: u16,
    pub len: u16,
}

impl PortBlock {
    /// The `index`th port of the block.
    ///
    /// Panics when `index` is outside the block: that is a mistake in the test.
    pub fn port(&self, index: u16) -> u16 {
        assert!(index < self.len, "port {index} asked of a block of {}", self.len);
        self.first + index
    }

    /// The last port of the block.
    pub fn last(&self) -> u16 {
        self.first + self.len - 1
    }
}

/// A block of `len` consecutive ports, each free on 127.0.0.1 for UDP and TCP.
///
/// Panics when the whole range has been tried without success: the machine is
/// out of loopback ports and no test could run.
pub fn block(len: u16) -> PortBlock {
    let granules = u32::from(len).div_ceil(GRANULE).max(1);
    let span = RANGE_END - RANGE_START;
    let start_offset = (std::process::id() * 7 * GRANULE) % span;

    for _ in 0..(span / GRANULE) {
        let offset = CURSOR.fetch_add(granules * GRANULE, Ordering::Relaxed);
        let first = RANGE_START + (start_offset + offset) % span;
        if first + u32::from(len) > RANGE_END {
            continue;
        }
        let first = u16::try_from(first).expect("range is below 65536");
        if (first..first + len).all(is_free) {
            return PortBlock { first, len };
        }
    }
    panic!("no block of {len} free loopback ports between {RANGE_START} and {RANGE_END}");
}

/// One free port, from [`block`].
pub fn one() -> u16 {
    block(1).first
}

/// A port the kernel considers free right now (bind port 0, read it, release it).
/// Another process may take it before it is used; prefer [`block`] for ports a
/// tool binds later.
pub fn ephemeral() -> u16 {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a UDP socket on loopback");
    socket.local_addr().expect("a bound socket has an address").port()
}

/// Whether `port` can be bound right now on 127.0.0.1, for UDP and for TCP.
pub fn is_free(port: u16) -> bool {
    let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    UdpSocket::bind(addr).is_ok() && TcpListener::bind(addr).is_ok()
}
