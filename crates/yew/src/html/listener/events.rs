// Inspired by: http://package.elm-lang.org/packages/elm-lang/html/2.0.0/Html-Events

macro_rules! impl_action {
    ($($action:ident($type:ident) -> $ret:path => $convert:path)*) => {$(
        impl_action!($action($type, false) -> $ret => $convert);
    )*};
    ($($action:ident($type:ident, $passive:literal) -> $ret:path => $convert:path)*) => {$(
        /// An abstract implementation of a listener.
        #[doc(hidden)]
        pub mod $action {
            use crate::callback::Callback;
            use crate::virtual_dom::{Listener, ListenerKind};
            use std::rc::Rc;

            /// A wrapper for a callback which attaches event listeners to elements.
            #[derive(Clone, Debug)]
            pub struct Wrapper {
                callback: Callback<Event>,
            }

            impl Wrapper {
                /// Create a wrapper for an event-typed callback
                pub fn new(callback: Callback<Event>) -> Self {
                    Wrapper { callback }
                }

                #[doc(hidden)]
                #[inline]
                pub fn __macro_new(
                    callback: impl crate::html::IntoEventCallback<Event>,
                ) -> Option<Rc<dyn Listener>> {
                    let callback = callback.into_event_callback()?;
                    Some(Rc::new(Self::new(callback)))
                }
            }

            /// And event type which keeps the returned type.
            pub type Event = $ret;

            impl Listener for Wrapper {
                fn kind(&self) -> ListenerKind {
                    ListenerKind::$action
                }

                fn handle(&self, event: web_sys::Event) {
                    self.callback.emit($convert(event));
                }

                fn passive(&self) -> bool {
                    $passive
                }
            }
        }
    )*};
}

// Reduces repetition for common cases
macro_rules! impl_short {
    ($($action:ident)*) => {
        impl_action! {
            $(
                $action(Event) -> web_sys::Event => std::convert::identity
            )*
        }
    };
    ($($action:ident($type:ident))*) => {
        impl_action! {
            $(
                $action($type) -> web_sys::$type  => crate::html::listener::cast_event
            )*
        }
    };
}

// Unspecialized event type
// Leadmagnet trim: only the kinds the widget uses (see TRIMMED.md).
impl_short! {
    onchange
}

// Specialized event type
impl_short! {
    onclick(MouseEvent)

    oninput(InputEvent)

    onsubmit(SubmitEvent)
}

macro_rules! impl_passive {
    ($($action:ident($type:ident))*) => {
        impl_action! {
            $(
                $action($type, true) -> web_sys::$type
                    => crate::html::listener::cast_event
            )*
        }
    };
}

// Best used with passive listeners for responsiveness
impl_passive! {

}
