/* fork MODULE PIN OUTDIR: the parent logs in and signs, forks; the child initialises the
 * module as a fresh library, logs in, signs and finalises; the parent signs again with the
 * same session. Signatures (SHA256-RSA-PKCS over DATA) go to OUTDIR/{parent1,child,parent2}.sig.
 * Exit status 0 when every call returned CKR_OK; messages on stderr. */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "p11.h"

static const char DATA[] = "signed across fork()";

#define CHECK(what, call)                                                                   \
    do {                                                                                    \
        CK_RV rv_ = (call);                                                                 \
        if (rv_ != CKR_OK) {                                                                \
            fprintf(stderr, "%s: %s: 0x%lx\n", who, what, rv_);                             \
            return 1;                                                                       \
        }                                                                                   \
    } while (0)

static const char *who = "parent";

static int write_file(const char *dir, const char *name, const CK_BYTE *b, CK_ULONG n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write %s\n", who, path);
        return 1;
    }
    return 0;
}

/* Signs DATA in session s with the token's private key into OUTDIR/name. */
static int sign(struct p11 *m, CK_SESSION_HANDLE s, const char *dir, const char *name) {
    CK_ULONG cls = CKO_PRIVATE_KEY, found = 0, len = 512;
    CK_ATTRIBUTE t = {CKA_CLASS, &cls, sizeof cls};
    CK_OBJECT_HANDLE key = 0;
    CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS, NULL, 0};
    CK_BYTE sig[512];
    CHECK("C_FindObjectsInit", m->C_FindObjectsInit(s, &t, 1));
    CHECK("C_FindObjects", m->C_FindObjects(s, &key, 1, &found));
    CHECK("C_FindObjectsFinal", m->C_FindObjectsFinal(s));
    if (found != 1) {
        fprintf(stderr, "%s: no private key\n", who);
        return 1;
    }
    CHECK("C_SignInit", m->C_SignInit(s, &mech, key));
    CHECK("C_Sign", m->C_Sign(s, (CK_BYTE *)DATA, sizeof DATA - 1, sig, &len));
    fprintf(stderr, "%s: signed (%lu bytes) -> %s\n", who, len, name);
    return write_file(dir, name, sig, len);
}

/* Initialises, opens a session on the first slot with a token and logs in. */
static int open_and_login(struct p11 *m, const char *pin, CK_SESSION_HANDLE *s) {
    CK_SLOT_ID slots[8];
    CK_ULONG n = 8;
    CHECK("C_Initialize", m->C_Initialize(NULL));
    CHECK("C_GetSlotList", m->C_GetSlotList(1, slots, &n));
    if (n < 1) {
        fprintf(stderr, "%s: no token\n", who);
        return 1;
    }
    CHECK("C_OpenSession", m->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, s));
    CHECK("C_Login", m->C_Login(*s, CKU_USER, (CK_BYTE *)pin, strlen(pin)));
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: fork MODULE PIN OUTDIR\n");
        return 2;
    }
    struct p11 m = p11_load(argv[1]);
    CK_SESSION_HANDLE s;
    if (open_and_login(&m, argv[2], &s) || sign(&m, s, argv[3], "parent1.sig"))
        return 1;
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        return 1;
    }
    if (child == 0) {
        who = "child";
        CK_SESSION_HANDLE cs;
        if (open_and_login(&m, argv[2], &cs) || sign(&m, cs, argv[3], "child.sig"))
            _exit(1);
        CK_RV rv = m.C_Finalize(NULL);
        if (rv != CKR_OK) {
            fprintf(stderr, "child: C_Finalize: 0x%lx\n", rv);
            _exit(1);
        }
        fprintf(stderr, "child: finalised\n");
        _exit(0);
    }
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "parent: the child failed (status 0x%x)\n", status);
        return 1;
    }
    if (sign(&m, s, argv[3], "parent2.sig"))
        return 1;
    CHECK("C_Finalize", m.C_Finalize(NULL));
    fprintf(stderr, "parent: finalised\n");
    return 0;
}
