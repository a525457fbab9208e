/*
 * What a desktop application needs from libcie, written from the header alone: waiting for
 * a card (timeout, cancel from another thread), PIN and PUK tries, PIN verified?, the
 * holder's name, fiscal code and validity, the log callback, size queries, an empty reader.
 * Run by cie-ffi/tests/c_desktop.rs against the simulated card through pcscd.
 *
 *   desktop check          < PIN     every check; exit 0 when all pass
 *   desktop wait-insert              print "waiting", wait up to 30 s for a card in any reader
 *   desktop wait-empty               wait 300 ms for a card in a reader that has none
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 */
#define _POSIX_C_SOURCE 200809L
#include <cie.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", __FILE__,    \
                    __LINE__, #cond, cie_last_error());                                \
            exit(1);                                                                   \
        }                                                                              \
    } while (0)

#define CARD_READER "Virtual PCD 00 00"
#define EMPTY_READER "Virtual PCD 00 01"

/* What the log callback saw. */
struct log_seen {
    pthread_mutex_t lock;
    int messages;
    int apdus;
    int secrets;
    char pin[16];
};

static void on_log(cie_log_level level, const char *message, void *user) {
    struct log_seen *seen = user;
    if (level < CIE_LOG_ERROR || level > CIE_LOG_TRACE || message == NULL) {
        abort();
    }
    pthread_mutex_lock(&seen->lock);
    seen->messages++;
    if (strstr(message, "cie::apdu") != NULL) {
        seen->apdus++;
    }
    /* The PIN, as text or as the hex of its ASCII digits, must never appear. */
    char hex[64] = {0}, spaced[64] = {0};
    for (size_t i = 0; seen->pin[i] != '\0'; i++) {
        sprintf(hex + 2 * i, "%02X", (unsigned char)seen->pin[i]);
        sprintf(spaced + 3 * i, "%02X ", (unsigned char)seen->pin[i]);
    }
    spaced[strlen(spaced) - 1] = '\0';
    if (strstr(message, seen->pin) != NULL || strstr(message, hex) != NULL || strstr(message, spaced) != NULL) {
        seen->secrets++;
        fprintf(stderr, "secret in log: %s\n", message);
    }
    pthread_mutex_unlock(&seen->lock);
}

static void *cancel_later(void *arg) {
    struct timespec t = {0, 300 * 1000 * 1000};
    nanosleep(&t, NULL);
    cie_waiter_cancel((const cie_waiter *)arg);
    return NULL;
}

static void read_pin(char *pin, size_t size) {
    CHECK(fgets(pin, (int)size, stdin) != NULL);
    pin[strcspn(pin, "\r\n")] = '\0';
}

static int wait_insert(void) {
    cie_waiter *w = NULL;
    CHECK(cie_waiter_new(&w) == CIE_OK);
    printf("waiting\n");
    fflush(stdout);
    char name[128];
    size_t len = sizeof name;
    cie_status st = cie_wait_for_card(w, NULL, 30000, name, &len);
    CHECK(st == CIE_OK);
    CHECK(len == strlen(name) + 1);
    printf("card in %s\n", name);
    cie_waiter_free(w);
    return 0;
}

static int wait_empty(void) {
    cie_waiter *w = NULL;
    CHECK(cie_waiter_new(&w) == CIE_OK);
    CHECK(cie_wait_for_card(w, EMPTY_READER, 300, NULL, NULL) == CIE_ERR_TIMEOUT);
    CHECK(strstr(cie_last_error(), "in time") != NULL);
    cie_waiter_free(w);
    printf("timed out\n");
    return 0;
}

