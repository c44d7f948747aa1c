use clap::Parser;

#[tokio::main]
async fn main() {
    // Two rustls crypto providers are compiled in (ring through reqwest
    // 0.12, aws-lc-rs elsewhere), so rustls cannot pick one itself: name
    // the process default, for TLS clients that do not choose their own
    // (tungstenite connecting to a `wss://` stream in `hermes simulate`).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = hermes::cli::Cli::parse();
    match hermes::cli::run(cli).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
