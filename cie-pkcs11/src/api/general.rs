//! General-purpose functions (PKCS#11 2.40 §5.4; 3.0 §5.4 adds the interfaces): `C_Initialize`,
//! `C_Finalize`, `C_GetInfo` and the interface choice of `C_GetInterface` (DESIGN.md §6: accept
//! NSS's `C_Initialize`; version 2.40 from the 2.x function list, 3.0 only through
//! `C_GetInterface`).

use cryptoki_sys::*;

use crate::error::{Ckr, Result};
use crate::module::Module;
use crate::text::pad;

/// Cryptoki version of the 2.x function list (`C_GetFunctionList`).
pub(crate) const VERSION_2_40: CK_VERSION = CK_VERSION { major: 2, minor: 40 };
/// Cryptoki version of the 3.0 function list (`C_GetInterface`).
pub(crate) const VERSION_3_0: CK_VERSION = CK_VERSION { major: 3, minor: 0 };
/// The interface name of PKCS#11 3.0 §5.4.
pub(crate) const INTERFACE_NAME: &[u8] = b"PKCS 11";

/// The mutex callbacks of `CK_C_INITIALIZE_ARGS`, as far as we care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MutexCallbacks {
    /// All four NULL.
    None,
    /// All four supplied.
    All,
    /// Some supplied, some NULL: invalid.
    Partial,
}

/// The content of `CK_C_INITIALIZE_ARGS`.
#[derive(Clone, Copy, Debug)]
pub struct InitArgs {
    /// `flags`.
    pub flags: CK_FLAGS,
    /// Which mutex callbacks were given.
    pub mutexes: MutexCallbacks,
    /// `pReserved` is NULL.
    pub reserved_null: bool,
}

impl Module {
    /// `C_Initialize`. The module creates no threads (so `CKF_LIBRARY_CANT_CREATE_OS_THREADS`
    /// is always fine) and locks with the operating system's primitives: it accepts no
    /// callbacks, or callbacks together with `CKF_OS_LOCKING_OK` (NSS); callbacks without that
    /// flag would oblige it to lock with them, which it cannot (`CKR_CANT_LOCK`).
    pub fn initialize(&self, args: Option<InitArgs>) -> Result<()> {
        if let Some(args) = args {
            if !args.reserved_null {
                return Err(Ckr(CKR_ARGUMENTS_BAD));
            }
            match args.mutexes {
                MutexCallbacks::Partial => return Err(Ckr(CKR_ARGUMENTS_BAD)),
                MutexCallbacks::All if args.flags & CKF_OS_LOCKING_OK == 0 => return Err(Ckr(CKR_CANT_LOCK)),
                _ => {}
            }
        }
        self.start()?;
        tracing::info!("initialised (cie-pkcs11 {})", env!("CARGO_PKG_VERSION"));
        Ok(())
    }

    /// `C_Finalize`: wakes `C_WaitForSlotEvent`, closes all sessions, forgets all PINs.
    pub fn finalize(&self) -> Result<()> {
        self.stop()?;
        tracing::info!("finalised");
        Ok(())
    }

    /// `C_GetInfo` for the function list of `version`.
    pub fn info(&self, version: CK_VERSION) -> Result<CK_INFO> {
        self.instance()?;
        Ok(CK_INFO {
            cryptokiVersion: version,
            manufacturerID: pad("cie project"),
            flags: 0,
            libraryDescription: pad("CIE 3.0 PKCS#11 module"),
            libraryVersion: library_version(),
        })
    }
}

/// This crate's version as a `CK_VERSION`.
fn library_version() -> CK_VERSION {
    let num = |s: &str| s.parse::<u8>().unwrap_or(0);
    CK_VERSION { major: num(env!("CARGO_PKG_VERSION_MAJOR")), minor: num(env!("CARGO_PKG_VERSION_MINOR")) }
}

/// `C_GetInterface` matching: the index into `offered` (name, version, flags) of the first
/// interface with that name (NULL: any), version (NULL: any) and all the requested flags.
pub(crate) fn choose_interface(
    offered: &[(&[u8], CK_VERSION, CK_FLAGS)],
    name: Option<&[u8]>,
    version: Option<CK_VERSION>,
    flags: CK_FLAGS,
) -> Option<usize> {
    offered.iter().position(|(n, v, f)| {
        name.is_none_or(|want| want == *n)
            && version.is_none_or(|want| want.major == v.major && want.minor == v.minor)
            && f & flags == flags
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::InProcessBackend;
    use crate::module::Config;

    #[test]
    fn initialize_arguments() {
        let m = Module::with_backend(InProcessBackend::new(), Config::without_cache());
        let nss = InitArgs {
            flags: CKF_OS_LOCKING_OK | CKF_LIBRARY_CANT_CREATE_OS_THREADS,
            mutexes: MutexCallbacks::All,
            reserved_null: true,
        };
        m.initialize(Some(nss)).unwrap();
        assert_eq!(m.initialize(None), Err(Ckr(CKR_CRYPTOKI_ALREADY_INITIALIZED)));
        assert_eq!(m.info(VERSION_2_40).unwrap().cryptokiVersion.minor, 40);
        m.finalize().unwrap();
        assert_eq!(m.finalize(), Err(Ckr(CKR_CRYPTOKI_NOT_INITIALIZED)));
        assert_eq!(m.info(VERSION_2_40).unwrap_err(), Ckr(CKR_CRYPTOKI_NOT_INITIALIZED));
        let bad = InitArgs { reserved_null: false, ..nss };
        assert_eq!(m.initialize(Some(bad)), Err(Ckr(CKR_ARGUMENTS_BAD)));
        let partial = InitArgs { mutexes: MutexCallbacks::Partial, ..nss };
        assert_eq!(m.initialize(Some(partial)), Err(Ckr(CKR_ARGUMENTS_BAD)));
        let callbacks_only = InitArgs { flags: 0, ..nss };
        assert_eq!(m.initialize(Some(callbacks_only)), Err(Ckr(CKR_CANT_LOCK)));
        let os_locking = InitArgs { flags: CKF_OS_LOCKING_OK, mutexes: MutexCallbacks::None, reserved_null: true };
        m.initialize(Some(os_locking)).unwrap();
        m.finalize().unwrap();
    }

    #[test]
    fn interface_choice() {
        let offered: [(&[u8], CK_VERSION, CK_FLAGS); 2] =
            [(INTERFACE_NAME, VERSION_3_0, 0), (INTERFACE_NAME, VERSION_2_40, 0)];
        assert_eq!(choose_interface(&offered, None, None, 0), Some(0));
        assert_eq!(choose_interface(&offered, Some(b"PKCS 11"), Some(VERSION_2_40), 0), Some(1));
        assert_eq!(choose_interface(&offered, Some(b"PKCS 11"), Some(CK_VERSION { major: 3, minor: 1 }), 0), None);
        assert_eq!(choose_interface(&offered, Some(b"Vendor"), None, 0), None);
        assert_eq!(choose_interface(&offered, None, None, CKF_INTERFACE_FORK_SAFE), None);
    }
}
