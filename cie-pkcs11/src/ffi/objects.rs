//! Object management functions (PKCS#11 2.40 and 3.0 §5.7): creating, copying and destroying
//! objects (the token is read-only), object sizes, attribute values (each copy bounded by the
//! caller's `ulValueLen`) and object searches.

use cryptoki_sys::*;

use super::buffers::{copy_out, input, template, usize_of};
use super::entry::{cryptoki, MODULE};
use crate::error::Ckr;
use crate::objects::{AttrAnswer, CK_UNAVAILABLE_INFORMATION};

cryptoki! {
    #[no_mangle]
    fn C_CreateObject(
        hSession: CK_SESSION_HANDLE,
        pTemplate: *mut CK_ATTRIBUTE,
        ulCount: CK_ULONG,
        phObject: *mut CK_OBJECT_HANDLE,
    ) non_null(phObject) {
        // SAFETY: the template has ulCount attributes, each value ulValueLen bytes.
        let attrs = unsafe { template(pTemplate, ulCount) }?;
        let mut token_object = false;
        for a in attrs.iter().filter(|a| a.type_ == CKA_TOKEN) {
            let value = unsafe { input(a.pValue as *const u8, a.ulValueLen) }?;
            token_object = matches!(value, [v] if *v != CK_FALSE);
        }
        MODULE.create_object(hSession, token_object)
    }

    #[no_mangle]
    fn C_CopyObject(
        hSession: CK_SESSION_HANDLE,
        hObject: CK_OBJECT_HANDLE,
        _pTemplate: *mut CK_ATTRIBUTE,
        _ulCount: CK_ULONG,
        phNewObject: *mut CK_OBJECT_HANDLE,
    ) non_null(phNewObject) {
        MODULE.copy_object(hSession, hObject)
    }

    #[no_mangle]
    fn C_DestroyObject(hSession: CK_SESSION_HANDLE, hObject: CK_OBJECT_HANDLE) {
        MODULE.destroy_object(hSession, hObject)
    }

    #[no_mangle]
    fn C_GetObjectSize(hSession: CK_SESSION_HANDLE, hObject: CK_OBJECT_HANDLE, pulSize: *mut CK_ULONG) non_null(pulSize) {
        let size = MODULE.object_size(hSession, hObject)?;
        // SAFETY: checked non-NULL.
        unsafe { *pulSize = size as CK_ULONG };
        Ok(())
    }

    #[no_mangle]
    fn C_GetAttributeValue(
        hSession: CK_SESSION_HANDLE,
        hObject: CK_OBJECT_HANDLE,
        pTemplate: *mut CK_ATTRIBUTE,
        ulCount: CK_ULONG,
    ) {
        // SAFETY: the template has ulCount attributes.
        let attrs = unsafe { template(pTemplate, ulCount) }?;
        let requests: Vec<(CK_ATTRIBUTE_TYPE, Option<usize>)> = attrs
            .iter()
            .map(|a| (a.type_, (!a.pValue.is_null()).then(|| usize::try_from(a.ulValueLen).unwrap_or(usize::MAX))))
            .collect();
        let (answers, mut rv) = MODULE.attribute_values(hSession, hObject, &requests)?;
        for ((a, answer), (_, capacity)) in attrs.iter_mut().zip(answers).zip(&requests) {
            match answer {
                AttrAnswer::Unavailable => a.ulValueLen = CK_UNAVAILABLE_INFORMATION,
                AttrAnswer::Length(n) => a.ulValueLen = n as CK_ULONG,
                AttrAnswer::Value(v) => {
                    // SAFETY: pValue has ulValueLen bytes (the capacity read above); the copy
                    // is bounded by it.
                    match unsafe { copy_out(&v, a.pValue as *mut u8, capacity.unwrap_or(0), CKR_BUFFER_TOO_SMALL) } {
                        Ok(()) => a.ulValueLen = v.len() as CK_ULONG,
                        Err(e) => {
                            a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
                            if rv == CKR_OK {
                                rv = e.rv();
                            }
                        }
                    }
                }
            }
        }
        if rv == CKR_OK { Ok(()) } else { Err(Ckr(rv)) }
    }

    #[no_mangle]
    fn C_SetAttributeValue(
        hSession: CK_SESSION_HANDLE,
        hObject: CK_OBJECT_HANDLE,
        _pTemplate: *mut CK_ATTRIBUTE,
        _ulCount: CK_ULONG,
    ) {
        MODULE.set_attribute_values(hSession, hObject)
    }

    #[no_mangle]
    fn C_FindObjectsInit(hSession: CK_SESSION_HANDLE, pTemplate: *mut CK_ATTRIBUTE, ulCount: CK_ULONG) {
        // SAFETY: the template has ulCount attributes, each value ulValueLen bytes.
        let attrs = unsafe { template(pTemplate, ulCount) }?;
        let mut wanted = Vec::with_capacity(attrs.len());
        for a in attrs.iter() {
            let value = unsafe { input(a.pValue as *const u8, a.ulValueLen) }?;
            wanted.push((a.type_, value.to_vec()));
        }
        MODULE.find_init(hSession, &wanted)
    }

    #[no_mangle]
    fn C_FindObjects(
        hSession: CK_SESSION_HANDLE,
        phObject: *mut CK_OBJECT_HANDLE,
        ulMaxObjectCount: CK_ULONG,
        pulObjectCount: *mut CK_ULONG,
    ) non_null(phObject, pulObjectCount) {
        let max = usize_of(ulMaxObjectCount)?;
        let found = MODULE.find_next(hSession, max)?;
        // SAFETY: checked non-NULL; phObject has room for ulMaxObjectCount handles, and the
        // copy is bounded by it.
        unsafe {
            copy_out(&found, phObject, max, CKR_GENERAL_ERROR)?;
            *pulObjectCount = found.len() as CK_ULONG;
        }
        Ok(())
    }

    #[no_mangle]
    fn C_FindObjectsFinal(hSession: CK_SESSION_HANDLE) {
        MODULE.find_final(hSession)
    }
}
