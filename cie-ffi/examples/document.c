/*
 * document.c - sign and verify documents with the CIE from C, through libcie:
 * a PAdES signature of a PDF, a CAdES .p7m and a detached CAdES signature of a file,
 * then the verification of all three against the citizen CA and the extraction of the .p7m.
 * SPDX-License-Identifier: MIT OR Apache-2.0
 *
 *   cc -std=c99 -Wall -Wextra -o document document.c $(pkg-config --cflags --libs cie)
 *   ./document [-r READER] INPUT.pdf DATA CA.pem OUTDIR < pinfile
 *
 * Reads the PIN (8 digits) as one line from standard input and writes OUTDIR/signed.pdf,
 * OUTDIR/data.p7m, OUTDIR/data.p7s and OUTDIR/extracted. Check them with e.g.
 *
 *   pdfsig OUTDIR/signed.pdf
 *   openssl cms -verify -inform DER -in OUTDIR/data.p7m -CAfile CA.pem -binary -purpose any
 *
 * Each signature and each document get an ETSI EN 319 102-1 verdict: TOTAL-PASSED,
 * TOTAL-FAILED or INDETERMINATE with a sub-indication (cie_report_indication and friends).
 * The chains are checked against CA.pem plus the installed trust anchors
 * (CIE_TRUST_ANCHORS, else /etc/cie/trust-anchors/ and ~/.config/cie/trust-anchors/).
 *
 * Exit status: 0 every document TOTAL-PASSED, 1 error or a document not TOTAL-PASSED,
 * 2 usage, 3 wrong PIN.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cie.h"

static int fail(const char *what, cie_status st)
{
    fprintf(stderr, "document: %s: %s (%s)\n", what, cie_last_error(), cie_status_string(st));
    return st == CIE_ERR_WRONG_PIN ? 3 : 1;
}

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    size_t cap = 0;
    *len = 0;
    if (!f)
        return NULL;
    for (;;) {
        if (*len == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            unsigned char *n = realloc(data, ncap);
            if (!n) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = n;
            cap = ncap;
        }
        size_t got = fread(data + *len, 1, cap - *len, f);
        *len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(data);
        data = NULL;
    }
    fclose(f);
    return data;
}

static int write_file(const char *path, const unsigned char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t put = fwrite(data, 1, len, f);
    return (fclose(f) == 0 && put == len) ? 0 : -1;
}

/* One text item of signature i (size query, then the text); NULL on error. Free it. */
static char *get_text(const cie_report *r, size_t i,
                      cie_status (*get)(const cie_report *, size_t, char *, size_t *))
{
    size_t len = 0;
    if (get(r, i, NULL, &len) != CIE_OK)
        return NULL;
    char *text = malloc(len);
    if (text && get(r, i, text, &len) != CIE_OK) {
        free(text);
        return NULL;
    }
    return text;
}

/* Prints one text item of signature i when it is not empty. */
static void print_item(const cie_report *r, size_t i, const char *label,
                       cie_status (*get)(const cie_report *, size_t, char *, size_t *))
{
    char *text = get_text(r, i, get);
    if (text && text[0])
        printf("  %s: %s\n", label, text);
    free(text);
}

static const char *indication_name(cie_indication i)
{
    switch (i) {
    case CIE_INDICATION_TOTAL_PASSED:
        return "TOTAL-PASSED";
    case CIE_INDICATION_TOTAL_FAILED:
        return "TOTAL-FAILED";
    default:
        return "INDETERMINATE";
    }
}

