//! Where connections come from, under the connection cap: [`Incoming`], the
//! plain TCP listener's [`PlainIncoming`], and (in `tls.rs`) the TLS one's.
//! The server serves whichever it is given.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Where connections come from: the plain TCP listener or the TLS one.
pub trait Incoming: Send + 'static {
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// The next connection, with the permit of the connection cap it holds
    /// for its life.
    fn accept(&mut self) -> impl Future<Output = (Self::Io, OwnedSemaphorePermit)> + Send;
}

/// Plain HTTP connections under the connection cap.
pub struct PlainIncoming {
    tcp: TcpListener,
    permits: Arc<Semaphore>,
}

impl PlainIncoming {
    pub fn new(tcp: TcpListener, permits: Arc<Semaphore>) -> Self {
        PlainIncoming { tcp, permits }
    }
}

impl Incoming for PlainIncoming {
    type Io = TcpStream;

    async fn accept(&mut self) -> (TcpStream, OwnedSemaphorePermit) {
        // Beyond the cap, new connections wait in the kernel's backlog; the
        // ones already open keep working.
        let Ok(permit) = Arc::clone(&self.permits).acquire_owned().await else {
            return std::future::pending().await;
        };
        loop {
            match self.tcp.accept().await {
                Ok((stream, _)) => return (stream, permit),
                Err(e) => {
                    // e.g. too many open files: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}
