//! The embedded gateway's Security info page, served for the scenario steps that act as the
//! player on a phone (`approve link`, `decline link`).
//!
//! The page runs on a thread of its own on a free loopback port, with the device's virtual
//! clock: the gateway's links expire on the time the device lives in, so the page must read
//! the same time (the runner sets it before each step). The steps drive it over plain HTTP as a
//! phone's browser would, through `padlock_server::web::player::answer_link`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use padlock_server::web::{self, WebConfig};
use padlock_server::{Gateway, UnixMillis};

/// The served page; stopped when dropped.
pub struct Page {
    address: SocketAddr,
    clock: Arc<AtomicU64>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Page {
    /// Serves `gateway`'s page on 127.0.0.1 with a clock reading `now` until set again.
    ///
    /// # Errors
    /// The port cannot be bound or the page cannot be built (why).
    pub fn serve(gateway: Arc<Gateway>, now: UnixMillis) -> Result<Self, String> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| format!("the Security info page: {e}"))?;
        let address = listener
            .local_addr()
            .map_err(|e| format!("the Security info page: {e}"))?;
        let clock = Arc::new(AtomicU64::new(now.0));
        let config = WebConfig::new(format!("http://{address}"));
        let read = clock.clone();
        let router = web::router_with_clock(
            gateway,
            config.clone(),
            Arc::new(move || UnixMillis(read.load(Ordering::SeqCst))),
        )
        .map_err(|e| format!("the Security info page: {e}"))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("security-info".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                let Ok(runtime) = runtime else {
                    return;
                };
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    web::serve_router(listener, router, &config, async {
                        let _ = stopped.await;
                    })
                    .await;
                });
            })
            .map_err(|e| format!("the Security info page: {e}"))?;
        Ok(Self {
            address,
            clock,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Where it listens, its clock set to `now` first.
    pub fn at(&self, now: UnixMillis) -> SocketAddr {
        self.clock.store(now.0, Ordering::SeqCst);
        self.address
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
