/*
 * sign.c - sign a file with the CIE from C, through libcie.
 * SPDX-License-Identifier: MIT OR Apache-2.0
 *
 *   cc -std=c99 -Wall -Wextra -o sign sign.c $(pkg-config --cflags --libs cie)
 *   ./sign [-r READER] [-H sha1|sha256|sha384|sha512] INPUT SIGNATURE CERTIFICATE < pinfile
 *
 * Reads the PIN (8 digits) as one line from standard input, signs INPUT with the holder's
 * authentication key (RSA PKCS#1 v1.5), and writes the raw signature to SIGNATURE and the
 * certificate (DER) to CERTIFICATE. Check it with:
 *
 *   openssl x509 -inform DER -in CERTIFICATE -pubkey -noout > pub.pem
 *   openssl dgst -sha256 -verify pub.pem -signature SIGNATURE INPUT
 *
 * Exit status: 0 ok, 1 error, 2 usage, 3 wrong PIN, 4 PIN blocked, 5 no reader or card.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cie.h"

static int exit_status(cie_status st)
{
    switch (st) {
    case CIE_OK:
        return 0;
    case CIE_ERR_BAD_ARGUMENT:
    case CIE_ERR_BAD_PIN_FORMAT:
        return 2;
    case CIE_ERR_WRONG_PIN:
        return 3;
    case CIE_ERR_PIN_BLOCKED:
        return 4;
    case CIE_ERR_NO_READER:
    case CIE_ERR_NO_CARD:
    case CIE_ERR_CARD_REMOVED:
        return 5;
    default:
        return 1;
    }
}

static int fail(const char *what, cie_status st)
{
    fprintf(stderr, "sign: %s: %s (%s)\n", what, cie_last_error(), cie_status_string(st));
    return exit_status(st);
}

/* Wipes memory in a way the compiler may not drop. */
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

static int parse_hash(const char *name, cie_hash *hash)
{
    if (strcmp(name, "sha1") == 0)
        *hash = CIE_HASH_SHA1;
    else if (strcmp(name, "sha256") == 0)
        *hash = CIE_HASH_SHA256;
    else if (strcmp(name, "sha384") == 0)
        *hash = CIE_HASH_SHA384;
    else if (strcmp(name, "sha512") == 0)
        *hash = CIE_HASH_SHA512;
    else
        return -1;
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: sign [-r READER] [-H sha1|sha256|sha384|sha512] INPUT SIGNATURE CERTIFICATE < pinfile\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *reader = NULL;
    cie_hash hash = CIE_HASH_SHA256;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i += 2) {
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "-r") == 0)
            reader = argv[i + 1];
        else if (strcmp(argv[i], "-H") == 0) {
            if (parse_hash(argv[i + 1], &hash) != 0)
                return usage();
        } else
            return usage();
    }
    if (argc - i != 3)
        return usage();
    const char *input = argv[i], *sig_path = argv[i + 1], *cert_path = argv[i + 2];

    fprintf(stderr, "libcie %s\n", cie_version());

    /* The readers present. */
    cie_reader_list *readers = NULL;
    cie_status st = cie_readers_list(&readers);
    if (st != CIE_OK)
        return fail("listing the readers", st);
    for (size_t r = 0; r < cie_reader_list_count(readers); r++)
        fprintf(stderr, "reader %zu: %s\n", r, cie_reader_list_name(readers, r));
    cie_reader_list_free(readers);

    /* The data to sign. */
    size_t data_len = 0;
    unsigned char *data = read_file(input, &data_len);
    if (!data) {
        perror(input);
        return 1;
    }

    /* The PIN, one line on standard input. */
    char pin[64];
    if (!fgets(pin, sizeof pin, stdin)) {
        fprintf(stderr, "sign: no PIN on standard input\n");
        free(data);
        return 2;
    }
    pin[strcspn(pin, "\r\n")] = '\0';

    int rc = 1;
    cie_card *card = NULL;
    unsigned char *cert = NULL, *sig = NULL;
    char nis[16];
    size_t nis_len = sizeof nis;

    st = cie_card_open(reader, &card);
    if (st != CIE_OK) {
        rc = fail("opening the card", st);
        goto out;
    }
    st = cie_card_nis(card, nis, &nis_len);
    if (st != CIE_OK) {
        rc = fail("reading the NIS", st);
        goto out;
    }
    fprintf(stderr, "card NIS %s\n", nis);

    int tries = -1;
    st = cie_card_verify_pin(card, pin, &tries);
    wipe(pin, sizeof pin);
    if (st != CIE_OK) {
        rc = fail("verifying the PIN", st);
        if (st == CIE_ERR_WRONG_PIN)
            fprintf(stderr, "sign: %d tries left\n", tries);
        goto out;
    }

    /* The certificate: ask the size, then read. */
    size_t cert_len = 0;
    st = cie_card_certificate(card, NULL, &cert_len);
    if (st == CIE_OK && !(cert = malloc(cert_len)))
        goto out;
    if (st == CIE_OK)
        st = cie_card_certificate(card, cert, &cert_len);
    if (st != CIE_OK) {
        rc = fail("reading the certificate", st);
        goto out;
    }

    /* The signature: ask the size, then sign. */
    size_t sig_len = 0;
    st = cie_card_sign(card, hash, data, data_len, NULL, &sig_len);
    if (st == CIE_OK && !(sig = malloc(sig_len)))
        goto out;
    if (st == CIE_OK)
        st = cie_card_sign(card, hash, data, data_len, sig, &sig_len);
    if (st != CIE_OK) {
        rc = fail("signing", st);
        goto out;
    }

    if (write_file(sig_path, sig, sig_len) != 0 || write_file(cert_path, cert, cert_len) != 0) {
        perror("writing the output");
        goto out;
    }
    fprintf(stderr, "signed %zu bytes: %zu-byte signature, %zu-byte certificate\n", data_len, sig_len, cert_len);
    rc = 0;

out:
    wipe(pin, sizeof pin);
    free(sig);
    free(cert);
    free(data);
    cie_card_free(card);
    return rc;
}
