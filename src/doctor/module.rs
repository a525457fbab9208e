//! The PKCS#11 module: installed where `cie browser setup` looks for it, loadable (`dlopen`,
//! `C_GetFunctionList`, `C_Initialize`, `C_GetInfo`, `C_Finalize`, as a browser would start
//! it), and registered with p11-kit for the programs that find modules there (GnuTLS,
//! p11-kit-proxy, the sandboxed browsers' server).

use std::ffi::{c_char, c_ulong, c_void, CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use cie_sign::verdict::shown;

use super::Check;
use crate::browser;

/// `CK_VERSION`.
#[repr(C)]
#[derive(Clone, Copy)]
struct CkVersion {
    major: u8,
    minor: u8,
}

/// `CK_INFO`.
#[repr(C)]
struct CkInfo {
    cryptoki_version: CkVersion,
    _manufacturer_id: [u8; 32],
    _flags: c_ulong,
    library_description: [u8; 32],
    library_version: CkVersion,
}

/// The first entries of `CK_FUNCTION_LIST` (the only ones read here; every later field of the
/// real table stays untouched behind them).
#[repr(C)]
struct FunctionListHead {
    _version: CkVersion,
    initialize: Option<unsafe extern "C" fn(*mut c_void) -> c_ulong>,
    finalize: Option<unsafe extern "C" fn(*mut c_void) -> c_ulong>,
    get_info: Option<unsafe extern "C" fn(*mut CkInfo) -> c_ulong>,
}

/// `C_GetFunctionList`.
type GetFunctionList = unsafe extern "C" fn(*mut *const FunctionListHead) -> c_ulong;

/// What a module says about itself through `C_GetInfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ModuleInfo {
    /// `libraryDescription`, blanks trimmed.
    pub(super) description: String,
    /// `libraryVersion` as `major.minor`.
    pub(super) version: String,
    /// `cryptokiVersion` as `major.minor`.
    pub(super) cryptoki: String,
}

/// A fixed-width blank-padded PKCS#11 string, trimmed and escaped.
fn padded(bytes: &[u8]) -> String {
    shown(String::from_utf8_lossy(bytes).trim_end_matches([' ', '\0']))
}

/// The last `dlerror()` text.
fn dl_error() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated string valid until the next dl call on
    // this thread; it is copied at once.
    let e = unsafe { libc::dlerror() };
    if e.is_null() {
        return "unknown dlopen error".to_owned();
    }
    // SAFETY: non-NULL, NUL-terminated (above).
    shown(&unsafe { CStr::from_ptr(e) }.to_string_lossy())
}

/// Loads the module at `path` and asks it who it is, as a PKCS#11 application does. The
/// library is left loaded (this process ends soon; unloading a Rust library with thread-local
/// state is not safe on every libc).
pub(super) fn load(path: &Path) -> Result<ModuleInfo, String> {
    let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| "a NUL byte in the path".to_owned())?;
    // SAFETY: dlopen with a valid NUL-terminated path; the module's constructors run, as in any
    // PKCS#11 application.
    let handle = unsafe { libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        return Err(dl_error());
    }
    let name = c"C_GetFunctionList";
    // SAFETY: a valid handle and a NUL-terminated symbol name.
    let symbol = unsafe { libc::dlsym(handle, name.as_ptr() as *const c_char) };
    if symbol.is_null() {
        return Err("no C_GetFunctionList: not a PKCS#11 module".to_owned());
    }
    // SAFETY: C_GetFunctionList has this signature in every PKCS#11 module (PKCS#11 2.40 §5.2).
    let get_function_list: GetFunctionList = unsafe { std::mem::transmute::<*mut c_void, GetFunctionList>(symbol) };
    let mut list: *const FunctionListHead = std::ptr::null();
    // SAFETY: the out pointer is valid for writing.
    let rv = unsafe { get_function_list(&mut list) };
    if rv != 0 || list.is_null() {
        return Err(format!("C_GetFunctionList returned 0x{rv:08X}"));
    }
    // SAFETY: the module returned a valid function list, which starts with these fields.
    let head = unsafe { &*list };
    let (Some(initialize), Some(finalize), Some(get_info)) = (head.initialize, head.finalize, head.get_info) else {
        return Err("the function list lacks C_Initialize, C_Finalize or C_GetInfo".to_owned());
    };
    // SAFETY: NULL arguments are allowed (no application threads or mutexes declared).
    let rv = unsafe { initialize(std::ptr::null_mut()) };
    if rv != 0 {
        return Err(format!("C_Initialize returned 0x{rv:08X}"));
    }
    let mut info = CkInfo {
        cryptoki_version: CkVersion { major: 0, minor: 0 },
        _manufacturer_id: [b' '; 32],
        _flags: 0,
        library_description: [b' '; 32],
        library_version: CkVersion { major: 0, minor: 0 },
    };
    // SAFETY: a valid CK_INFO to fill.
    let rv = unsafe { get_info(&mut info) };
    // SAFETY: the module was initialised above; NULL is the required argument.
    let _ = unsafe { finalize(std::ptr::null_mut()) };
    if rv != 0 {
        return Err(format!("C_GetInfo returned 0x{rv:08X}"));
    }
    Ok(ModuleInfo {
        description: padded(&info.library_description),
        version: format!("{}.{}", info.library_version.major, info.library_version.minor),
        cryptoki: format!("{}.{}", info.cryptoki_version.major, info.cryptoki_version.minor),
    })
}

