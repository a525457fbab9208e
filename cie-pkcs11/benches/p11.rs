//! The PKCS#11 module's safe API in-process against the simulator (DESIGN.md §3): a `C_Sign`
//! round trip after login (host and simulated card, 3 APDUs), and the object queries
//! `C_FindObjects` / `C_GetAttributeValue`, which send no APDU.

use std::hint::black_box;
use std::time::Duration;

use cie_pkcs11::backend::InProcessBackend;
use cie_pkcs11::{AttrAnswer, Config, Module, Output};
use cie_sim::image::SodProfile;
use cie_sim::{fixtures, Profile, SimCard, SimHandle, SimOptions};
use criterion::{criterion_group, criterion_main, Criterion};
use cryptoki_sys::*;

fn module() -> (Module, CK_SESSION_HANDLE) {
    let card = SimHandle::new(SimCard::new(
        Profile::Nxp,
        fixtures::card_image(SodProfile::Sha256Pkcs1),
        SimOptions::default(),
    ));
    let backend = InProcessBackend::new();
    backend.add_reader("Simulated Reader 00", move || Ok(Box::new(card.connect())));
    let m = Module::with_backend(backend, Config::without_cache());
    m.initialize(None).unwrap();
    let s = m.open_session(0, CKF_SERIAL_SESSION).unwrap();
    m.login(s, CKU_USER, fixtures::TEST_PIN.as_bytes()).unwrap();
    (m, s)
}

fn find(m: &Module, s: CK_SESSION_HANDLE, class: CK_OBJECT_CLASS) -> Vec<CK_OBJECT_HANDLE> {
    m.find_init(s, &[(CKA_CLASS, class.to_ne_bytes().to_vec())]).unwrap();
    let found = m.find_next(s, 8).unwrap();
    m.find_final(s).unwrap();
    found
}

fn bench_p11(c: &mut Criterion) {
    let (m, s) = module();
    let key = find(&m, s, CKO_PRIVATE_KEY)[0];
    let cert = find(&m, s, CKO_CERTIFICATE)[0];

    let mut g = c.benchmark_group("pkcs11_in_process");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    g.bench_function("C_SignInit+C_Sign/sha256_rsa_pkcs", |b| {
        b.iter(|| {
            m.sign_init(s, CKM_SHA256_RSA_PKCS, false, key).unwrap();
            match m.sign(s, black_box(b"TLS 1.2 handshake messages"), Some(256)).unwrap() {
                Output::Bytes(sig) => sig,
                other => panic!("{other:?}"),
            }
        })
    });
    g.bench_function("C_FindObjects/private_key", |b| b.iter(|| find(&m, s, black_box(CKO_PRIVATE_KEY))));
    g.bench_function("C_FindObjects/all", |b| {
        b.iter(|| {
            m.find_init(s, &[]).unwrap();
            let all = m.find_next(s, 16).unwrap();
            m.find_final(s).unwrap();
            all
        })
    });
    g.bench_function("C_GetAttributeValue/certificate_value", |b| {
        b.iter(|| {
            let (a, _) = m.attribute_values(s, cert, &[(CKA_VALUE, Some(4096))]).unwrap();
            assert!(matches!(a.first(), Some(AttrAnswer::Value(_))));
            a
        })
    });
    g.bench_function("C_GetAttributeValue/key_attributes", |b| {
        b.iter(|| {
            m.attribute_values(
                s,
                key,
                &[(CKA_ID, Some(64)), (CKA_LABEL, Some(128)), (CKA_MODULUS, Some(512)), (CKA_SIGN, Some(1))],
            )
            .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_p11);
criterion_main!(benches);
