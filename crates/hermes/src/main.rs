use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = hermes::cli::Cli::parse();
    match hermes::cli::run(cli).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
