/* cycles MODULE N: N times dlopen / C_Initialize / C_GetSlotList / C_Finalize / dlclose.
 * Prints "fds before=B after=A slots=S" (open descriptors of this process, from /proc/self/fd)
 * and exits 0 when every call succeeded. Run under valgrind by the tests. */
#include <dirent.h>
#include <string.h>

#include "p11.h"

static int open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    struct dirent *e;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: cycles MODULE N\n");
        return 2;
    }
    int n = atoi(argv[2]);
    int before = open_fds();
    CK_ULONG slots = 0;
    for (int i = 0; i < n; i++) {
        struct p11 m = p11_load(argv[1]);
        CK_RV rv = m.C_Initialize(NULL);
        if (rv != CKR_OK) {
            fprintf(stderr, "cycle %d: C_Initialize: 0x%lx\n", i, rv);
            return 1;
        }
        slots = 0;
        rv = m.C_GetSlotList(0, NULL, &slots);
        if (rv != CKR_OK) {
            fprintf(stderr, "cycle %d: C_GetSlotList: 0x%lx\n", i, rv);
            return 1;
        }
        rv = m.C_Finalize(NULL);
        if (rv != CKR_OK) {
            fprintf(stderr, "cycle %d: C_Finalize: 0x%lx\n", i, rv);
            return 1;
        }
        if (dlclose(m.lib) != 0) {
            fprintf(stderr, "cycle %d: dlclose: %s\n", i, dlerror());
            return 1;
        }
        if (i == 0)
            fprintf(stderr, "fds after the first cycle=%d\n", open_fds());
    }
    printf("fds before=%d after=%d slots=%lu\n", before, open_fds(), slots);
    return 0;
}
