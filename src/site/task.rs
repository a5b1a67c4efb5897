//! Work started now and awaited later: the next request to the site runs
//! while the engine hashes, compresses and uploads what came before.
//!
//! In the browser the task runs on the page's event loop
//! (`wasm_bindgen_futures::spawn_local`); natively on the tokio runtime when
//! there is one, else it runs when awaited.

use std::future::Future;

use futures::channel::oneshot;
#[cfg(not(target_arch = "wasm32"))]
use futures::future::{BoxFuture, FutureExt};

/// A future started in the background.
pub enum Background<T> {
    /// Running; its output arrives here.
    Spawned(oneshot::Receiver<T>),
    /// Not started (no runtime to run it on): runs when awaited.
    #[cfg(not(target_arch = "wasm32"))]
    Deferred(BoxFuture<'static, T>),
}

impl<T> Background<T> {
    /// Its output; `None` if the task was dropped (the runtime shut down).
    pub async fn wait(self) -> Option<T> {
        match self {
            Background::Spawned(rx) => rx.await.ok(),
            #[cfg(not(target_arch = "wasm32"))]
            Background::Deferred(f) => Some(f.await),
        }
    }
}

/// Starts `fut` now.
#[cfg(target_arch = "wasm32")]
pub fn spawn<T: 'static>(fut: impl Future<Output = T> + 'static) -> Background<T> {
    let (tx, rx) = oneshot::channel();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = tx.send(fut.await);
    });
    Background::Spawned(rx)
}

/// Starts `fut` now.
#[cfg(not(target_arch = "wasm32"))]
pub fn spawn<T: Send + 'static>(fut: impl Future<Output = T> + Send + 'static) -> Background<T> {
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => {
            let (tx, rx) = oneshot::channel();
            rt.spawn(async move {
                let _ = tx.send(fut.await);
            });
            Background::Spawned(rx)
        }
        Err(_) => Background::Deferred(fut.boxed()),
    }
}
