use clap::Parser;

// glibc malloc showed up as ~10% of the like path's CPU under load (perf,
// docs/benchmarks.md); mimalloc's thread-local free lists cut that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    b24im::cli::run(b24im::cli::Cli::parse())
}
