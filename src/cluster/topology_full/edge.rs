//! The shop's static content at the edge of the whole-shop topology.
//!
//! Owns what the origin publishes (the JS/CSS bundle and every product's
//! image and description, with the shop's `Cache-Control`), which CDN edge
//! each pool of shoppers loads assets from (its region's), and the links on
//! that path: browsers reach their edge over a short hop (a CDN sits near its
//! users), the edges reach the origin over the WAN. Also an operator's two
//! content actions: a deploy of new content at the origin, and a purge
//! (invalidation) at every edge. Never serves anything itself: `cdn`,
//! `http_cache` and the shoppers' browsers do.

use super::super::ClusterNode;
use super::super::design::Design;
use super::super::http_cache::{Origin, ResourceId};
use super::super::shopper::{AssetConfig, BUNDLE, all_assets, asset_path, description, image, policy};
use super::super::topology::WAN;
use super::id;
use crate::sim::{LinkProfile, SEC, Sim};

/// Browser to its region's CDN edge, one way: 2–8 ms (a nearby PoP).
pub const TO_EDGE: LinkProfile = LinkProfile {
    latency_min_us: 2_000,
    latency_jitter_us: 6_000,
    tail_ppm: 5_000,
    tail_mean_us: 20_000,
    loss_ppm: 0,
    duplicate_ppm: 0,
};

/// Where a pool of shoppers loads assets: its region's edge. Browsers wait
/// as long for an asset as for a page.
pub fn assets_for(pool: &str) -> AssetConfig {
    let cdn = if pool == "shoppers-central" { "cdn-central" } else { "cdn-south" };
    AssetConfig { cdn: id(cdn), timeout_us: 15 * SEC }
}

/// The origin with every asset published at time 0 (version 1).
pub fn origin(design: &Design) -> ClusterNode {
    let mut origin = Origin::default();
    for asset in all_assets() {
        origin.publish(0, asset, policy(asset, design.cache_ttl.seconds()));
    }
    ClusterNode::Origin(Box::new(origin))
}

/// The `cache-ttl` switch reaches the origin: descriptions are sent with the
/// new `s-maxage` from now on (copies already at an edge keep theirs).
pub fn set_description_ttl(origin: &mut Origin, design: &Design) {
    for (&asset, resource) in origin.resources.iter_mut() {
        resource.policy = policy(asset, design.cache_ttl.seconds());
    }
}

/// Links of the asset path.
pub fn wire(sim: &mut Sim<ClusterNode>) {
    for pool in ["xiaoming", "shoppers-south", "shoppers-central"] {
        let cdn = assets_for(pool).cdn;
        sim.network_mut().set_link(id(pool), cdn, TO_EDGE);
        sim.network_mut().set_link(cdn, id(pool), TO_EDGE);
    }
    for cdn in ["cdn-south", "cdn-central"] {
        sim.network_mut().set_link(id(cdn), id("origin"), WAN);
        sim.network_mut().set_link(id("origin"), id(cdn), WAN);
    }
}

/// The assets a deploy or purge of `product` touches (the bundle without one).
pub fn assets_of(product: Option<u32>) -> Vec<ResourceId> {
    match product {
        Some(p) => vec![image(p), description(p)],
        None => vec![BUNDLE],
    }
}

/// New content at the origin now (the version goes up, Last-Modified is
/// now). The edges keep their copies until these expire or are purged; each
/// edge's observer note lets it count the old versions it still serves.
pub fn deploy(sim: &mut Sim<ClusterNode>, assets: &[ResourceId]) {
    let mut versions = Vec::new();
    sim.command(id("origin"), "deploy", |node, ctx| {
        if let ClusterNode::Origin(o) = node {
            versions = assets.iter().filter_map(|&a| Some((a, o.update(ctx.now_us, a)?))).collect();
        }
    });
    for edge in ["cdn-south", "cdn-central"] {
        if let ClusterNode::Cdn(e) = sim.node_mut(id(edge)) {
            versions.iter().for_each(|&(asset, version)| e.note_origin_version(asset, version));
        }
    }
}

/// An invalidation at every edge (as CloudFront's CreateInvalidation): the
/// copies are dropped now and the next request fetches from the origin. An
/// edge that is down holds nothing to drop.
pub fn purge(sim: &mut Sim<ClusterNode>, assets: &[ResourceId]) {
    for edge in ["cdn-south", "cdn-central"] {
        sim.command(id(edge), "purge", |node, ctx| {
            if let ClusterNode::Cdn(e) = node {
                assets.iter().for_each(|&a| _ = e.purge(a));
                ctx.log(format!(
                    "edge purged {}",
                    assets.iter().map(|&a| asset_path(a)).collect::<Vec<_>>().join(", ")
                ));
            }
        });
    }
}
