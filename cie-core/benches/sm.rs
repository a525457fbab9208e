//! Secure-messaging primitives (PROTOCOL.md §5): protecting and unprotecting the commands and
//! answers of a signature and of a file read, on the host's side and on the card's.

use std::hint::black_box;

use cie_core::apdu::Command;
use cie_core::sign::{digest_info_of, HashAlg};
use cie_core::sm::{self, SmKeys, Ssc};
use cie_core::StatusWord;
use criterion::{criterion_group, criterion_main, Criterion};

fn keys() -> SmKeys {
    SmKeys::new(*b"0123456789abcdef", *b"fedcba9876543210")
}

const SSC: Ssc = Ssc([0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]);

fn bench_sm(c: &mut Criterion) {
    let keys = keys();
    let mut g = c.benchmark_group("sm");

    // The signature command: INTERNAL AUTHENTICATE with a SHA-256 DigestInfo (51 bytes).
    let int_auth = Command::new(0x00, 0x88, 0x00, 0x00).with_data(digest_info_of(HashAlg::Sha256, b"data"));
    g.bench_function("protect_command/int_auth_51B", |b| {
        b.iter(|| sm::protect_command(&keys, &mut SSC.clone(), black_box(&int_auth)))
    });
    let protected = sm::protect_command(&keys, &mut SSC.clone(), &int_auth);
    assert!(sm::unprotect_command(&keys, &mut SSC.clone(), &protected).is_ok());
    g.bench_function("unprotect_command/int_auth_51B", |b| {
        b.iter(|| sm::unprotect_command(&keys, &mut SSC.clone(), black_box(&protected)))
    });

    // Its answer: a 256-byte signature; and a 231-byte READ BINARY chunk.
    for (name, len) in [("signature_256B", 256usize), ("read_chunk_231B", 231)] {
        let data = vec![0x5A; len];
        g.bench_function(format!("protect_response/{name}"), |b| {
            b.iter(|| sm::protect_response(&keys, &mut SSC.clone(), black_box(&data), StatusWord::OK))
        });
        let mut card_ssc = SSC;
        card_ssc.increment();
        let body = sm::protect_response(&keys, &mut card_ssc, &data, StatusWord::OK);
        let mut host_ssc = SSC;
        host_ssc.increment();
        assert!(sm::unprotect_response(&keys, &mut host_ssc.clone(), &body).is_ok());
        g.bench_function(format!("unprotect_response/{name}"), |b| {
            b.iter(|| sm::unprotect_response(&keys, &mut host_ssc.clone(), black_box(&body)))
        });
    }

    // A status-only answer (MSE SET, VERIFY).
    let mut card_ssc = SSC;
    let body = sm::protect_response(&keys, &mut card_ssc, &[], StatusWord::OK);
    assert!(sm::unprotect_response(&keys, &mut SSC.clone(), &body).is_ok());
    g.bench_function("unprotect_response/status_only", |b| {
        b.iter(|| sm::unprotect_response(&keys, &mut SSC.clone(), black_box(&body)))
    });
    g.finish();
}

criterion_group!(benches, bench_sm);
criterion_main!(benches);
