//! `rampart waf`: the rule engine as a tool. `test` runs CRS-style (go-ftw YAML) regression
//! tests in-process; `eval` runs one request and prints the rules it matched.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use waf_rules::crs::{self, CrsLayout, CrsMode};
use waf_rules::engine::{Connection, RuleSet, Transaction};
use waf_rules::ftw::{self, Filter, IgnoreList, Runner, Suite, Verdict, WafTarget};
use waf_rules::request::RawRequest;

/// `rampart waf ...`
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: WafCommand,
}

#[derive(Debug, Subcommand)]
enum WafCommand {
    /// Run go-ftw YAML regression tests (the CRS suite) in-process, without a network server.
    Test(TestArgs),
    /// Evaluate one request and print the rules it matched.
    Eval(EvalArgs),
}

#[derive(Debug, ClapArgs)]
struct TestArgs {
    /// A SecLang file, or a CRS checkout (loaded as the CRS regression tests expect:
    /// DetectionOnly, blocking paranoia level 4).
    #[arg(long)]
    rules: PathBuf,
    /// Directory of test YAML files (searched recursively).
    #[arg(long)]
    tests: PathBuf,
    /// Only tests of this rule id prefix (`942`), rule (`942100`) or test (`942100-3`).
    #[arg(long)]
    filter: Option<String>,
    /// Tests not to run, each with a reason (`ignore: [{test: 920100-4, reason: ...}]`).
    #[arg(long)]
    ignore: Option<PathBuf>,
    /// A go-ftw overrides file (`test_overrides:`).
    #[arg(long)]
    overrides: Option<PathBuf>,
    /// Print passing tests too.
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Mode {
    /// Rules log and block.
    Blocking,
    /// Rules only log.
    DetectionOnly,
}

#[derive(Debug, ClapArgs)]
struct EvalArgs {
    /// A SecLang file, or a CRS checkout (loaded at --paranoia).
    #[arg(long)]
    rules: PathBuf,
    /// Paranoia level when --rules is a CRS checkout.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=4))]
    paranoia: u8,
    /// Engine mode (overrides SecRuleEngine).
    #[arg(long, value_enum, default_value_t = Mode::Blocking)]
    mode: Mode,
    /// A raw HTTP request file (`-` for stdin) instead of REQUEST.
    #[arg(long, conflicts_with = "request")]
    file: Option<PathBuf>,
    /// A request line, `GET /path?q=1` (HTTP/1.1 is added when no version is given).
    request: Option<String>,
    /// A request header, `Name: value` (repeatable). `Host: localhost` is added when missing.
    #[arg(long = "header", short = 'H')]
    headers: Vec<String>,
    /// A request body (a Content-Length header is added).
    #[arg(long, short = 'd')]
    data: Option<String>,
    /// Print the JSON audit entry instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Runs the subcommand.
pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        WafCommand::Test(a) => test(a),
        WafCommand::Eval(a) => eval(a),
    }
}

/// Loads `path`: a CRS checkout in `mode`, or a SecLang file as it is.
fn load(path: &Path, mode: CrsMode) -> Result<RuleSet> {
    if path.is_dir() {
        let Some(layout) = CrsLayout::find(path) else {
            bail!("{}: a directory must be a CRS checkout (crs-setup.conf[.example] and rules/)", path.display());
        };
        let text = crs::config(&layout, mode);
        return RuleSet::from_str(&format!("{} (CRS)", path.display()), &text, path).map_err(Into::into);
    }
    RuleSet::from_file(path).map_err(Into::into)
}

