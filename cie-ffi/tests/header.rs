//! The committed `include/cie.h` must be exactly what cbindgen generates from the crate now.
//! Regenerate with `cargo xtask header`.

use std::path::Path;

#[test]
fn committed_header_is_up_to_date() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).unwrap();
    let bindings = cbindgen::Builder::new().with_crate(crate_dir).with_config(config).generate().unwrap();
    let mut fresh = Vec::new();
    bindings.write(&mut fresh);
    let committed = std::fs::read(crate_dir.join("../include/cie.h")).unwrap_or_default();
    if fresh != committed {
        // Leave the fresh header next to the build output to make the difference easy to see.
        let out = std::env::temp_dir().join(format!("cie.h.fresh-{}", std::process::id()));
        std::fs::write(&out, &fresh).unwrap();
        panic!("include/cie.h is stale: run `cargo xtask header` and commit it (fresh copy: {})", out.display());
    }
    let text = String::from_utf8(fresh).unwrap();
    for item in ["cie_card_open", "cie_card_sign", "CIE_ERR_WRONG_PIN", "cie_last_error", "typedef struct cie_card"] {
        assert!(text.contains(item), "{item} missing from the header");
    }
}
