//! The `extern "C"` entry points (PKCS#11 2.40 and 3.0). Each is a thin shim over the safe
//! [`Module`](crate::module::Module) API, written with the one `cryptoki!` macro (`entry`) that does the
//! NULL checks, catches panics and maps `Result<(), Ckr>` to `CK_RV` (DESIGN.md §2, §6); the
//! shims own the one static `Module` of the process.
//!
//! The files follow the function families of chapter 5 of PKCS#11 2.40, named as the safe API's
//! (`api`): `general` (§5.4), `slots` (§5.5), `sessions` (§5.6), `login` (`C_Login`,
//! `C_LoginUser`, `C_Logout` of §5.6, `C_InitPIN`, `C_SetPIN` of §5.5), `objects` (§5.7),
//! `digest` (§5.10), `sign` (§5.11), `verify` (§5.12), and `unsupported` for the families the
//! card cannot serve. `tables` holds the function lists and interfaces that
//! `C_GetFunctionList` and `C_GetInterface` hand out; `buffers` the conventions for the
//! caller's buffers (§5.2) and the one bounded copy.
#![allow(non_snake_case)]
#![allow(clippy::missing_safety_doc)]

mod buffers;
mod digest;
mod entry;
mod general;
mod login;
mod objects;
mod sessions;
mod sign;
mod slots;
mod tables;
mod unsupported;
mod verify;

pub use digest::*;
pub use general::*;
pub use login::*;
pub use objects::*;
pub use sessions::*;
pub use sign::*;
pub use slots::*;
pub use tables::*;
pub use unsupported::*;
pub use verify::*;
