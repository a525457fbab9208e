/*
 * Freeing a waiter as soon as its wait returns, while the thread that cancelled it may still
 * be inside cie_waiter_cancel: a worker thread waits for a card in an empty reader without a
 * time limit and frees the waiter the moment cie_wait_for_card returns; the main thread
 * cancels the wait. Run by cie-ffi/tests/c_waiter_free.rs under valgrind, which must report
 * no invalid read (the cancel keeps the waiter's PC/SC context alive for its whole call).
 *
 *   waiter_free ROUNDS        exit 0 when every round's wait ended with CIE_ERR_CANCELLED
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 */
#define _POSIX_C_SOURCE 200809L
#include <cie.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", __FILE__,    \
                    __LINE__, #cond, cie_last_error());                                \
            exit(1);                                                                   \
        }                                                                              \
    } while (0)

#define EMPTY_READER "Virtual PCD 00 01"

struct round {
    cie_waiter *waiter;
    cie_status status;
};

/* Waits, then frees the waiter at once: the natural pattern for a worker that owns it. */
static void *worker(void *arg) {
    struct round *r = arg;
    r->status = cie_wait_for_card(r->waiter, EMPTY_READER, -1, NULL, NULL);
    cie_waiter_free(r->waiter);
    return NULL;
}

int main(int argc, char **argv) {
    int rounds = argc == 2 ? atoi(argv[1]) : 0;
    if (rounds <= 0) {
        fprintf(stderr, "usage: waiter_free ROUNDS\n");
        return 2;
    }
    for (int i = 0; i < rounds; i++) {
        struct round r = {NULL, CIE_OK};
        CHECK(cie_waiter_new(&r.waiter) == CIE_OK);
        pthread_t t;
        CHECK(pthread_create(&t, NULL, worker, &r) == 0);
        /* Let the worker reach the blocking call in pcscd (a cancel before it works too). */
        struct timespec pause = {0, 200 * 1000 * 1000};
        nanosleep(&pause, NULL);
        cie_waiter_cancel(r.waiter);
        CHECK(pthread_join(t, NULL) == 0);
        CHECK(r.status == CIE_ERR_CANCELLED);
    }
    printf("%d waits cancelled, each waiter freed by its worker\n", rounds);
    return 0;
}
