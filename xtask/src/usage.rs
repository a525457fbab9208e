//! The text of `cargo xtask --help`, which unknown options also point to.

/// The commands and their options.
pub(crate) const USAGE: &str = "usage: cargo xtask COMMAND

commands:
  test [ARGS]        install missing packages, check fmt, clippy (-D warnings) and docs
                     (-D warnings), build the workspace, run all tests
                     (ARGS go to `cargo test --workspace`); without ARGS also build the
                     Debian packages and test them (lintian, p11-kit-proxy)
  demo [--profile NAME] [--latency realistic|none] [--pin PIN] [--sod sha256|sha512] [--atr HEX]
                     run `cie demo` against the simulated card behind an isolated pcscd
                     (installs pcscd, vsmartcard-vpcd, libpcsclite-dev, pkg-config, iproute2
                     if missing, with sudo when not root; needs no root otherwise)
  demo-as-user [USER]
                     as root (CI): create USER (default ciedemo) and run `cargo xtask demo`
                     as that user on a copy of the tree
  with-card [--profile NAME] [--latency realistic|none] [--pin PIN] [--puk PUK]
            [--sod sha256|sha512] [--atr HEX] [--foreign other|cns|bank|passport|bare]
            [--release] [--control FIFO] -- CMD ARGS...
                     run CMD with PCSCLITE_CSOCK_NAME pointing at an isolated pcscd whose
                     reader \"Virtual PCD 00 00\" holds the simulated card (presenting --atr;
                     --foreign: a card that is not a CIE, see cie-sim --help); with --control,
                     lines written to FIFO drive the card: `echo remove > FIFO`, `echo insert
                     > FIFO` (created if missing; see cie-sim --help)
  bench-latency [-n N] [--latency realistic|none]
                     per-APDU latency through pcscd (both models unless one is named)
  bench-report [--latency realistic|none] [--no-tls] [--no-browsers] [--criterion] [--svg PATH]
                     Markdown table of the user-visible operations through pcscd: APDUs,
                     bytes, host CPU, wall time (both latency models unless one is named);
                     Chromium and Firefox logins in a second table; an SVG chart beside the
                     official module's figures (benches/official.json), written to PATH
                     (default target/bench-report/bench.svg)
  soak [--minutes N | --seconds N] [--agent [--seed N]]
                     3 processes (8 + 1 + 1 threads) sign through the PKCS#11 module against
                     one card behind an isolated pcscd while a 4th resets the card every 3 s
                     and the card is pulled twice; checks every signature, deadlocks,
                     descriptors and memory (default 3 minutes; not part of `test`);
                     --agent: through `cie agent` (own runtime directory), 2 module processes
                     and 2 loops of fresh `cie sign` while the card is reset and pulled at
                     random (--seed repeats the schedule) and the agent is killed and restarted
                     at half time; checks every signature against the certificate, clean
                     errors, PIN tries, and the agent's descriptors and memory over time
  fuzz [--seconds N] [--target T]...
                     run the cargo-fuzz targets of fuzz/ (stable, -s none) N seconds each
                     (default 60); fails on any crash
  layers [--graph]   find import circles between the source files of each crate (fails on
                     one); --graph prints every file's imports
  fuzz-seeds         record the seed corpora fuzz/seeds/ from in-process simulator sessions
  install-deps       only install the missing system packages (and pyHanko's venv)
  header [--check]   regenerate include/cie.h with cbindgen (--check: fail if stale)
  deb [--out DIR] [--no-build] [--check]
                     build the Debian packages cie_<version>_<arch>.deb and cie-dev_... (release
                     build; default DIR target/debian); --check: lintian + p11-kit-proxy test
  man [--out DIR] [--no-build]
                     write the man pages of cie (cie.1, cie-COMMAND.1) generated from its
                     command-line definition into DIR (default target/man); groff checks them
  install [--libdir DIR] [--includedir DIR] [--p11kit-dir DIR] [--destdir DIR] [--debug]
          [--no-build] [--dry-run] [--uninstall]
                     build and install libcie_pkcs11.so with its p11-kit module file, and the
                     C API: libcie.so.N (SONAME) + libcie.so, libcie.a, cie.h, pkgconfig/cie.pc";
