//! The Intent Parser: shell text, argv vectors, tool calls, HTTP requests and
//! file operations become an [`Intent`], a list of structured [`Action`]s a
//! policy can judge.

mod action;

pub use action::{Action, ActionAttrs, HostClass, Intent, Resource, Span, Verb};
