/* The few PKCS#11 2.40 types and entry points the lifecycle programs use (PKCS#11 2.40 §3-§5,
 * Linux LP64: CK_ULONG is unsigned long). The entry points are looked up with dlsym. */
#ifndef CIE_P11_LIFECYCLE_H
#define CIE_P11_LIFECYCLE_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_RV;
typedef CK_ULONG CK_SLOT_ID;
typedef CK_ULONG CK_SESSION_HANDLE;
typedef CK_ULONG CK_OBJECT_HANDLE;
typedef unsigned char CK_BYTE;

typedef struct {
    CK_ULONG type;
    void *pValue;
    CK_ULONG ulValueLen;
} CK_ATTRIBUTE;

typedef struct {
    CK_ULONG mechanism;
    void *pParameter;
    CK_ULONG ulParameterLen;
} CK_MECHANISM;

#define CKR_OK 0x0UL
#define CKF_SERIAL_SESSION 0x4UL
#define CKU_USER 1UL
#define CKA_CLASS 0x0UL
#define CKO_PRIVATE_KEY 3UL
#define CKM_SHA256_RSA_PKCS 0x40UL

typedef CK_RV (*fn_init)(void *);
typedef CK_RV (*fn_slots)(CK_BYTE, CK_SLOT_ID *, CK_ULONG *);
typedef CK_RV (*fn_open)(CK_SLOT_ID, CK_ULONG, void *, void *, CK_SESSION_HANDLE *);
typedef CK_RV (*fn_login)(CK_SESSION_HANDLE, CK_ULONG, CK_BYTE *, CK_ULONG);
typedef CK_RV (*fn_find_init)(CK_SESSION_HANDLE, CK_ATTRIBUTE *, CK_ULONG);
typedef CK_RV (*fn_find)(CK_SESSION_HANDLE, CK_OBJECT_HANDLE *, CK_ULONG, CK_ULONG *);
typedef CK_RV (*fn_session)(CK_SESSION_HANDLE);
typedef CK_RV (*fn_sign_init)(CK_SESSION_HANDLE, CK_MECHANISM *, CK_OBJECT_HANDLE);
typedef CK_RV (*fn_sign)(CK_SESSION_HANDLE, CK_BYTE *, CK_ULONG, CK_BYTE *, CK_ULONG *);

/* The entry points of one loaded module. */
struct p11 {
    void *lib;
    fn_init C_Initialize, C_Finalize;
    fn_slots C_GetSlotList;
    fn_open C_OpenSession;
    fn_login C_Login;
    fn_find_init C_FindObjectsInit;
    fn_find C_FindObjects;
    fn_session C_FindObjectsFinal;
    fn_sign_init C_SignInit;
    fn_sign C_Sign;
};

static void *need(void *lib, const char *name) {
    void *f = dlsym(lib, name);
    if (!f) {
        fprintf(stderr, "%s: %s\n", name, dlerror());
        exit(10);
    }
    return f;
}

/* dlopen()s the module and looks its entry points up; exits on failure. */
static struct p11 p11_load(const char *path) {
    struct p11 m;
    m.lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!m.lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        exit(10);
    }
    m.C_Initialize = (fn_init)need(m.lib, "C_Initialize");
    m.C_Finalize = (fn_init)need(m.lib, "C_Finalize");
    m.C_GetSlotList = (fn_slots)need(m.lib, "C_GetSlotList");
    m.C_OpenSession = (fn_open)need(m.lib, "C_OpenSession");
    m.C_Login = (fn_login)need(m.lib, "C_Login");
    m.C_FindObjectsInit = (fn_find_init)need(m.lib, "C_FindObjectsInit");
    m.C_FindObjects = (fn_find)need(m.lib, "C_FindObjects");
    m.C_FindObjectsFinal = (fn_session)need(m.lib, "C_FindObjectsFinal");
    m.C_SignInit = (fn_sign_init)need(m.lib, "C_SignInit");
    m.C_Sign = (fn_sign)need(m.lib, "C_Sign");
    return m;
}

#endif
