/* A C program written from the header alone that prints what the card functions answer, one
 * line each: results and status codes. tests/c_agent.rs runs it once with the card agent and
 * once without and compares the two transcripts. Reads the PIN from the first line of standard
 * input; after logging in it prints "logged in" and waits for a line (the test then looks at
 * the agent's clients). With the argument "killed", see killed() below. */

#include <cie.h>
#include <stdio.h>
#include <string.h>

static void read_line(char *buf, size_t size) {
    if (fgets(buf, (int)size, stdin) == NULL) {
        buf[0] = '\0';
    }
    buf[strcspn(buf, "\n")] = '\0';
}

typedef cie_status (*text_getter)(const cie_card *, char *, size_t *);

static void print_text(const char *what, text_getter get, const cie_card *card) {
    char buf[256];
    size_t len = sizeof buf;
    cie_status st = get(card, buf, &len);
    printf("%s: %d %s\n", what, st, st == CIE_OK ? buf : "");
}

static void print_hex(const unsigned char *bytes, size_t len) {
    for (size_t i = 0; i < len; i++) {
        printf("%02X", bytes[i]);
    }
    printf("\n");
}

/* "killed": logs in and signs, prints "signed", waits for a line (the test kills the agent
 * meanwhile), then tries to sign again and reports the status: the process must survive the
 * dead connection (no SIGPIPE) and get CIE_ERR_AGENT. */
static int killed(const char *pin) {
    char line[32];
    cie_card *card = NULL;
    if (cie_card_open(NULL, &card) != CIE_OK || cie_card_verify_pin(card, pin, NULL) != CIE_OK) {
        fprintf(stderr, "%s\n", cie_last_error());
        return 1;
    }
    unsigned char sig[256];
    size_t len = sizeof sig;
    cie_status st = cie_card_sign(card, CIE_HASH_SHA256, (const unsigned char *)"before", 6, sig, &len);
    printf("signed: %d\n", st);
    fflush(stdout);
    read_line(line, sizeof line);
    for (int i = 0; i < 2; i++) {
        len = sizeof sig;
        st = cie_card_sign(card, CIE_HASH_SHA256, (const unsigned char *)"after", 5, sig, &len);
        printf("sign after the agent died: %d\n", st);
    }
    cie_card_free(card);
    card = NULL;
    st = cie_card_open(NULL, &card);
    int tries = -9;
    cie_status pt = st == CIE_OK ? cie_card_pin_tries_left(card, &tries) : st;
    printf("open again: %d, pin tries: %d %d\n", st, pt, tries);
    cie_card_free(card);
    printf("done\n");
    return 0;
}

int main(int argc, char **argv) {
    char pin[32];
    char line[32];
    read_line(pin, sizeof pin);
    if (argc == 2 && strcmp(argv[1], "killed") == 0) {
        return killed(pin);
    }

    cie_card *card = NULL;
    cie_status st = cie_card_open("No Such Reader 00 00", &card);
    printf("open unknown reader: %d\n", st);
    st = cie_card_open(NULL, &card);
    printf("open: %d\n", st);
    if (st != CIE_OK) {
        fprintf(stderr, "%s\n", cie_last_error());
        return 1;
    }
    print_text("reader", cie_card_reader, card);
    print_text("generation", cie_card_generation, card);
    print_text("nis", cie_card_nis, card);
    unsigned char atr[64];
    size_t len = sizeof atr;
    st = cie_card_atr(card, atr, &len);
    printf("atr: %d ", st);
    print_hex(atr, st == CIE_OK ? len : 0);

    int tries = -9, verified = -9;
    st = cie_card_pin_tries_left(card, &tries);
    printf("pin tries: %d %d\n", st, tries);
    st = cie_card_puk_tries_left(card, &tries);
    printf("puk tries: %d %d\n", st, tries);
    st = cie_card_pin_verified(card, &verified);
    printf("verified: %d %d\n", st, verified);
    len = 0;
    printf("certificate size before the PIN: %d\n", cie_card_certificate(card, NULL, &len));
    print_text("serial before the PIN", cie_card_serial, card);

    st = cie_card_verify_pin(card, "00000000", &tries);
    printf("wrong PIN: %d %d\n", st, tries);
    st = cie_card_verify_pin(card, pin, &tries);
    printf("PIN: %d %d\n", st, tries);
    printf("logged in\n");
    fflush(stdout);
    read_line(line, sizeof line);

    st = cie_card_pin_verified(card, &verified);
    printf("verified: %d %d\n", st, verified);
    print_text("serial", cie_card_serial, card);
    print_text("holder", cie_card_holder_name, card);
    print_text("fiscal code", cie_card_fiscal_code, card);
    int64_t from = 0, until = 0;
    st = cie_card_validity(card, &from, &until);
    printf("validity: %d %lld %lld\n", st, (long long)from, (long long)until);
    len = 0;
    st = cie_card_certificate(card, NULL, &len);
    printf("certificate size: %d %zu\n", st, len);

    unsigned char sig[256];
    len = sizeof sig;
    st = cie_card_sign(card, CIE_HASH_SHA256, (const unsigned char *)"transcript", 10, sig, &len);
    printf("sign: %d ", st);
    print_hex(sig, st == CIE_OK ? len : 0);
    len = sizeof sig;
    st = cie_card_sign_digest(card, CIE_HASH_SHA256, sig, 20, sig, &len);
    printf("sign a digest of the wrong length: %d\n", st);

    printf("logout: %d\n", cie_card_logout(card));
    st = cie_card_pin_verified(card, &verified);
    printf("verified: %d %d\n", st, verified);
    len = sizeof sig;
    st = cie_card_sign(card, CIE_HASH_SHA256, (const unsigned char *)"transcript", 10, sig, &len);
    printf("sign after logout: %d\n", st);
    st = cie_card_pin_tries_left(card, &tries);
    printf("pin tries: %d %d\n", st, tries);
    cie_card_free(card);
    printf("done\n");
    return 0;
}
