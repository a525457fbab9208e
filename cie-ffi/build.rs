//! Gives `libcie.so` its SONAME, `libcie.so.<ABI version>` (the constant `CIE_ABI_VERSION` in
//! src/lib.rs, read here so the two cannot disagree), so that installed programs bind to an
//! ABI and not to whatever `libcie.so` is found.

fn main() {
    println!("cargo:rerun-if-changed=src/lib.rs");
    let lib = std::fs::read_to_string("src/lib.rs").expect("reading src/lib.rs");
    let abi = lib
        .lines()
        .find_map(|l| l.strip_prefix("pub const CIE_ABI_VERSION: std::ffi::c_int = "))
        .and_then(|rest| rest.strip_suffix(';'))
        .expect("CIE_ABI_VERSION in src/lib.rs");
    let abi: u32 = abi.trim().parse().expect("CIE_ABI_VERSION is a number");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcie.so.{abi}");
    }
}
