//! The citizen-facing messages in Italian and in English (src/i18n.rs): the same error and
//! success paths run through the real binary and pcscd with `LANG=it_IT.UTF-8` and with
//! `LANG=C`. The words change; exit codes and `--json` output do not. `LC_ALL` and
//! `LC_MESSAGES` take precedence over `LANG`.

mod cli_util;

use cli_util::*;

const ITALIAN: &[(&str, &str)] = &[("LANG", "it_IT.UTF-8")];
const ENGLISH: &[(&str, &str)] = &[("LANG", "C")];

fn run_sign(card: &Card, locale: &[(&str, &str)], json: bool, pin: &str) -> Run {
    let (input, out) = (readme(), card.path("sig"));
    let mut args = vec!["sign", "--pin-stdin", "-i", input.to_str().unwrap(), "-o", out.to_str().unwrap()];
    if json {
        args.insert(0, "--json");
    }
    card.cie_in(locale, &args, pin)
}

/// A signature with the right PIN: the card's counter is back to 3 tries.
fn reset_tries(card: &Card) {
    let r = run_sign(card, ENGLISH, false, TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
}

#[test]
fn wrong_pin_in_both_languages() {
    let card = Card::start("i18n-pin");
    let en = run_sign(&card, ENGLISH, false, "00000000");
    reset_tries(&card);
    let it = run_sign(&card, ITALIAN, false, "00000000");
    reset_tries(&card);
    assert_eq!(en.code, Some(3), "{en:?}");
    assert_eq!(it.code, en.code, "{it:?}");
    assert!(en.stderr.contains("error: wrong PIN: 2 tries left"), "{en:?}");
    assert!(en.stderr.contains("hint: check the PIN (8 digits: the first 4 digits are on the receipt"), "{en:?}");
    assert!(it.stderr.contains("errore: PIN errato: restano 2 tentativi"), "{it:?}");
    assert!(
        it.stderr.contains("suggerimento: controlla il PIN (8 cifre: le prime 4 cifre sono sulla ricevuta"),
        "{it:?}"
    );
    assert!(it.stderr.contains("cie: apertura del canale sicuro e verifica del PIN..."), "progress too: {it:?}");
    assert!(!it.stderr.contains("wrong PIN") && !it.stderr.contains("hint:"), "{it:?}");

    // Three wrong PINs in a row block it; the PUK unblocks it.
    for _ in 0..2 {
        assert_eq!(run_sign(&card, ENGLISH, false, "00000000").code, Some(3));
    }
    let it = run_sign(&card, ITALIAN, false, "00000000");
    assert_eq!(it.code, Some(4), "three wrong PINs in a row block it: {it:?}");
    assert!(it.stderr.contains("errore: PIN bloccato"), "{it:?}");
    assert!(it.stderr.contains("sblocca il PIN con il PUK: cie pin unblock"), "{it:?}");
    let r = card.cie_in(ITALIAN, &["pin", "unblock", "--pin-stdin"], &format!("{TEST_PUK}\n{TEST_PIN}\n"));
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.stdout.trim(), "PIN sbloccato e impostato; ha di nuovo 3 tentativi", "{r:?}");

    // Unblocked: 3 tries again.
    let en = run_sign(&card, ENGLISH, false, "00000000");
    let en_last = run_sign(&card, ENGLISH, false, "00000000");
    reset_tries(&card);
    let it = run_sign(&card, ITALIAN, false, "00000000");
    let it_last = run_sign(&card, ITALIAN, false, "00000000");
    reset_tries(&card);
    assert!(en.stderr.contains("wrong PIN: 2 tries left"), "{en:?}");
    assert!(en_last.stderr.contains("wrong PIN: 1 try left"), "{en_last:?}");
    assert!(en_last.stderr.contains("one more wrong try blocks it"), "{en_last:?}");
    assert!(it.stderr.contains("PIN errato: restano 2 tentativi"), "{it:?}");
    assert!(it_last.stderr.contains("PIN errato: resta 1 tentativo"), "{it_last:?}");
    assert!(it_last.stderr.contains("un altro tentativo errato lo blocca"), "{it_last:?}");
    assert_eq!((it.code, it_last.code), (en.code, en_last.code));

    // --json: the same object, in English, whatever the language.
    let en = run_sign(&card, ENGLISH, true, "00000000");
    reset_tries(&card);
    let it = run_sign(&card, ITALIAN, true, "00000000");
    reset_tries(&card);
    assert_eq!(en.code, Some(3), "{en:?}");
    assert_eq!(it.code, en.code);
    assert!(en.stdout.contains(r#""error":"wrong PIN: 2 tries left""#), "{en:?}");
    assert_eq!(it.stdout, en.stdout);
    assert!(it.stderr.contains("PIN errato"), "the person still reads Italian: {it:?}");
}

#[test]
fn info_and_card_errors_in_both_languages() {
    let mut card = Card::start("i18n-info");
    let en = card.cie_in(ENGLISH, &["info"], "");
    let it = card.cie_in(ITALIAN, &["info"], "");
    assert_eq!((en.code, it.code), (Some(0), Some(0)), "{en:?}\n{it:?}");
    assert!(en.stdout.contains("reader:       Virtual PCD 00 00"), "{en:?}");
    assert!(en.stdout.contains("PIN:          3 tries left"), "{en:?}");
    assert!(it.stdout.contains("lettore:      Virtual PCD 00 00"), "{it:?}");
    assert!(it.stdout.contains("carta:        CIE 3.0 (generazione NXP"), "{it:?}");
    assert!(it.stdout.contains(&format!("NIS:          {TEST_NIS}")), "{it:?}");
    assert!(it.stdout.contains("PIN:          restano 3 tentativi"), "{it:?}");
    let it = card.cie_in(ITALIAN, &["info", "--pin-stdin"], TEST_PIN);
    assert_eq!(it.code, Some(0), "{it:?}");
    assert!(it.stdout.contains(&format!("numero carta: {TEST_SERIAL}")), "{it:?}");
    assert!(it.stdout.contains("titolare:     MARIO ROSSI"), "{it:?}");

    let en = card.cie_in(ENGLISH, &["--json", "info", "--pin-stdin"], TEST_PIN);
    let it = card.cie_in(ITALIAN, &["--json", "info", "--pin-stdin"], TEST_PIN);
    assert_eq!((en.code, it.code), (Some(0), Some(0)), "{en:?}\n{it:?}");
    assert!(en.stdout.contains("\"pin_tries_left\":3") && en.stdout.contains("MARIO ROSSI"), "{en:?}");
    assert_eq!(it.stdout, en.stdout);

    // A success message: the PIN changed, then changed back.
    let r = card.cie_in(ITALIAN, &["pin", "change", "--pin-stdin"], &format!("{TEST_PIN}\n24681357\n"));
    assert_eq!((r.code, r.stdout.trim()), (Some(0), "PIN cambiato"), "{r:?}");
    let r = card.cie_in(ENGLISH, &["pin", "change", "--pin-stdin"], &format!("24681357\n{TEST_PIN}\n"));
    assert_eq!((r.code, r.stdout.trim()), (Some(0), "PIN changed"), "{r:?}");

    // No card in the reader.
    card.stack.remove_card().unwrap();
    let en = card.cie_in(ENGLISH, &["info"], "");
    let it = card.cie_in(ITALIAN, &["info"], "");
    assert_eq!(en.code, Some(5), "{en:?}");
    assert_eq!(it.code, en.code, "{it:?}");
    assert!(en.stderr.contains("error: no card in the reader"), "{en:?}");
    assert!(en.stderr.contains("hint: put the card on the reader and try again"), "{en:?}");
    assert!(it.stderr.contains("errore: carta non trovata: nessuna carta nel lettore"), "{it:?}");
    assert!(it.stderr.contains("suggerimento: appoggia la carta sul lettore e riprova"), "{it:?}");
    let en = card.cie_in(ENGLISH, &["--json", "info"], "");
    let it = card.cie_in(ITALIAN, &["--json", "info"], "");
    assert_eq!((en.code, it.code), (Some(5), Some(5)));
    assert!(en.stdout.contains(r#""error":"no card in the reader""#), "{en:?}");
    assert_eq!(it.stdout, en.stdout);
    card.stack.insert_card().unwrap();

    // No smart-card service at all.
    let en = cie_with_locale(None, ENGLISH, &["info"], "");
    let it = cie_with_locale(None, ITALIAN, &["info"], "");
    assert_eq!(en.code, Some(5), "{en:?}");
    assert_eq!(it.code, en.code, "{it:?}");
    assert!(en.stderr.contains("hint: start the smart-card service"), "{en:?}");
    assert!(it.stderr.contains("errore: il servizio delle smart card (pcscd) non è attivo"), "{it:?}");
    assert!(it.stderr.contains("suggerimento: avvia il servizio delle smart card"), "{it:?}");
    let en = cie_with_locale(None, ENGLISH, &["--json", "info"], "");
    let it = cie_with_locale(None, ITALIAN, &["--json", "info"], "");
    assert_eq!((en.code, it.code), (Some(5), Some(5)));
    assert!(en.stdout.contains("\"exit_code\":5"), "{en:?}");
    assert_eq!(it.stdout, en.stdout);
}

#[test]
fn document_verification_in_both_languages() {
    let card = Card::start("i18n-verify");
    let (input, p7m) = (readme(), card.path("readme.p7m"));
    let (input, p7m) = (input.to_str().unwrap(), p7m.to_str().unwrap());
    let r = card.cie_in(ITALIAN, &["sign", "--pin-stdin", "--format", "cades", "-i", input, "-o", p7m], TEST_PIN);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("firmato da MARIO ROSSI"), "{r:?}");

    let ca = card.path("citizen-ca.der");
    std::fs::write(&ca, cie_sim::fixtures::citizen_ca_certificate()).unwrap();
    let ca = ca.to_str().unwrap();

    // With the citizen CA: TOTAL-PASSED, exit 0.
    let en = card.cie_in(ENGLISH, &["verify", p7m, "--ca", ca], "");
    let it = card.cie_in(ITALIAN, &["verify", p7m, "--ca", ca], "");
    assert_eq!((en.code, it.code), (Some(0), Some(0)), "{en:?}\n{it:?}");
    assert!(en.stdout.contains("signature 1: VALID (TOTAL-PASSED)"), "{en:?}");
    assert!(en.stdout.contains("result: TOTAL-PASSED — all 1 signature valid"), "{en:?}");
    assert!(en.stdout.contains("(signing time claimed by the signer, not proven)"), "{en:?}");
    assert!(it.stdout.contains("firma 1: VALIDA (TOTAL-PASSED)"), "{it:?}");
    assert!(it.stdout.contains("codice fiscale:  RSSMRA80A01H501U"), "{it:?}");
    assert!(it.stdout.contains("catena:          attendibile"), "{it:?}");
    assert!(it.stdout.contains("ora dichiarata:  "), "{it:?}");
    assert!(it.stdout.contains("(ora della firma dichiarata dal firmatario, non provata)"), "{it:?}");
    assert!(it.stdout.contains("esito: TOTAL-PASSED — l'unica firma è valida"), "{it:?}");

    // No trust anchor: INDETERMINATE, exit 6; the hint says what is missing, not "altered".
    let en = card.cie_in(ENGLISH, &["verify", p7m], "");
    let it = card.cie_in(ITALIAN, &["verify", p7m], "");
    assert_eq!((en.code, it.code), (Some(6), Some(6)), "{en:?}\n{it:?}");
    assert!(en.stdout.contains("signature 1: NOT CONFIRMED: INDETERMINATE (NO_CERTIFICATE_CHAIN_FOUND)"), "{en:?}");
    assert!(
        en.stdout.contains(
            "result: INDETERMINATE (NO_CERTIFICATE_CHAIN_FOUND) — the signer's identity is not confirmed by a trusted authority"
        ),
        "{en:?}"
    );
    assert!(en.stderr.contains("hint: the signature is intact but its signer is not confirmed"), "{en:?}");
    assert!(it.stdout.contains("firma 1: NON CONFERMATA: INDETERMINATE (NO_CERTIFICATE_CHAIN_FOUND)"), "{it:?}");
    assert!(it.stdout.contains("catena:          NON VERIFICATA"), "{it:?}");
    assert!(
        it.stdout.contains(
            "esito: INDETERMINATE (NO_CERTIFICATE_CHAIN_FOUND) — l'identità del firmatario non è confermata da un'autorità attendibile"
        ),
        "{it:?}"
    );
    assert!(it.stderr.contains("suggerimento: la firma è integra ma il firmatario non è confermato"), "{it:?}");
    assert!(!en.stderr.contains("altered") && !it.stderr.contains("alterat"), "{en:?}\n{it:?}");

    // --json: the same in both languages, the verdict as ETSI tokens.
    let en = card.cie_in(ENGLISH, &["--json", "verify", p7m, "--ca", ca], "");
    let it = card.cie_in(ITALIAN, &["--json", "verify", p7m, "--ca", ca], "");
    assert_eq!((en.code, it.code), (Some(0), Some(0)));
    assert!(en.stdout.contains("\"valid\":true,\"indication\":\"TOTAL-PASSED\",\"sub_indication\":null"), "{en:?}");
    assert_eq!(it.stdout, en.stdout);
    let en = card.cie_in(ENGLISH, &["--json", "verify", p7m], "");
    let it = card.cie_in(ITALIAN, &["--json", "verify", p7m], "");
    assert_eq!((en.code, it.code), (Some(6), Some(6)));
    assert!(
        en.stdout.contains(
            "\"valid\":false,\"indication\":\"INDETERMINATE\",\"sub_indication\":\"NO_CERTIFICATE_CHAIN_FOUND\""
        ),
        "{en:?}"
    );
    assert_eq!(it.stdout, en.stdout);

    // Not a signature at all: the library's detail stays as it is, the frame is Italian.
    let en = card.cie_in(ENGLISH, &["verify", input], "");
    let it = card.cie_in(ITALIAN, &["verify", input], "");
    assert_eq!(en.code, Some(1), "{en:?}");
    assert_eq!(it.code, en.code, "{it:?}");
    assert!(en.stderr.contains("hint: check that the file is a PDF or a CAdES"), "{en:?}");
    assert!(it.stderr.contains("errore: impossibile elaborare il documento: "), "{it:?}");
    assert!(it.stderr.contains("suggerimento: controlla che il file sia un PDF o una firma CAdES"), "{it:?}");
    let en = card.cie_in(ENGLISH, &["--json", "verify", input], "");
    let it = card.cie_in(ITALIAN, &["--json", "verify", input], "");
    assert_eq!((en.code, it.code), (Some(1), Some(1)));
    assert_eq!(it.stdout, en.stdout);
}

#[test]
fn usage_errors_in_both_languages() {
    let card = Card::start("i18n-usage");
    // A PIN on the command line: refused by the parser (clap's own frame stays English).
    let en = card.cie_in(ENGLISH, &["--pin", "12345678", "info"], "");
    let it = card.cie_in(ITALIAN, &["--pin", "12345678", "info"], "");
    assert_eq!(en.code, Some(2), "{en:?}");
    assert_eq!(it.code, en.code, "{it:?}");
    assert!(en.stderr.contains("--pin: PIN and PUK are never taken from the command line"), "{en:?}");
    assert!(it.stderr.contains("--pin: PIN e PUK non vanno mai scritti sulla riga di comando"), "{it:?}");
    assert!(!it.stderr.contains("12345678") && !en.stderr.contains("12345678"));

    // A PIN of the wrong form: refused before the card sees it.
    let en = card.cie_in(ENGLISH, &["pin", "change", "--pin-stdin"], "1234\n24681357\n");
    let it = card.cie_in(ITALIAN, &["pin", "change", "--pin-stdin"], "1234\n24681357\n");
    assert_eq!(en.code, Some(2), "{en:?}");
    assert_eq!(it.code, en.code, "{it:?}");
    assert!(en.stderr.contains("error: PIN must be exactly 8 digits"), "{en:?}");
    assert!(it.stderr.contains("errore: il PIN deve avere esattamente 8 cifre"), "{it:?}");
    assert!(it.stderr.contains("suggerimento: PIN e PUK hanno 8 cifre ciascuno"), "{it:?}");
    let en = card.cie_in(ENGLISH, &["--json", "pin", "change", "--pin-stdin"], "1234\n");
    let it = card.cie_in(ITALIAN, &["--json", "pin", "change", "--pin-stdin"], "1234\n");
    assert_eq!((en.code, it.code), (Some(2), Some(2)));
    assert!(en.stdout.contains(r#""error":"PIN must be exactly 8 digits""#), "{en:?}");
    assert_eq!(it.stdout, en.stdout);

    // Standard input ending before the new PIN.
    let it = card.cie_in(ITALIAN, &["pin", "change", "--pin-stdin"], &format!("{TEST_PIN}\n"));
    assert_eq!(it.code, Some(2), "{it:?}");
    assert!(it.stderr.contains("lo standard input è finito prima del PIN"), "{it:?}");
    // None of these spent a try.
    let r = card.cie_in(ITALIAN, &["info"], "");
    assert!(r.stdout.contains("restano 3 tentativi"), "{r:?}");
}

#[test]
fn lc_all_and_lc_messages_take_precedence_over_lang() {
    let card = Card::start("i18n-precedence");
    let italian = |r: &Run| r.stdout.contains("PIN:          restano 3 tentativi");
    let english = |r: &Run| r.stdout.contains("PIN:          3 tries left");
    let cases: [(&[(&str, &str)], bool); 6] = [
        (&[("LC_ALL", "C"), ("LANG", "it_IT.UTF-8")], false),
        (&[("LC_ALL", "it_IT.UTF-8"), ("LANG", "en_US.UTF-8")], true),
        (&[("LC_MESSAGES", "it_IT.UTF-8"), ("LANG", "C")], true),
        (&[("LC_ALL", "en_GB.UTF-8"), ("LC_MESSAGES", "it_IT.UTF-8")], false),
        // An empty variable counts as unset.
        (&[("LC_ALL", ""), ("LC_MESSAGES", ""), ("LANG", "it_CH.UTF-8")], true),
        (&[], false),
    ];
    for (locale, is_italian) in cases {
        let r = card.cie_in(locale, &["info"], "");
        assert_eq!(r.code, Some(0), "{locale:?}: {r:?}");
        assert!(if is_italian { italian(&r) } else { english(&r) }, "{locale:?}: {r:?}");
    }
}
