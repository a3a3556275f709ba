//! This module provides suspense support.

mod component;
mod hooks;
mod suspension;

// Leadmagnet trim: no component suspends (html/component/lifecycle.rs), so nothing uses it.
#[cfg(any(feature = "csr", feature = "ssr"))]
#[allow(unused_imports)]
pub(crate) use component::BaseSuspense;
pub use component::{Suspense, SuspenseProps};
pub use hooks::*;
pub use suspension::{Suspension, SuspensionHandle, SuspensionResult};
