//! Regenerates the committed test PKI and card personalisation in `cie-sim/fixtures/`
//! (see `cie_sim::pki`). Deterministic: rerunning writes byte-identical files.
//!
//! `cargo run --release -p cie-sim --example gen_fixtures`

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    std::fs::create_dir_all(&dir)?;
    let fixtures = cie_sim::pki::generate()?;
    for (name, content) in fixtures.files() {
        std::fs::write(dir.join(name), content)?;
        println!("{name}: {} bytes", content.len());
    }
    Ok(())
}