fn test(a: TestArgs) -> Result<ExitCode> {
    let rules = load(&a.rules, CrsMode::RegressionTests).context("loading rules")?;
    let suite = Suite::load_dir(&a.tests).with_context(|| format!("loading tests from {}", a.tests.display()))?;
    let target = WafTarget::new(Arc::new(rules));
    let mut runner = Runner::new(&target);
    if let Some(p) = &a.overrides {
        runner = runner.with_overrides(ftw::load::load_overrides(p)?);
    }
    if let Some(p) = &a.ignore {
        runner = runner.with_ignore(IgnoreList::load(p)?);
    }
    if let Some(f) = &a.filter {
        runner = runner.with_filter(Filter::parse(f).map_err(|e| anyhow::anyhow!("--filter: {e}"))?);
    }
    let report = runner.run(&suite);
    let mut out = std::io::stdout().lock();
    for r in &report.results {
        let show = a.verbose || matches!(r.verdict, Verdict::Failed { .. });
        if show {
            writeln!(out, "{r}")?;
        }
    }
    for id in &report.stale_ignores {
        writeln!(out, "warning: ignore list names {id}, which is not in the suite")?;
    }
    let summary = report.summary();
    writeln!(out, "{summary}")?;
    Ok(if summary.failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn eval(a: EvalArgs) -> Result<ExitCode> {
    let rules = load(&a.rules, CrsMode::Paranoia(a.paranoia)).context("loading rules")?;
    let raw = match (&a.file, &a.request) {
        (Some(p), _) if p.as_os_str() == "-" => {
            let mut v = Vec::new();
            std::io::stdin().read_to_end(&mut v)?;
            v
        }
        (Some(p), _) => std::fs::read(p).with_context(|| format!("reading {}", p.display()))?,
        (None, Some(line)) => build_request(line, &a.headers, a.data.as_deref()),
        (None, None) => bail!("give a request line (`GET /?q=x`) or --file"),
    };
    let request = RawRequest::parse(&raw).map_err(|e| anyhow::anyhow!("the request is not valid HTTP/1.x: {e}"))?;
    let conn = Connection {
        client_ip: "127.0.0.1".into(),
        client_port: 40000,
        server_ip: "127.0.0.1".into(),
        server_port: 80,
        unique_id: "eval".into(),
    };
    let mut tx = Transaction::new(&rules, &conn);
    tx.set_mode(match a.mode {
        Mode::Blocking => waf_rules::actions::RuleEngine::On,
        Mode::DetectionOnly => waf_rules::actions::RuleEngine::DetectionOnly,
    });
    let headers = request.headers.iter().map(|(n, v)| (n.as_slice(), v.as_slice()));
    let mut decision = tx.process_request_headers(&request.method, &request.uri, &request.protocol, headers);
    if decision.is_none() {
        decision = tx.process_request_body(&request.body, false);
    }
    tx.process_logging();
    let mut out = std::io::stdout().lock();
    if a.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&tx.audit_entry())?)?;
        return Ok(ExitCode::SUCCESS);
    }
    for m in tx.matched().iter().filter(|m| m.log) {
        writeln!(out, "{:>6}  {}", m.id, m.msg)?;
        if !m.data.is_empty() {
            writeln!(out, "        {}", m.data)?;
        }
    }
    let score = tx.tx("blocking_inbound_anomaly_score").map(|v| String::from_utf8_lossy(v).into_owned());
    match &decision {
        Some(i) if i.drop => writeln!(out, "decision: drop (rule {})", i.rule_id)?,
        Some(i) => writeln!(out, "decision: {} (rule {})", i.status, i.rule_id)?,
        None => writeln!(out, "decision: pass")?,
    }
    if let Some(s) = score {
        writeln!(out, "inbound anomaly score: {s}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A raw request from a request line, headers and a body.
fn build_request(line: &str, headers: &[String], data: Option<&str>) -> Vec<u8> {
    let mut line = line.trim().to_owned();
    if line.split_whitespace().count() == 2 {
        line.push_str(" HTTP/1.1");
    }
    let mut out = format!("{line}\r\n");
    let has =
        |name: &str| headers.iter().any(|h| h.split(':').next().is_some_and(|n| n.trim().eq_ignore_ascii_case(name)));
    if !has("host") {
        out.push_str("Host: localhost\r\n");
    }
    for h in headers {
        out.push_str(h.trim());
        out.push_str("\r\n");
    }
    if let Some(d) = data {
        if !has("content-type") {
            out.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        out.push_str(&format!("Content-Length: {}\r\n", d.len()));
    }
    out.push_str("\r\n");
    out.push_str(data.unwrap_or(""));
    out.into_bytes()
}
