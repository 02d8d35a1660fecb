//! Where connections come from, and what each must pass to be served.
//!
//! Both listeners (plain TCP here, TLS in `tls.rs`) take connections under
//! one [`Gate`]: at most `--max-connections` open at once (beyond it, new
//! ones wait in the kernel's backlog while the open ones keep working), at
//! most `--max-connections-per-address` from one client address (beyond it,
//! a new connection from that address is closed at once, so one address
//! flooding the server costs the others nothing), and a connection that
//! sends nothing within `--first-request-timeout` is closed. Each admitted
//! connection is readied (its TLS handshake, if any) in a task of its own,
//! so a slow or silent client never holds up the others, and handed to the
//! server with its [`Peer`] address.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use crate::config::Limits;

/// The client address of the connection a request came on (a request
/// extension). Behind a proxy it is the proxy's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub SocketAddr);

/// The connection limits both listeners share.
pub struct Gate {
    permits: Arc<Semaphore>,
    /// 0: no cap per address.
    per_address: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
    first_request: Duration,
}

impl Gate {
    pub fn new(limits: &Limits) -> Arc<Gate> {
        Arc::new(Gate {
            permits: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            per_address: limits.max_connections_per_address,
            open: Mutex::new(HashMap::new()),
            // The head of the first request is due within the header
            // timeout anyway; its first byte within the shorter of the two.
            first_request: limits.first_request_timeout.min(limits.header_timeout),
        })
    }

    /// A slot for a connection from `ip`, unless that address has its cap.
    /// An IPv6 client is counted by its /64 (one host holds a whole /64).
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let ip = client_of(ip);
        if self.per_address > 0 {
            let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            let n = open.entry(ip).or_insert(0);
            if *n >= self.per_address {
                return None;
            }
            *n += 1;
        }
        Some(Slot {
            gate: Arc::clone(self),
            ip,
        })
    }
}

/// The address a client is counted by: an IPv4 address, an IPv6 /64.
pub fn client_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// A connection's place under the per-address cap, given back when dropped.
struct Slot {
    gate: Arc<Gate>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if self.gate.per_address == 0 {
            return;
        }
        let mut open = self.gate.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// What a connection holds for its life: its place under the global cap and
/// under its address's.
pub struct Hold {
    _permit: OwnedSemaphorePermit,
    _slot: Slot,
}

/// A connection ready to be served.
pub struct Accepted<Io> {
    pub io: Io,
    pub peer: SocketAddr,
    pub hold: Hold,
}

/// Where connections come from: the plain TCP listener or the TLS one.
pub trait Incoming: Send + 'static {
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// The next connection ready to be served.
    fn accept(&mut self) -> impl Future<Output = Accepted<Self::Io>> + Send;
}

/// Accepts on `tcp` under `gate`; each admitted connection that sends its
/// first bytes in time is readied by `ready` (a TLS handshake, bounded by
/// its own timeout; `None`: dropped) in a task of its own and passed on.
/// The loop ends when the receiver is dropped.
pub fn accept_loop<Io, F, Fut>(
    tcp: TcpListener,
    gate: Arc<Gate>,
    ready: F,
) -> mpsc::Receiver<Accepted<Io>>
where
    Io: Send + 'static,
    F: Fn(TcpStream, SocketAddr) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<Io>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(128);
    let ready = Arc::new(ready);
    tokio::spawn(async move {
        loop {
            let permit = tokio::select! {
                permit = Arc::clone(&gate.permits).acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => return,
                },
                _ = tx.closed() => return,
            };
            let accepted = tokio::select! {
                accepted = tcp.accept() => accepted,
                // The server stopped and dropped the receiver.
                _ = tx.closed() => return,
            };
            let (stream, peer) = match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // e.g. too many open files: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Some(slot) = gate.admit(peer.ip()) else {
                tracing::debug!(%peer, "closed: the address has its connections");
                continue;
            };
            let hold = Hold {
                _permit: permit,
                _slot: slot,
            };
            let first_request = gate.first_request;
            let tx = tx.clone();
            let ready = Arc::clone(&ready);
            tokio::spawn(async move {
                // Nothing sent in time (or closed): dropped, its places
                // given back. (A peek, not `readable()`, which may wake
                // without data.)
                let mut first = [0u8; 1];
                if !matches!(
                    tokio::time::timeout(first_request, stream.peek(&mut first)).await,
                    Ok(Ok(n)) if n > 0
                ) {
                    tracing::debug!(%peer, "closed: nothing sent in time");
                    return;
                }
                if let Some(io) = ready(stream, peer).await {
                    let _ = tx.send(Accepted { io, peer, hold }).await;
                }
            });
        }
    });
    rx
}

/// Plain HTTP connections under the gate.
pub struct PlainIncoming {
    ready: mpsc::Receiver<Accepted<TcpStream>>,
}

impl PlainIncoming {
    pub fn new(tcp: TcpListener, gate: Arc<Gate>) -> Self {
        PlainIncoming {
            ready: accept_loop(tcp, gate, |stream, _| async move { Some(stream) }),
        }
    }
}

impl Incoming for PlainIncoming {
    type Io = TcpStream;

    async fn accept(&mut self) -> Accepted<TcpStream> {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept loop ends only when this side is dropped.
            None => std::future::pending().await,
        }
    }
}
