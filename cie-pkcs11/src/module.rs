//! The instantiable [`Module`] holding all state (DESIGN.md §2, §6), its [`Config`], and the
//! helpers every function family uses to reach a live session, one of its operations, or one
//! of its token's objects. The C entry points (`ffi`) own one static instance; tests
//! and benches build their own with [`Module::with_backend`]. The PKCS#11 functions are added
//! to `Module` by the files of `api`, one per function family.
//!
//! Lock order: a session's operation lock, then a slot's I/O lock, then a slot's state lock;
//! the instance's tables are never held while another lock is taken.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use cryptoki_sys::*;

use crate::backend::{AgentBackend, Backend, PcscBackend};
use crate::cache::{dir_from_env, CertCache};
use crate::error::{Ckr, Result};
use crate::instance::Instance;
use crate::objects::Object;
use crate::ops::{OperationKind, Operations};
use crate::session::Session;
use crate::sync::lock;

/// Settings read at `C_Initialize`.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Directory of the certificate cache (DESIGN.md §5); `None` turns the cache off.
    pub cache_dir: Option<PathBuf>,
}

impl Config {
    /// From the environment: `CIE_PKCS11_CACHE=off` disables the cache, otherwise it lives in
    /// `$XDG_CACHE_HOME/cie` or `~/.cache/cie`.
    pub fn from_env() -> Config {
        Config { cache_dir: dir_from_env() }
    }

    /// No certificate cache.
    pub fn without_cache() -> Config {
        Config { cache_dir: None }
    }

    /// The certificate cache in `dir`.
    pub fn with_cache_dir(dir: impl Into<PathBuf>) -> Config {
        Config { cache_dir: Some(dir.into()) }
    }
}

/// The production backend of one `C_Initialize`: the user's card agent when its socket answers
/// now (DESIGN.md §8), today's in-process path over PC/SC otherwise.
fn production_backend() -> Arc<dyn Backend> {
    match AgentBackend::connect() {
        Some(agent) => {
            tracing::info!("card operations through the card agent");
            Arc::new(agent)
        }
        None => {
            tracing::info!("card operations in this process (PC/SC)");
            Arc::new(PcscBackend::new())
        }
    }
}

/// A PKCS#11 module: the library state between `C_Initialize` and `C_Finalize`.
pub struct Module {
    /// A fixed backend (tests, benches); `None`: the production module, which opens a new
    /// backend at each `C_Initialize` (the card agent's when it answers, else a
    /// [`PcscBackend`]) and drops it at `C_Finalize`.
    backend: Option<Arc<dyn Backend>>,
    /// Fixed settings (tests, benches); `None`: read from the environment at `C_Initialize`.
    config: Option<Config>,
    /// The current initialisation.
    instance: Mutex<Option<Arc<Instance>>>,
}

impl Module {
    /// The production module: cards from the system's PC/SC service, settings from the
    /// environment at each `C_Initialize`. Holds no heap memory until then.
    pub const fn new() -> Module {
        Module { backend: None, config: None, instance: Mutex::new(None) }
    }

    /// A module over `backend` with fixed settings (tests, benches).
    pub fn with_backend(backend: impl Backend + 'static, config: Config) -> Module {
        Module { backend: Some(Arc::new(backend)), config: Some(config), instance: Mutex::new(None) }
    }

