//! The collector's full domain lists against the widget's compact ones.

use leadmagnet_core::domains::{DomainClass, DomainLists, COMPACT_DISPOSABLE, COMPACT_FREE};
use leadmagnet_server::domains::FullLists;

#[test]
fn full_lists_are_loaded() {
    let full = FullLists::get();
    assert_eq!(full.free_count(), 14_125);
    assert_eq!(full.disposable_count(), 121_570);
}

#[test]
fn compact_lists_are_subsets_so_the_widget_never_contradicts_the_collector() {
    let full = FullLists::get();
    for d in COMPACT_FREE {
        assert_eq!(full.classify(d), DomainClass::Free, "{d}");
    }
    for d in COMPACT_DISPOSABLE {
        assert_eq!(full.classify(d), DomainClass::Disposable, "{d}");
    }
}

#[test]
fn full_lists_know_more_than_the_compact_ones() {
    let full = FullLists::get();
    // On both full lists: disposable wins (the classes are disjoint).
    assert_eq!(full.classify("0-mail.com"), DomainClass::Disposable);
    assert_eq!(full.classify("gmx.de"), DomainClass::Free);
    assert_eq!(full.classify("contoso.example"), DomainClass::Business);
}
