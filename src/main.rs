use clap::Parser;

// glibc malloc showed up as ~10% of the like path's CPU under load (perf,
// docs/benchmarks.md); mimalloc's thread-local free lists cut that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    match b24im::cli::run(b24im::cli::Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The message and its causes, never a backtrace: what an operator
            // needs is what went wrong and which flag changes it.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
