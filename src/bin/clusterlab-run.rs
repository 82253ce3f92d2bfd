//! `clusterlab-run`: run a scenario file headless and print a JSON report.
//!
//! Usage: `clusterlab-run SCENARIO.json [--seed N] [--duration-ms N] [--requests N]`
//! (`--requests`: stop once that many shopper requests have completed).
//! Prints the report (metrics, invariant verdicts, seed, trace hash) on
//! stdout; a bad file or argument prints a clear message on stderr and exits
//! with status 2. The exit status is 1 if any `always` invariant broke.

use clusterlab::scenario::{self, Scenario};
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage: clusterlab-run SCENARIO.json [--seed N] [--duration-ms N] [--requests N]";

struct Args {
    path: String,
    seed: Option<u64>,
    duration_ms: Option<u64>,
    requests: Option<u64>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut path = None;
    let mut seed = None;
    let mut duration_ms = None;
    let mut requests = None;
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let value = args.next().ok_or(format!("{name} needs a value"))?;
            value.parse::<u64>().map_err(|_| format!("{name} takes a whole number, not `{value}`"))
        };
        match arg.as_str() {
            "--seed" => seed = Some(number("--seed")?),
            "--duration-ms" => duration_ms = Some(number("--duration-ms")?),
            "--requests" => requests = Some(number("--requests")?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            flag if flag.starts_with("--") => return Err(format!("unknown option `{flag}`\n{USAGE}")),
            file if path.is_none() => path = Some(file.to_string()),
            extra => return Err(format!("unexpected argument `{extra}`\n{USAGE}")),
        }
    }
    let path = path.ok_or_else(|| USAGE.to_string())?;
    Ok(Args { path, seed, duration_ms, requests })
}

fn load(args: &Args) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(&args.path).map_err(|e| format!("cannot read {}: {e}", args.path))?;
    let mut s = scenario::parse(&text).map_err(|e| format!("{}: {e}", args.path))?;
    if let Some(seed) = args.seed {
        s.seed = seed;
    }
    if let Some(duration_ms) = args.duration_ms {
        s.duration_ms = duration_ms;
    }
    scenario::validate::check(&s).map_err(|e| format!("{}: {e}", args.path))?;
    Ok(s)
}

fn main() -> ExitCode {
    let loaded = parse_args(std::env::args().skip(1)).and_then(|a| load(&a).map(|s| (s, a.requests)));
    let (scenario, requests) = match loaded {
        Ok(s) => s,
        Err(message) => {
            eprintln!("clusterlab-run: {message}");
            return ExitCode::from(2);
        }
    };
    let report = scenario::run_limited(&scenario, requests);
    match serde_json::to_string_pretty(&report) {
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Ok(json) => drop(writeln!(std::io::stdout().lock(), "{json}")),
        Err(e) => {
            eprintln!("clusterlab-run: cannot write the report: {e}");
            return ExitCode::from(2);
        }
    }
    let broken = report.invariants.iter().any(|i| i.kind == "always" && !i.holds);
    if broken { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
