//! The PKCS#11 functions as safe methods of [`Module`](crate::module::Module): one file per function
//! family of PKCS#11 2.40 chapter 5, each adding its `impl Module` methods over the module's
//! helpers (`with_session`, `with_op`, `start_op`, `with_object`). No family uses another.

mod digest;
pub(crate) mod general;
mod login;
mod objects;
mod sessions;
mod sign;
mod slots;
mod verify;
