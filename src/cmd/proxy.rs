//! `rampart proxy`: runs the L7 proxy, re-reads its config on SIGHUP and when the file
//! changes, and shuts down gracefully on SIGTERM/SIGINT.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use proxy::Proxy;
use tokio::signal::unix::{signal, SignalKind};

/// The embedded default config, used when `--config` is not given.
pub const QUICKSTART: &str = include_str!("../../deploy/examples/quickstart.yaml");

/// Arguments of `rampart proxy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Config file; the embedded quickstart config when absent.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// How often to check the config file for changes (0s disables the watch; SIGHUP works
    /// regardless).
    #[arg(long, default_value = "1s")]
    pub watch_interval: model::Duration,
    /// How long in-flight requests may take to finish on SIGTERM.
    #[arg(long, default_value = "30s")]
    pub shutdown_grace: model::Duration,
}

/// Runs until SIGTERM or SIGINT.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = if args.threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()?
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        if args.threads > 1 {
            b.worker_threads(args.threads);
        }
        b.enable_all().build()?
    };
    rt.block_on(serve(args))
}

fn load(path: Option<&PathBuf>) -> Result<model::Snapshot, model::LoadError> {
    match path {
        Some(p) => model::load_file(p),
        None => model::load_str(QUICKSTART),
    }
}

async fn serve(args: Args) -> anyhow::Result<ExitCode> {
    let snapshot = load(args.config.as_ref()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let source = args.config.as_ref().map_or("embedded quickstart".to_owned(), |p| p.display().to_string());
    let proxy = Arc::new(Proxy::start(snapshot).await.context("starting the proxy")?);
    tracing::info!(config = %source, admin = ?proxy.admin_addr().await, "rampart proxy running");

    if let Some(path) = args.config.clone() {
        tokio::spawn(watch_reloads(proxy.clone(), path, args.watch_interval.get()));
    }

    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = int.recv() => tracing::info!("SIGINT: shutting down"),
    }
    let clean = proxy.shutdown(args.shutdown_grace.get()).await;
    tracing::info!(clean, "stopped");
    Ok(ExitCode::SUCCESS)
}

/// Re-reads the config on SIGHUP and whenever its bytes change.
async fn watch_reloads(proxy: Arc<Proxy>, path: PathBuf, every: Duration) {
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        tracing::error!("cannot listen for SIGHUP; reload by file change only");
        return;
    };
    let mut last = tokio::fs::read(&path).await.ok();
    let poll = !every.is_zero();
    let mut tick = tokio::time::interval(if poll { every } else { Duration::from_secs(3600) });
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let forced = tokio::select! {
            _ = hup.recv() => true,
            _ = tick.tick(), if poll => false,
        };
        let current = tokio::fs::read(&path).await.ok();
        if !forced && current == last {
            continue;
        }
        last = current;
        reload(&proxy, &path, if forced { "SIGHUP" } else { "file changed" }).await;
    }
}

async fn reload(proxy: &Proxy, path: &Path, why: &str) {
    let snapshot = match model::load_file(path) {
        Ok(s) => s,
        Err(e) => {
            proxy.record_rejected_config();
            tracing::error!(reason = why, error = %e, "config rejected; the running config stays");
            return;
        }
    };
    let generation = snapshot.generation();
    match proxy.apply(snapshot).await {
        Ok(()) => tracing::info!(reason = why, generation, "config reloaded"),
        Err(e) => tracing::error!(reason = why, error = %e, "config rejected; the running config stays"),
    }
}