/* Prints a report; returns 0 when the document is TOTAL-PASSED. */
static int print_report(const char *name, cie_report *r)
{
    static const char *chains[] = { "not checked", "trusted", "NOT trusted" };
    size_t n = cie_report_count(r);
    printf("%s: %zu signature(s)\n", name, n);
    for (size_t i = 0; i < n; i++) {
        int chain = cie_report_chain(r, i);
        cie_indication ind = cie_report_signature_indication(r, i);
        char *sub = get_text(r, i, cie_report_sub_indication);
        printf(" signature %zu: %s, chain %s, %s%s%s%s\n", i + 1, cie_report_valid(r, i) ? "VALID" : "NOT VALID",
               chains[chain >= 0 && chain <= 2 ? chain : 2], indication_name(ind), sub && sub[0] ? " (" : "",
               sub ? sub : "", sub && sub[0] ? ")" : "");
        free(sub);
        print_item(r, i, "signer", cie_report_signer);
        print_item(r, i, "fiscal code", cie_report_fiscal_code);
        print_item(r, i, "signing time claimed by the signer (not proven)", cie_report_signing_time);
        print_item(r, i, "problems", cie_report_problems);
    }
    char *modifications = NULL;
    size_t len = 0;
    if (cie_report_modifications(r, NULL, &len) == CIE_OK && (modifications = malloc(len)) &&
        cie_report_modifications(r, modifications, &len) == CIE_OK && modifications[0])
        printf(" modified after signing:\n%s\n", modifications);
    free(modifications);
    cie_indication verdict = cie_report_indication(r);
    char *sub = get_text(r, SIZE_MAX, cie_report_sub_indication);
    printf(" document: %s%s%s%s\n", indication_name(verdict), sub && sub[0] ? " (" : "", sub ? sub : "",
           sub && sub[0] ? ")" : "");
    free(sub);
    /* cie_report_all_valid is the same question as TOTAL-PASSED. */
    if (cie_report_all_valid(r) != (verdict == CIE_INDICATION_TOTAL_PASSED)) {
        fprintf(stderr, "document: cie_report_all_valid disagrees with cie_report_indication\n");
        return 1;
    }
    return verdict == CIE_INDICATION_TOTAL_PASSED ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *reader = NULL;
    int i = 1;
    if (argc > 2 && strcmp(argv[1], "-r") == 0) {
        reader = argv[2];
        i = 3;
    }
    if (argc - i != 4) {
        fprintf(stderr, "usage: document [-r READER] INPUT.pdf DATA CA.pem OUTDIR < pinfile\n");
        return 2;
    }
    const char *pdf = argv[i], *data_path = argv[i + 1], *ca = argv[i + 2], *dir = argv[i + 3];
    char signed_pdf[4096], p7m[4096], p7s[4096], extracted[4096];
    snprintf(signed_pdf, sizeof signed_pdf, "%s/signed.pdf", dir);
    snprintf(p7m, sizeof p7m, "%s/data.p7m", dir);
    snprintf(p7s, sizeof p7s, "%s/data.p7s", dir);
    snprintf(extracted, sizeof extracted, "%s/extracted", dir);

    char pin[64];
    if (!fgets(pin, sizeof pin, stdin)) {
        fprintf(stderr, "document: no PIN on standard input\n");
        return 2;
    }
    pin[strcspn(pin, "\r\n")] = '\0';

    int rc = 1;
    cie_card *card = NULL;
    cie_report *report = NULL;
    unsigned char *data = NULL, *sig = NULL, *ca_pem = NULL;
    size_t data_len = 0, sig_len = 0, ca_len = 0;
    cie_status st = cie_card_open(reader, &card);
    if (st != CIE_OK) {
        rc = fail("opening the card", st);
        goto out;
    }
    st = cie_card_verify_pin(card, pin, NULL);
    wipe(pin, sizeof pin);
    if (st != CIE_OK) {
        rc = fail("verifying the PIN", st);
        goto out;
    }

    /* Files: PAdES and an enveloping CAdES .p7m (streamed). */
    st = cie_card_sign_file(card, CIE_FORMAT_PADES, CIE_HASH_SHA256, pdf, signed_pdf);
    if (st != CIE_OK) {
        rc = fail("signing the PDF", st);
        goto out;
    }
    st = cie_card_sign_file(card, CIE_FORMAT_CADES, CIE_HASH_SHA256, data_path, p7m);
    if (st != CIE_OK) {
        rc = fail("signing the .p7m", st);
        goto out;
    }

    /* A buffer: a detached signature, size query first. */
    if (!(data = read_file(data_path, &data_len))) {
        perror(data_path);
        goto out;
    }
    st = cie_card_sign_buffer(card, CIE_FORMAT_CADES_DETACHED, CIE_HASH_SHA512, data, data_len, NULL, &sig_len);
    if (st == CIE_OK && !(sig = malloc(sig_len)))
        goto out;
    if (st == CIE_OK)
        st = cie_card_sign_buffer(card, CIE_FORMAT_CADES_DETACHED, CIE_HASH_SHA512, data, data_len, sig, &sig_len);
    if (st != CIE_OK) {
        rc = fail("signing the buffer", st);
        goto out;
    }
    if (write_file(p7s, sig, sig_len) != 0) {
        perror(p7s);
        goto out;
    }
    cie_card_free(card);
    card = NULL;

    /* Verification against the CA: files, then the detached signature in memory. */
    const char *cas[] = { ca };
    int invalid = 0;
    const char *files[] = { signed_pdf, p7m };
    for (size_t f = 0; f < 2; f++) {
        st = cie_verify_file(files[f], NULL, cas, 1, &report);
        if (st != CIE_OK) {
            rc = fail("verifying", st);
            goto out;
        }
        invalid |= print_report(files[f], report);
        cie_report_free(report);
        report = NULL;
    }
    if (!(ca_pem = read_file(ca, &ca_len))) {
        perror(ca);
        goto out;
    }
    st = cie_verify_buffer(sig, sig_len, data, data_len, ca_pem, ca_len, &report);
    if (st != CIE_OK) {
        rc = fail("verifying the detached signature", st);
        goto out;
    }
    invalid |= print_report(p7s, report);
    cie_report_free(report);
    report = NULL;

    /* Without CA.pem: only the installed anchors. Without one for the citizen CA, the
     * signature is intact but not confirmed: INDETERMINATE, NO_CERTIFICATE_CHAIN_FOUND. */
    st = cie_verify_file(p7m, NULL, NULL, 0, &report);
    if (st != CIE_OK) {
        rc = fail("verifying without CA.pem", st);
        goto out;
    }
    printf("without CA.pem (installed trust anchors only):\n");
    print_report(p7m, report);
    /* Out of range: INDETERMINATE, and an error for the sub-indication. */
    size_t none = 0;
    if (cie_report_signature_indication(report, 99) != CIE_INDICATION_INDETERMINATE ||
        cie_report_indication(NULL) != CIE_INDICATION_INDETERMINATE ||
        cie_report_sub_indication(report, 99, NULL, &none) != CIE_ERR_BAD_ARGUMENT) {
        fprintf(stderr, "document: out-of-range answers are wrong\n");
        goto out;
    }

    st = cie_extract_file(p7m, extracted);
    if (st != CIE_OK) {
        rc = fail("extracting", st);
        goto out;
    }
    printf("content of %s written to %s\n", p7m, extracted);
    rc = invalid ? 1 : 0;

out:
    wipe(pin, sizeof pin);
    cie_report_free(report);
    free(ca_pem);
    free(sig);
    free(data);
    cie_card_free(card);
    return rc;
}
