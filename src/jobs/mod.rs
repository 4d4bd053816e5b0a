//! Background work claimed from the `jobs` table. (The queue lands with the deadline issue;
//! until then there is nothing to run.)

use crate::state::AppState;

/// Handles on the running workers.
pub struct Workers {
    stop: tokio::sync::watch::Sender<bool>,
    handles: Vec<tokio::task::JoinHandle<()>>,
}

impl Workers {
    /// Asks every worker to stop after its current job and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for h in self.handles {
            let _ = h.await;
        }
    }
}

pub fn spawn(_state: AppState) -> Workers {
    let (stop, _) = tokio::sync::watch::channel(false);
    Workers {
        stop,
        handles: Vec::new(),
    }
}