static int check(void) {
    struct log_seen seen;
    memset(&seen, 0, sizeof seen);
    pthread_mutex_init(&seen.lock, NULL);
    read_pin(seen.pin, sizeof seen.pin);

    /* Log callback: bad level refused, debug level accepted. */
    CHECK(cie_set_log_callback(on_log, 9, &seen) == CIE_ERR_BAD_ARGUMENT);
    CHECK(cie_set_log_callback(on_log, CIE_LOG_DEBUG, &seen) == CIE_OK);

    /* Readers: both vpcd slots. */
    cie_reader_list *list = NULL;
    CHECK(cie_readers_list(&list) == CIE_OK);
    CHECK(cie_reader_list_count(list) == 2);
    cie_reader_list_free(list);

    /* Waiting: a card already present returns at once, with the reader's name. */
    cie_waiter *w = NULL;
    CHECK(cie_waiter_new(&w) == CIE_OK);
    size_t len = 0;
    CHECK(cie_wait_for_card(w, NULL, 5000, NULL, &len) == CIE_OK);
    CHECK(len == strlen(CARD_READER) + 1);
    char name[128];
    len = sizeof name;
    CHECK(cie_wait_for_card(w, CARD_READER, 0, name, &len) == CIE_OK);
    CHECK(strcmp(name, CARD_READER) == 0);
    len = 3;
    CHECK(cie_wait_for_card(w, NULL, 5000, name, &len) == CIE_ERR_BUFFER_TOO_SMALL);
    CHECK(len == strlen(CARD_READER) + 1);
    /* An empty reader: the timeout. */
    CHECK(cie_wait_for_card(w, EMPTY_READER, 200, NULL, NULL) == CIE_ERR_TIMEOUT);
    /* Cancelled from another thread while waiting without a time limit. */
    pthread_t t;
    CHECK(pthread_create(&t, NULL, cancel_later, w) == 0);
    CHECK(cie_wait_for_card(w, EMPTY_READER, -1, NULL, NULL) == CIE_ERR_CANCELLED);
    CHECK(pthread_join(t, NULL) == 0);
    /* It stays cancelled. */
    CHECK(cie_wait_for_card(w, EMPTY_READER, -1, NULL, NULL) == CIE_ERR_CANCELLED);
    cie_waiter_free(w);
    cie_waiter_cancel(NULL);
    cie_waiter_free(NULL);
    CHECK(cie_wait_for_card(NULL, NULL, 0, NULL, NULL) == CIE_ERR_BAD_ARGUMENT);

    /* The card, before the PIN. */
    cie_card *card = NULL;
    CHECK(cie_card_open(NULL, &card) == CIE_OK);
    int verified = -1, tries = -9, puk_tries = -9;
    CHECK(cie_card_pin_verified(card, &verified) == CIE_OK && verified == 0);
    CHECK(cie_card_pin_tries_left(card, &tries) == CIE_OK && tries == 3);
    CHECK(cie_card_puk_tries_left(card, &puk_tries) == CIE_OK && puk_tries == 10);
    CHECK(cie_card_puk_tries_left(card, NULL) == CIE_ERR_BAD_ARGUMENT);
    CHECK(cie_card_pin_verified(card, NULL) == CIE_ERR_BAD_ARGUMENT);
    char nis[13];
    len = sizeof nis;
    CHECK(cie_card_nis(card, nis, &len) == CIE_OK && len == 13);
    /* Size queries fail as the call would: the certificate and the holder need the PIN. */
    len = 0;
    CHECK(cie_card_certificate(card, NULL, &len) == CIE_ERR_LOGIN_REQUIRED);
    CHECK(cie_card_holder_name(card, NULL, &len) == CIE_ERR_LOGIN_REQUIRED);
    int64_t from = 0, until = 0;
    CHECK(cie_card_validity(card, &from, &until) == CIE_ERR_LOGIN_REQUIRED);

    /* After the PIN. */
    CHECK(cie_card_verify_pin(card, seen.pin, &tries) == CIE_OK && tries == 3);
    CHECK(cie_card_pin_verified(card, &verified) == CIE_OK && verified == 1);
    len = 0;
    CHECK(cie_card_certificate(card, NULL, &len) == CIE_OK && len > 500);
    len = 0;
    CHECK(cie_card_holder_name(card, NULL, &len) == CIE_OK);
    char *holder = malloc(len);
    CHECK(holder != NULL);
    CHECK(cie_card_holder_name(card, holder, &len) == CIE_OK);
    CHECK(strcmp(holder, "MARIO ROSSI") == 0);
    CHECK(len == strlen(holder) + 1);
    free(holder);
    char cf[17];
    len = sizeof cf;
    CHECK(cie_card_fiscal_code(card, cf, &len) == CIE_OK);
    CHECK(strcmp(cf, "RSSMRA80A01H501U") == 0);
    len = 5;
    CHECK(cie_card_fiscal_code(card, cf, &len) == CIE_ERR_BUFFER_TOO_SMALL && len == 17);
    CHECK(cie_card_validity(card, &from, &until) == CIE_OK);
    CHECK(from == 1704067200 && until == 2524607999); /* 2024-01-01 .. 2049-12-31T23:59:59Z */
    CHECK(cie_card_validity(card, NULL, NULL) == CIE_OK);
    unsigned char sig[256];
    len = sizeof sig;
    CHECK(cie_card_sign(card, CIE_HASH_SHA256, (const unsigned char *)"desktop", 7, sig, &len) == CIE_OK);
    CHECK(len == 256);
    CHECK(cie_card_logout(card) == CIE_OK);
    CHECK(cie_card_pin_verified(card, &verified) == CIE_OK && verified == 0);
    /* A wrong PIN: tries go down, the PUK's stay. */
    CHECK(cie_card_verify_pin(card, "00000000", &tries) == CIE_ERR_WRONG_PIN && tries == 2);
    CHECK(cie_card_pin_tries_left(card, &tries) == CIE_OK && tries == 2);
    CHECK(cie_card_puk_tries_left(card, &puk_tries) == CIE_OK && puk_tries == 10);
    CHECK(cie_card_verify_pin(card, seen.pin, &tries) == CIE_OK && tries == 3);
    cie_card_free(card);

    /* The log: messages arrived, APDUs among them, never the PIN. Then logging stops. */
    pthread_mutex_lock(&seen.lock);
    int messages = seen.messages;
    fprintf(stderr, "log: %d messages, %d APDUs, %d secrets\n", messages, seen.apdus, seen.secrets);
    CHECK(messages > 0 && seen.apdus > 0 && seen.secrets == 0);
    pthread_mutex_unlock(&seen.lock);
    CHECK(cie_set_log_callback(NULL, 0, NULL) == CIE_OK);
    CHECK(cie_card_open(NULL, &card) == CIE_OK);
    cie_card_free(card);
    CHECK(seen.messages == messages);
    printf("all checks passed (%d log messages, %d about APDUs)\n", messages, seen.apdus);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "check") == 0) {
        return check();
    }
    if (argc == 2 && strcmp(argv[1], "wait-insert") == 0) {
        return wait_insert();
    }
    if (argc == 2 && strcmp(argv[1], "wait-empty") == 0) {
        return wait_empty();
    }
    fprintf(stderr, "usage: desktop check|wait-insert|wait-empty\n");
    return 2;
}
