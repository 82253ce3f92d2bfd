//! The edge in the shoppers' journey: each page's static assets load through
//! the shopper's own browser cache and the region's CDN edge in front of the
//! origin. A copy within its max-age is used with nothing sent; after it the
//! browser revalidates and gets a 304 (or a 200 after a deploy and purge);
//! the edges' hit ratio over a run is believable; a crashed or cut-off edge
//! fails its region's assets naming the edge and the cause. Xiaoming can be
//! followed step by step.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::cluster::cdn::stale_copies;
use clusterlab::cluster::command::{Command, XiaomingAction};
use clusterlab::cluster::http_cache::CacheStats;
use clusterlab::cluster::shopper::{BUNDLE, BUNDLE_MAX_AGE_S, ShopperPool};
use clusterlab::cluster::snapshot::NodeDetail;
use clusterlab::cluster::topology::SliceOptions;
use clusterlab::cluster::topology_full::id;
use clusterlab::cluster::{Cluster, ClusterNode, FailCause, Page};
use clusterlab::sim::{Fault, SEC};
use std::collections::BTreeMap;

#[path = "support/shop.rs"]
mod shop;
use shop::{broken, run};

fn shop(seed: u64, shoppers: u16) -> Cluster {
    Cluster::full(&SliceOptions { seed, shoppers, surge_capacity: shoppers.max(1) * 10, ..SliceOptions::default() })
}

fn pool<'c>(c: &'c Cluster, name: &str) -> &'c ShopperPool {
    match c.sim.node(id(name)) {
        ClusterNode::Shoppers(p) => p,
        other => panic!("{name} is {other:?}"),
    }
}

fn stats(c: &Cluster) -> CacheStats {
    pool(c, "xiaoming").asset_stats
}

fn xiaoming(c: &mut Cluster, action: XiaomingAction) {
    c.apply(&Command::Xiaoming { action }).unwrap_or_else(|e| panic!("{action:?}: {e}"));
}

/// One step by hand, run until its page and assets are in.
fn step(c: &mut Cluster, seed: u64) -> Page {
    xiaoming(c, XiaomingAction::NextStep);
    let until = c.sim.now_us() + 2 * SEC;
    run(c, until, seed);
    let last = pool(c, "xiaoming").shoppers[0].last.expect("a step has an outcome");
    assert_eq!(last.failure, None, "seed {seed}: {:?} failed", last.page);
    last.page
}

/// Xiaoming, stepped by hand in an otherwise empty shop, loads the bundle
/// with a 200 on his first page; his next page within max-age=60 sends
/// nothing for it; a page after 60 s revalidates it and gets a 304 with the
/// same version; after a deploy and a purge the next revalidation gets a 200
/// with the new version.
#[test]
fn strong_cache_then_304_then_200_after_a_deploy() {
    let seed = 21;
    let mut c = shop(seed, 0);
    xiaoming(&mut c, XiaomingAction::Manual);
    run(&mut c, 3 * SEC, seed);
    let bundle_version = |c: &Cluster| pool(c, "xiaoming").shoppers[0].browser.get(BUNDLE).map(|e| e.version);

    assert_eq!(step(&mut c, seed), Page::Home);
    let s = stats(&c);
    assert_eq!((s.misses, s.full, s.hits), (1, 1, 0), "seed {seed}: first page: {s:?}");
    assert_eq!(bundle_version(&c), Some(1), "seed {seed}");

    assert_eq!(step(&mut c, seed), Page::Search);
    let s = stats(&c);
    assert_eq!((s.hits, c.metric("asset-requests")), (1, 1), "seed {seed}: within max-age nothing is sent: {s:?}");

    let later = c.sim.now_us() + (BUNDLE_MAX_AGE_S + 1) * SEC;
    run(&mut c, later, seed);
    assert_eq!(step(&mut c, seed), Page::Detail);
    let s = stats(&c);
    assert_eq!((s.revalidations, s.not_modified), (1, 1), "seed {seed}: after max-age a 304: {s:?}");
    assert_eq!(bundle_version(&c), Some(1), "seed {seed}: a 304 keeps the stored body");
    // The detail page brought the product's image and description too.
    let browser = &pool(&c, "xiaoming").shoppers[0].browser;
    assert_eq!(browser.entries.len(), 3, "seed {seed}: {:?}", browser.entries);

    c.apply(&Command::Deploy { product: None }).expect("deploy");
    c.apply(&Command::Purge { product: None }).expect("purge");
    let later = c.sim.now_us() + (BUNDLE_MAX_AGE_S + 1) * SEC;
    run(&mut c, later, seed);
    step(&mut c, seed);
    let s = stats(&c);
    assert_eq!((s.revalidations, s.not_modified, s.full), (2, 1, 4), "seed {seed}: after a deploy a 200: {s:?}");
    assert_eq!(bundle_version(&c), Some(2), "seed {seed}: the new bundle");
    assert_eq!(broken(&c), Vec::<String>::new(), "seed {seed}");
}

