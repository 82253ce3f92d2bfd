//! `ShopperPool`: a pool of shoppers as a `ClusterNode` holds it — a box,
//! so that every node of the shop stays 16 bytes (the properties walk every
//! node after each event). It reads and acts as the `Pool` inside.

use super::{AssetConfig, Pool, ShopperConfig};
use crate::cluster::metrics::ShopMetrics;
use crate::sim::NodeId;

/// A group of shoppers behind one node of the diagram (boxed).
#[derive(Clone, Debug)]
pub struct ShopperPool(Box<Pool>);

impl ShopperPool {
    pub fn new(config: ShopperConfig, entry: NodeId, metrics: ShopMetrics) -> Self {
        Self(Box::new(Pool::new(config, entry, metrics)))
    }

    /// The same pool, loading each page's static assets from `assets.cdn`.
    pub fn with_assets(mut self, assets: AssetConfig) -> Self {
        self.0.assets = Some(assets);
        self
    }
}

impl std::ops::Deref for ShopperPool {
    type Target = Pool;
    fn deref(&self) -> &Pool {
        &self.0
    }
}

impl std::ops::DerefMut for ShopperPool {
    fn deref_mut(&mut self) -> &mut Pool {
        &mut self.0
    }
}
