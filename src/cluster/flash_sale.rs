//! A flash sale (秒杀) as a reader or a lesson starts it: a few units of one
//! product, and most shoppers' detail pages drawn to it.
//!
//! Owns `Cluster::start_flash_sale` (the hot product's stock at every
//! inventory store set to the units on sale, every Tomcat's backend drawing
//! 90 % of detail pages to it) and `Cluster::units_oversold`, the headline
//! `oversold` figure. The sale ends at each Tomcat when an order for the
//! product comes back sold out (`app_server/backend`): its detail pages show
//! what shoppers click again, and those told "sold out" go back to browsing
//! (`shopper`). Whether the sale oversells is up to the design: the
//! lock and fencing switches decide, not this module. Never sends a message.

use super::ClusterNode;
use super::app_server::FlashSale;
use super::command::CommandError;
use super::shopper::CATALOGUE;
use super::topology::Cluster;
use crate::sim::{NodeId, Process};

/// Detail pages (per million) that show the product on sale.
pub const FLASH_SALE_SHARE_PPM: u32 = 900_000;

impl Cluster {
    /// Puts `units` of `product` on sale now. A machine that is down gets the
    /// sale's settings for its restart, as with a design switch. Refused with
    /// no change for a product outside the catalogue, or a cluster without
    /// an inventory store.
    pub fn start_flash_sale(&mut self, product: u32, units: u32) -> Result<(), CommandError> {
        if product == 0 || product > CATALOGUE {
            return Err(CommandError::UnknownProduct { product });
        }
        let ids: Vec<NodeId> = (0..self.sim.nodes().len()).map(|i| NodeId(i as u16)).collect();
        if !ids.iter().any(|&id| matches!(self.sim.node(id), ClusterNode::InventoryStore(_))) {
            return Err(CommandError::NoInventory);
        }
        let sale = FlashSale { product, share_ppm: FLASH_SALE_SHARE_PPM };
        for id in ids {
            let set = move |node: &mut ClusterNode| put_on_sale(node, sale, units);
            if self.sim.lifecycle(id).process == Process::Up {
                self.sim.command(id, "flash-sale", |node, _ctx| set(node));
            } else {
                set(self.sim.node_mut(id));
            }
        }
        Ok(())
    }

    /// Units sold beyond their supply, over every inventory store.
    pub fn units_oversold(&self) -> u64 {
        self.sim
            .nodes()
            .iter()
            .map(|n| if let ClusterNode::InventoryStore(s) = n { s.units_oversold() } else { 0 })
            .sum()
    }
}

/// A Tomcat draws detail pages to the sale; a stock table restocks the product.
fn put_on_sale(node: &mut ClusterNode, sale: FlashSale, units: u32) {
    match node {
        ClusterNode::App(app) => app.backend.iter_mut().for_each(|b| b.config.flash_sale = Some(sale)),
        ClusterNode::InventoryStore(store) => {
            // `units` are on sale now; what was sold before the sale stays
            // sold (and supplied), so earlier sales never count as oversold.
            if let Some(row) = store.stock.get_mut(&sale.product) {
                (row.supplied_units, row.units) = (row.units_sold + units, units);
            }
        }
        _ => {}
    }
}