/// 300 shoppers for two minutes: browsers use their own copies, revalidate
/// with 304s, the edges answer most requests from their stores, no asset
/// fails, every invariant (a cache never serves stale unvalidated among
/// them) holds and both edge witnesses are seen.
#[test]
fn three_hundred_shoppers_through_browser_caches_and_cdn_edges() {
    let seed = 5;
    let mut c = shop(seed, 300);
    run(&mut c, 120 * SEC, seed);
    let m = |name: &str| c.metric(name);
    let (hits, misses) = (m("cdn-hits"), m("cdn-misses"));
    let ratio_pct = hits * 100 / (hits + misses).max(1);
    let browser_pct = m("browser-cache-hits") * 100 / (m("browser-cache-hits") + m("asset-requests")).max(1);
    let figures = format!(
        "seed {seed}: cdn hits {hits}, misses {misses} ({ratio_pct} %), browser hits {} of {} uses ({browser_pct} %), \
         304s {}, requests-ok {}",
        m("browser-cache-hits"),
        m("browser-cache-hits") + m("asset-requests"),
        m("responses-304"),
        m("requests-ok")
    );
    println!("{figures}");
    assert!((40..=95).contains(&ratio_pct), "edge hit ratio out of range: {figures}");
    assert!((30..=95).contains(&browser_pct), "browser hit ratio out of range: {figures}");
    assert!(m("responses-304") > 100, "{figures}");
    assert_eq!(m("assets-failed"), 0, "{figures}");
    assert_eq!(broken(&c), Vec::<String>::new(), "{figures}");
    let seen = |name: &str| c.sim.properties().verdicts().iter().any(|v| v.name == name && v.holds);
    for witness in ["a-browser-copy-revalidated-with-304", "a-cdn-edge-hit"] {
        assert!(seen(witness), "{witness} never happened: {figures}");
    }
    // The origin sees only the edges' misses and revalidations.
    let ClusterNode::Origin(o) = c.sim.node(id("origin")) else { panic!("origin") };
    assert!(o.requests < misses, "seed {seed}: origin {} requests, edge misses {misses}", o.requests);
}

/// A down edge in the south: its shoppers' asset requests fail naming the
/// edge — refused at once when crashed, timed out after 15 s when cut off —
/// the pages themselves are still served, and the central region, with its
/// own edge, loses nothing. Browsers do not fall back to the origin.
#[test]
fn a_down_cdn_edge_fails_its_regions_assets_naming_it() {
    let cases = [(NodeFault::Crash, FailCause::Refused), (NodeFault::Partition, FailCause::TimedOut)];
    let seed = 8;
    for (fault, cause) in cases {
        let mut c = shop(seed, 100);
        run(&mut c, 30 * SEC, seed);
        let ok_before = c.metric("requests-ok");
        let origin_before = origin_requests(&c);
        let node = id("cdn-south");
        c.inject(match fault {
            NodeFault::Crash => Fault::Crash { node },
            NodeFault::Partition => Fault::Isolate { node },
        });
        run(&mut c, 60 * SEC, seed);
        let south = pool(&c, "shoppers-south");
        let asset_failures: Vec<_> = south.recent_failures.iter().filter(|f| f.asset.is_some()).collect();
        assert!(south.assets_failed > 10, "seed {seed}, {fault:?}: {} assets failed", south.assets_failed);
        let named = asset_failures.iter().all(|f| f.node == node && f.cause == cause);
        assert!(named, "seed {seed}, {fault:?}: {asset_failures:?}");
        assert_eq!(pool(&c, "shoppers-central").assets_failed, 0, "seed {seed}, {fault:?}: central has its own edge");
        assert!(c.metric("requests-ok") > ok_before + 500, "seed {seed}, {fault:?}: pages still served");
        // The south's misses did not go to the origin instead.
        let ClusterNode::Cdn(central) = c.sim.node(id("cdn-central")) else { panic!("cdn-central") };
        assert!(origin_requests(&c) - origin_before <= central.stats.origin_fetches, "seed {seed}, {fault:?}");
        assert_eq!(broken(&c), Vec::<String>::new(), "seed {seed}, {fault:?}");
    }
}