/// The module checks, with the module's path and version for the later links.
pub(super) struct ModuleChecks {
    /// The checks: the module, then p11-kit.
    pub(super) checks: Vec<Check>,
    /// The installed module (canonical path), when found.
    pub(super) path: Option<PathBuf>,
    /// Its `C_GetInfo` library version, when it loaded.
    pub(super) version: Option<String>,
}

/// Finds, loads and asks the module; then looks for its p11-kit registration.
pub(super) fn checks() -> ModuleChecks {
    let subject = || tr!(DoctorLinkModule);
    let mut out = ModuleChecks { checks: Vec::new(), path: None, version: None };
    match browser::default_module().map(|p| std::fs::canonicalize(&p).unwrap_or(p)) {
        None => out.checks.push(Check::problem(
            "module",
            subject(),
            tr!(DoctorModuleMissing),
            tr!(DoctorAdviceInstallPackage),
        )),
        Some(path) => {
            match load(&path) {
                Ok(info) => {
                    out.checks.push(Check::ok(
                        "module",
                        subject(),
                        tr!(
                            DoctorModuleOk,
                            path = path.display(),
                            description = info.description,
                            version = info.version.clone(),
                            cryptoki = info.cryptoki
                        ),
                    ));
                    out.version = Some(info.version);
                }
                Err(detail) => out.checks.push(Check::problem(
                    "module",
                    subject(),
                    tr!(DoctorModuleBroken, path = path.display(), detail = detail),
                    tr!(DoctorAdviceInstallPackage),
                )),
            }
            out.path = Some(path);
        }
    }
    out.checks.push(p11_kit());
    out
}

/// p11-kit's module configuration directories: the system's, then the user's.
fn p11_kit_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("/usr/share/p11-kit/modules"), PathBuf::from("/etc/pkcs11/modules")];
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(c) = config {
        dirs.push(c.join("pkcs11/modules"));
    }
    dirs
}

/// The module configuration in `dirs` whose `module:` line loads `libcie_pkcs11.so`.
fn p11_kit_registration(dirs: &[PathBuf]) -> Option<PathBuf> {
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "module") {
                continue;
            }
            // A configuration file is a few lines; anything large is not one.
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() || meta.len() > 64 * 1024 {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let ours = text.lines().any(|l| {
                l.trim()
                    .strip_prefix("module:")
                    .is_some_and(|m| Path::new(m.trim()).file_name().is_some_and(|f| f == "libcie_pkcs11.so"))
            });
            if ours {
                return Some(path);
            }
        }
    }
    None
}

/// The p11-kit link: registered (ok), or a note saying who needs it.
fn p11_kit() -> Check {
    match p11_kit_registration(&p11_kit_dirs()) {
        Some(file) => Check::ok("p11-kit", tr!(DoctorLinkP11Kit), tr!(DoctorP11KitRegistered, file = file.display())),
        None => {
            Check::note("p11-kit", tr!(DoctorLinkP11Kit), tr!(DoctorP11KitNotRegistered), Some(tr!(DoctorAdviceP11Kit)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_p11_kit_configuration() {
        let dir = std::env::temp_dir().join(format!("cie-doctor-p11kit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("opensc.module"), "module: opensc-pkcs11.so\n").unwrap();
        assert_eq!(p11_kit_registration(std::slice::from_ref(&dir)), None);
        std::fs::write(dir.join("cie-pkcs11.module"), "# c\nmodule: libcie_pkcs11.so\ncritical: no\n").unwrap();
        assert_eq!(p11_kit_registration(&[dir.join("none"), dir.clone()]), Some(dir.join("cie-pkcs11.module")));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_that_is_no_module_is_refused() {
        let e = load(Path::new("/nonexistent/libcie_pkcs11.so")).unwrap_err();
        assert!(e.contains("/nonexistent/libcie_pkcs11.so"), "{e}");
        // libc is a shared library but not a PKCS#11 module.
        let libc = ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6"]
            .into_iter()
            .map(Path::new)
            .find(|p| p.is_file());
        if let Some(libc) = libc {
            assert!(load(libc).unwrap_err().contains("not a PKCS#11 module"));
        }
    }
}
