//! The browser's own observers of size and visibility, so that nothing in a
//! frame has to ask for a layout.
//!
//! Owns two watchers: `SizeWatch` keeps an element's CSS size as a
//! `ResizeObserver` last reported it (the dot canvas reads it every frame),
//! and `VisibleWatch` keeps whether each watched element is in the viewport,
//! as an `IntersectionObserver` last reported it (the charts skip drawing
//! what nobody can see). Reading `clientWidth` or `getBoundingClientRect`
//! right after Yew patched the DOM forces a synchronous layout, which cost
//! about 1 ms a refresh. Never touches the model; a browser without an
//! observer simply gets no figures (callers fall back to asking).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Element, IntersectionObserver, IntersectionObserverEntry, ResizeObserver, ResizeObserverEntry};

/// An element's CSS size in pixels, as last observed.
pub struct SizeWatch {
    size_px: Rc<Cell<Option<(f64, f64)>>>,
    observer: ResizeObserver,
    _on_resize: Closure<dyn FnMut(js_sys::Array)>,
}

impl SizeWatch {
    /// Starts watching `element`; `None` without `ResizeObserver`.
    pub fn new(element: &Element) -> Option<Self> {
        let size_px = Rc::new(Cell::new(None));
        let cell = size_px.clone();
        let on_resize = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            if let Some(entry) = entries.iter().last().and_then(|e| e.dyn_into::<ResizeObserverEntry>().ok()) {
                let rect = entry.content_rect();
                cell.set(Some((rect.width(), rect.height())));
            }
        });
        let observer = ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok()?;
        observer.observe(element);
        Some(Self { size_px, observer, _on_resize: on_resize })
    }

    /// The size last reported, or `None` before the first report.
    pub fn size_px(&self) -> Option<(f64, f64)> {
        self.size_px.get()
    }
}

impl Drop for SizeWatch {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

/// Whether each watched element is in the viewport, as last observed.
pub struct VisibleWatch {
    seen: Rc<RefCell<Vec<(Element, bool)>>>,
    observer: Option<IntersectionObserver>,
    _on_change: Closure<dyn FnMut(js_sys::Array)>,
}

impl Default for VisibleWatch {
    fn default() -> Self {
        let seen: Rc<RefCell<Vec<(Element, bool)>>> = Rc::default();
        let table = seen.clone();
        let on_change = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            let mut table = table.borrow_mut();
            for entry in entries.iter().filter_map(|e| e.dyn_into::<IntersectionObserverEntry>().ok()) {
                let target = entry.target();
                if let Some(row) = table.iter_mut().find(|(el, _)| *el == target) {
                    row.1 = entry.is_intersecting();
                }
            }
        });
        let observer = IntersectionObserver::new(on_change.as_ref().unchecked_ref()).ok();
        Self { seen, observer, _on_change: on_change }
    }
}

impl VisibleWatch {
    /// Whether `element` is in view; an element seen for the first time
    /// starts being watched and counts as visible until the observer says.
    pub fn visible(&self, element: &Element) -> bool {
        let mut seen = self.seen.borrow_mut();
        seen.retain(|(el, _)| el.is_connected());
        if let Some(&(_, visible)) = seen.iter().find(|(el, _)| el == element) {
            return visible;
        }
        match &self.observer {
            Some(observer) => {
                observer.observe(element);
                seen.push((element.clone(), true));
            }
            None => return true,
        }
        true
    }
}

impl Drop for VisibleWatch {
    fn drop(&mut self) {
        if let Some(observer) = &self.observer {
            observer.disconnect();
        }
    }
}
