//! Object management functions (PKCS#11 2.40 §5.7): `C_FindObjectsInit`, `C_FindObjects`,
//! `C_FindObjectsFinal`, `C_GetAttributeValue`, `C_GetObjectSize`, and the functions that would
//! change objects (`C_CreateObject`, `C_CopyObject`, `C_SetAttributeValue`,
//! `C_DestroyObject`), which the read-only token refuses. Object queries never touch the card
//! once the token's objects are known (DESIGN.md §3).

use cryptoki_sys::*;

use crate::error::{Ckr, Result};
use crate::module::Module;
use crate::objects::AttrAnswer;
use crate::ops::FindOp;
use crate::sync::lock;

impl Module {
    /// `C_FindObjectsInit`: the search runs now over the visible objects.
    pub fn find_init(&self, handle: CK_SESSION_HANDLE, template: &[(CK_ATTRIBUTE_TYPE, Vec<u8>)]) -> Result<()> {
        self.with_session(handle, |_, s| {
            if lock(&s.ops).find.is_some() {
                return Err(Ckr(CKR_OPERATION_ACTIVE));
            }
            // The objects may need the card: not under the session's operation lock.
            s.ensure_objects()?;
            let mut ops = lock(&s.ops);
            if ops.find.is_some() {
                return Err(Ckr(CKR_OPERATION_ACTIVE));
            }
            let (objects, user) = s.objects();
            let found = objects
                .map(|set| set.visible(user).filter(|o| o.matches(template)).map(|o| o.handle).collect())
                .unwrap_or_default();
            ops.find = Some(FindOp::new(found));
            Ok(())
        })
    }

    /// `C_FindObjects`: up to `max` more handles.
    pub fn find_next(&self, handle: CK_SESSION_HANDLE, max: usize) -> Result<Vec<CK_OBJECT_HANDLE>> {
        self.with_op(
            handle,
            |ops| &mut ops.find,
            |find, _, _| Ok(find.as_mut().ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED))?.next(max)),
        )
    }

    /// `C_FindObjectsFinal`.
    pub fn find_final(&self, handle: CK_SESSION_HANDLE) -> Result<()> {
        self.with_op(
            handle,
            |ops| &mut ops.find,
            |find, _, _| find.take().map(|_| ()).ok_or(Ckr(CKR_OPERATION_NOT_INITIALIZED)),
        )
    }

    /// `C_GetAttributeValue`: the answers for each template entry and the return value
    /// (see `Object::answer`).
    pub fn attribute_values(
        &self,
        handle: CK_SESSION_HANDLE,
        object: CK_OBJECT_HANDLE,
        requests: &[(CK_ATTRIBUTE_TYPE, Option<usize>)],
    ) -> Result<(Vec<AttrAnswer>, CK_RV)> {
        self.with_object(handle, object, |_, o| o.answer(requests))
    }

    /// `C_GetObjectSize`.
    pub fn object_size(&self, handle: CK_SESSION_HANDLE, object: CK_OBJECT_HANDLE) -> Result<usize> {
        self.with_object(handle, object, |_, o| o.size())
    }

    /// `C_SetAttributeValue`: objects are not modifiable (`CKA_MODIFIABLE` false).
    pub fn set_attribute_values(&self, handle: CK_SESSION_HANDLE, object: CK_OBJECT_HANDLE) -> Result<()> {
        let rw = self.with_object(handle, object, |s, _| s.rw)?;
        Err(Ckr(if rw { CKR_ACTION_PROHIBITED } else { CKR_SESSION_READ_ONLY }))
    }

    /// `C_DestroyObject`: objects are not destroyable (`CKA_DESTROYABLE` false).
    pub fn destroy_object(&self, handle: CK_SESSION_HANDLE, object: CK_OBJECT_HANDLE) -> Result<()> {
        let rw = self.with_object(handle, object, |s, _| s.rw)?;
        Err(Ckr(if rw { CKR_ACTION_PROHIBITED } else { CKR_SESSION_READ_ONLY }))
    }

    /// `C_CreateObject`. The module creates no objects. A token object (`CKA_TOKEN` true) is
    /// refused as the standard says for this session: `CKR_SESSION_READ_ONLY` in a read-only
    /// session, `CKR_TOKEN_WRITE_PROTECTED` in a read/write one. A session object (`CKA_TOKEN`
    /// false or absent) may be created in any session (PKCS#11 2.40 §5.7), so the session type
    /// is no reason to refuse it: the module does not offer object creation at all, which is
    /// `CKR_FUNCTION_NOT_SUPPORTED` (the code the standard gives a function a library does not
    /// offer).
    pub fn create_object(&self, handle: CK_SESSION_HANDLE, token_object: bool) -> Result<()> {
        let rw = self.with_session(handle, |_, s| Ok(s.rw))?;
        Err(Ckr(match (token_object, rw) {
            (false, _) => CKR_FUNCTION_NOT_SUPPORTED,
            (true, false) => CKR_SESSION_READ_ONLY,
            (true, true) => CKR_TOKEN_WRITE_PROTECTED,
        }))
    }

    /// `C_CopyObject`: every object has `CKA_COPYABLE` false, so a copy is
    /// `CKR_ACTION_PROHIBITED` (PKCS#11 2.40 §5.7) once the source object is found.
    pub fn copy_object(&self, handle: CK_SESSION_HANDLE, object: CK_OBJECT_HANDLE) -> Result<()> {
        self.with_object(handle, object, |_, _| ())?;
        Err(Ckr(CKR_ACTION_PROHIBITED))
    }
}
