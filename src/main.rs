//! `rampart`: one binary, one subcommand per job.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// mimalloc: the proxies allocate and free small buffers and header maps per request, where it
/// is measurably cheaper than glibc malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// rampart: L4/L7 load balancer and Kubernetes ingress proxy.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Json, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Text,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the L7 proxy (the embedded quickstart config when --config is not given).
    Proxy(cmd::proxy::Args),
    /// Validate a config file like `nginx -t`: every problem listed, non-zero exit on error.
    Check(cmd::check::Args),
    /// The WAF rule engine as a tool: run CRS-style regression tests, evaluate a request.
    Waf(cmd::waf::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let result = match cli.command {
        Command::Proxy(args) => cmd::proxy::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Waf(args) => cmd::waf::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rampart: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RAMPART_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).init(),
        LogFormat::Text => builder.init(),
    }
}
