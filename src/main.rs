use clap::Parser;

fn main() -> anyhow::Result<()> {
    b24im::cli::run(b24im::cli::Cli::parse())
}