#[derive(Clone, Copy, Debug)]
enum NodeFault {
    Crash,
    Partition,
}

fn origin_requests(c: &Cluster) -> u64 {
    match c.sim.node(id("origin")) {
        ClusterNode::Origin(o) => o.requests,
        other => panic!("origin is {other:?}"),
    }
}

/// Each next-step takes exactly one journey step (logging in first where a
/// page needs a session), is refused while a page is on its way and when he
/// walks on his own, and the snapshot says where he is, how his last page
/// went and which app server holds his session.
#[test]
fn xiaoming_takes_one_journey_step_per_command() {
    let seed = 4;
    let mut c = shop(seed, 20);
    xiaoming(&mut c, XiaomingAction::Manual);
    run(&mut c, 4 * SEC, seed);
    let journeys_at_start = pool(&c, "xiaoming").shoppers[0].journeys_completed;
    let start = pool(&c, "xiaoming").shoppers[0].step;
    let mut pages = Vec::new();
    for _ in 0..7 {
        // He finishes any page he was on, then moves only when told.
        let until = c.sim.now_us() + 20 * SEC;
        run(&mut c, until, seed);
        let follow = follow_view(&c);
        assert_eq!(follow.waiting_for, None, "seed {seed}: he moved on his own: {follow:?}");
        pages.push(step(&mut c, seed));
    }
    let expected: Vec<Page> = (0..7).map(|i| Page::JOURNEY[(start + i) % Page::JOURNEY.len()]).collect();
    let walked: Vec<Page> = pages.iter().copied().filter(|&p| p != Page::Login).collect();
    assert_eq!(walked, expected[..walked.len()], "seed {seed}: pages {pages:?}");
    let follow = follow_view(&c);
    assert_eq!(follow.last_outcome, Some("ok"), "seed {seed}: {follow:?}");
    let session_on = follow.session_on.clone().unwrap_or_default();
    assert!(["app-1", "app-2"].contains(&session_on.as_str()), "seed {seed}: {follow:?}");
    assert!(follow.manual && !follow.browser_cache.is_empty(), "seed {seed}: {follow:?}");
    assert!(pool(&c, "xiaoming").shoppers[0].journeys_completed >= journeys_at_start, "seed {seed}");

    // Refusals say why and change nothing.
    xiaoming(&mut c, XiaomingAction::NextStep);
    let hash = c.sim.trace_hash();
    let busy = c.apply(&Command::Xiaoming { action: XiaomingAction::NextStep }).expect_err("busy");
    assert!(busy.to_string().contains("still waiting for the"), "seed {seed}: {busy}");
    assert_eq!(c.sim.trace_hash(), hash, "seed {seed}: a refused step left a trace");
    xiaoming(&mut c, XiaomingAction::Auto);
    let auto = c.apply(&Command::Xiaoming { action: XiaomingAction::NextStep }).expect_err("auto");
    assert!(auto.to_string().contains("switch to manual first"), "seed {seed}: {auto}");
    // On his own again: several pages in 20 s (a think time is 2 s).
    let auto_at_us = c.sim.now_us();
    run(&mut c, auto_at_us + 20 * SEC, seed);
    let last = pool(&c, "xiaoming").shoppers[0].last.expect("an outcome");
    assert!(last.at_us > auto_at_us + 5 * SEC, "seed {seed}: he stopped walking after auto: {last:?}");
    assert_eq!(broken(&c), Vec::<String>::new(), "seed {seed}");
}

fn follow_view(c: &Cluster) -> clusterlab::cluster::snapshot::FollowView {
    let snapshot = c.snapshot();
    let node = snapshot.nodes.iter().find(|n| n.id == "xiaoming").expect("xiaoming in the snapshot");
    match &node.detail {
        NodeDetail::Shoppers { follow: Some(f), .. } => f.clone(),
        other => panic!("xiaoming's detail is {other:?}"),
    }
}

