//! `gateway`: parse arguments, run the command, report errors. Everything
//! the commands do is in the library (so tests build the same app); what
//! only a process needs (the allocator, `anyhow`, the exit code) is here.

mod cli;
mod run;

use std::process::ExitCode;

use clap::Parser;

// A GraphQL answer allocates per field, and glibc's allocator spent a fifth
// of a page's CPU time there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match run::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gateway: {e:#}");
            ExitCode::FAILURE
        }
    }
}