    /// The initialisation of this process. In a child after `fork()` the parent's instance, its
    /// sessions, card handles and PC/SC context are forgotten without being released (they
    /// are the parent's connections to the PC/SC service, still in use there): the child is
    /// not initialised until it calls `C_Initialize`, which opens its own.
    fn current(&self) -> MutexGuard<'_, Option<Arc<Instance>>> {
        let mut guard = lock(&self.instance);
        if guard.as_ref().is_some_and(|i| !i.belongs_to_this_process()) {
            if let Some(inherited) = guard.take() {
                std::mem::forget(inherited);
            }
            if let Some(backend) = &self.backend {
                backend.forget_inherited();
            }
        }
        guard
    }

    /// The current initialisation, or `CKR_CRYPTOKI_NOT_INITIALIZED`.
    pub(crate) fn instance(&self) -> Result<Arc<Instance>> {
        self.current().clone().ok_or(Ckr(CKR_CRYPTOKI_NOT_INITIALIZED))
    }

    /// Starts an initialisation (`C_Initialize` checks its arguments first).
    pub(crate) fn start(&self) -> Result<()> {
        let mut guard = self.current();
        if guard.is_some() {
            return Err(Ckr(CKR_CRYPTOKI_ALREADY_INITIALIZED));
        }
        let config = self.config.clone().unwrap_or_else(Config::from_env);
        let backend = self.backend.clone().unwrap_or_else(production_backend);
        *guard = Some(Arc::new(Instance::start(backend, config.cache_dir.map(CertCache::new))));
        Ok(())
    }

    /// Ends the initialisation (see `Instance::finish`): nothing acquired since
    /// `C_Initialize` outlives it, so a module unloaded afterwards leaks no socket and no memory.
    pub(crate) fn stop(&self) -> Result<()> {
        let instance = self.current().take().ok_or(Ckr(CKR_CRYPTOKI_NOT_INITIALIZED))?;
        instance.finish();
        Ok(())
    }

    /// Runs `f` on the live session `handle` of the current initialisation.
    pub(crate) fn with_session<R>(
        &self,
        handle: CK_SESSION_HANDLE,
        f: impl FnOnce(&Instance, &Arc<Session>) -> Result<R>,
    ) -> Result<R> {
        let inst = self.instance()?;
        let s = inst.session(handle)?;
        f(&inst, &s)
    }

    /// Runs `f` on one operation of the live session `handle` (`op` picks it from the
    /// session's operations), under the session's operation lock; `f` may also reach the
    /// instance and the session (e.g. the card, for a signature).
    pub(crate) fn with_op<T, R>(
        &self,
        handle: CK_SESSION_HANDLE,
        op: fn(&mut Operations) -> &mut Option<T>,
        f: impl FnOnce(&mut Option<T>, &Instance, &Session) -> Result<R>,
    ) -> Result<R> {
        self.with_session(handle, |inst, s| {
            let mut ops = lock(&s.ops);
            f(op(&mut ops), inst, s)
        })
    }

    /// Starts an operation in the live session `handle`: `CKR_OPERATION_ACTIVE` when one of
    /// that kind is active, else the one `start` makes (it runs under the operation lock).
    pub(crate) fn start_op<T>(
        &self,
        handle: CK_SESSION_HANDLE,
        op: fn(&mut Operations) -> &mut Option<T>,
        start: impl FnOnce(&Session) -> Result<T>,
    ) -> Result<()> {
        self.with_op(handle, op, |active, _, s| {
            if active.is_some() {
                return Err(Ckr(CKR_OPERATION_ACTIVE));
            }
            *active = Some(start(s)?);
            Ok(())
        })
    }

    /// Ends an operation of session `handle`, if there is one, without asking whether the
    /// session is still live (an error ends an operation, PKCS#11 2.40 §5.10-§5.12, also when
    /// the C entry point refused the arguments).
    pub(crate) fn end_operation(&self, handle: CK_SESSION_HANDLE, kind: OperationKind) {
        if let Ok(inst) = self.instance() {
            if let Some(s) = inst.find_session(handle) {
                lock(&s.ops).end(kind);
            }
        }
    }

    /// Runs `f` on a visible object of the live session's token (its objects made known
    /// first), or `CKR_OBJECT_HANDLE_INVALID`.
    pub(crate) fn with_object<R>(
        &self,
        handle: CK_SESSION_HANDLE,
        object: CK_OBJECT_HANDLE,
        f: impl FnOnce(&Session, &Object) -> R,
    ) -> Result<R> {
        self.with_session(handle, |_, s| {
            s.ensure_objects()?;
            let (objects, user) = s.objects();
            let set = objects.ok_or(Ckr(CKR_OBJECT_HANDLE_INVALID))?;
            let obj = set.get(object, user).ok_or(Ckr(CKR_OBJECT_HANDLE_INVALID))?;
            Ok(f(s, obj))
        })
    }
}

impl Default for Module {
    fn default() -> Self {
        Module::new()
    }
}
