//! The policy in force, swapped atomically on reload. A request takes one
//! snapshot when it starts, so it is decided by one policy from start to
//! end even if a reload lands meanwhile. An invalid new file keeps the old
//! policy and logs why.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use super::compile::{Policy, PolicyError, SchemaShape};

/// The policy shipped with the gateway (`deploy/policy.toml`), used when
/// the config names no file.
pub const SHIPPED: &str = include_str!("../../../deploy/policy.toml");

pub struct PolicyStore {
    current: ArcSwap<Policy>,
    /// The schema every version of the file is checked against.
    shape: &'static SchemaShape,
    file: Option<PathBuf>,
    /// The text last loaded, to notice a change without reparsing.
    loaded_text: std::sync::Mutex<String>,
}

impl PolicyStore {
    /// Loads and compiles the policy; an invalid one is refused here, so
    /// the gateway does not start with it.
    pub fn load(
        file: Option<&Path>,
        shape: &'static SchemaShape,
    ) -> Result<PolicyStore, PolicyError> {
        let text = match file {
            Some(path) => read(path)?,
            None => SHIPPED.to_string(),
        };
        let policy = Policy::compile(&text, shape)?;
        tracing::info!(version = %policy.version, file = ?file, "policy loaded");
        Ok(PolicyStore {
            current: ArcSwap::from_pointee(policy),
            shape,
            file: file.map(Path::to_path_buf),
            loaded_text: std::sync::Mutex::new(text),
        })
    }

    /// The policy a request is decided by.
    pub fn snapshot(&self) -> Arc<Policy> {
        self.current.load_full()
    }

    /// Rereads the file. `Ok(true)` when a new policy is in force, `Ok(false)`
    /// when the file is unchanged; on error the old policy stays.
    pub fn reload(&self) -> Result<bool, PolicyError> {
        let Some(path) = &self.file else {
            return Ok(false);
        };
        let text = read(path)?;
        if *self.loaded_text.lock().expect("policy text lock") == text {
            return Ok(false);
        }
        let policy = Policy::compile(&text, self.shape)?;
        tracing::info!(version = %policy.version, "policy reloaded");
        self.current.store(Arc::new(policy));
        *self.loaded_text.lock().expect("policy text lock") = text;
        Ok(true)
    }

    /// Reloads on SIGHUP and when the file changes (checked every
    /// `interval`; polling also sees a Kubernetes ConfigMap's symlink swap,
    /// which file-event watchers can miss). SIGHUP is taken even without a
    /// file (there is then nothing to reload): its default action would
    /// end the process.
    pub fn spawn_reloader(self: &Arc<Self>, interval: Duration) {
        let store = Arc::downgrade(self);
        let poll = self.file.is_some() && !interval.is_zero();
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut hup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            let mut tick = poll.then(|| tokio::time::interval(interval));
            loop {
                let hup_fut = async {
                    #[cfg(unix)]
                    if let Some(h) = hup.as_mut() {
                        h.recv().await;
                        return;
                    }
                    std::future::pending::<()>().await
                };
                let tick_fut = async {
                    match tick.as_mut() {
                        Some(t) => {
                            t.tick().await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                };
                tokio::select! {
                    _ = hup_fut => {},
                    _ = tick_fut => {},
                }
                let Some(store) = store.upgrade() else { return };
                if let Err(e) = store.reload() {
                    tracing::error!(error = %e, "policy not reloaded; the previous policy stays in force");
                }
            }
        });
    }
}

fn read(path: &Path) -> Result<String, PolicyError> {
    std::fs::read_to_string(path).map_err(|e| PolicyError(format!("{}: {e}", path.display())))
}