/// The edge's inspector: what it holds with freshness, and its 200s vs 304s.
#[test]
fn the_cdn_inspector_shows_entries_with_freshness_and_200s_vs_304s() {
    let seed = 6;
    let mut c = shop(seed, 100);
    run(&mut c, 90 * SEC, seed);
    let snapshot = c.snapshot();
    let node = snapshot.nodes.iter().find(|n| n.id == "cdn-south").expect("cdn-south");
    let NodeDetail::Cdn { entries, answered_200, answered_304, .. } = &node.detail else {
        panic!("cdn-south's detail is {:?}", node.detail)
    };
    assert!(*answered_200 > 0 && *answered_304 > 0, "seed {seed}: 200s {answered_200}, 304s {answered_304}");
    assert!(!entries.is_empty() && entries.len() <= 24, "seed {seed}: {} rows", entries.len());
    // An edge keeps a description for s-maxage (300 s) and an image a day.
    for e in entries {
        let expected = if e.path.starts_with("/item/") {
            300
        } else if e.path.starts_with("/img/") {
            86_400
        } else {
            60
        };
        assert_eq!(e.lifetime_s, expected, "seed {seed}: {e:?}");
        assert_eq!(e.fresh, e.age_s < e.lifetime_s, "seed {seed}: {e:?}");
    }
}

/// How many of a pool's browsers hold each version of the bundle.
fn bundle_versions(c: &Cluster, name: &str) -> BTreeMap<u32, usize> {
    let mut versions = BTreeMap::new();
    for s in &pool(c, name).shoppers {
        if let Some(e) = s.browser.get(BUNDLE) {
            *versions.entry(e.version).or_default() += 1;
        }
    }
    versions
}

/// A deploy of the JS/CSS bundle, and sixty new visitors just after it.
/// Without a purge the edges keep handing out the old version (to the new
/// visitors) until the edge's own copy expires (max-age 60 s); with a purge
/// just after the deploy the next request at each edge fetches the new one.
/// 75 s later every browser of the crowd has the new bundle either way.
#[test]
fn after_a_deploy_edges_serve_the_old_bundle_until_it_expires_or_is_purged() {
    let seed = 14;
    for purge in [false, true] {
        let mut c = shop(seed, 60);
        run(&mut c, 30 * SEC, seed);
        c.apply(&Command::Deploy { product: None }).expect("deploy");
        if purge {
            c.apply(&Command::Purge { product: None }).expect("purge");
        }
        c.apply(&Command::SetShoppers { shoppers: 120 }).expect("new visitors");
        run(&mut c, 36 * SEC, seed);
        let (ClusterNode::Cdn(edge), ClusterNode::Origin(origin)) =
            (c.sim.node(id("cdn-south")), c.sim.node(id("origin")))
        else {
            panic!("cdn-south and origin")
        };
        let stale = stale_copies(edge, origin);
        let versions = bundle_versions(&c, "shoppers-south");
        let case = format!("seed {seed}, purge {purge}: edge stale copies {stale:?}, browsers' bundles {versions:?}");
        if purge {
            assert!(stale.is_empty() && versions.contains_key(&2), "{case}");
            assert_eq!(edge.stats.serving_stale_version, 0, "{case}");
        } else {
            assert_eq!(stale, vec![(BUNDLE, 1, 2)], "{case}");
            assert!(edge.stats.serving_stale_version > 0 && !versions.contains_key(&2), "{case}");
        }
        // The edge's old copy ends by 90 s, the new visitors' by 96 s.
        run(&mut c, 105 * SEC, seed);
        let versions = bundle_versions(&c, "shoppers-south");
        assert_eq!(versions.keys().copied().collect::<Vec<_>>(), vec![2], "seed {seed}, purge {purge}: {versions:?}");
        assert_eq!(broken(&c), Vec::<String>::new(), "seed {seed}, purge {purge}");
    }
    let mut c = shop(seed, 0);
    let bad = c.apply(&Command::Purge { product: Some(1_001) }).expect_err("no product 1001");
    assert!(bad.to_string().contains("products are 1 to 1000"), "{bad}");
    let mut slice = Cluster::slice(&SliceOptions { seed, ..SliceOptions::default() });
    let none = slice.apply(&Command::Deploy { product: Some(7) }).expect_err("no CDN in the slice");
    assert!(none.to_string().contains("no origin and CDN edges"), "{none}");
}
