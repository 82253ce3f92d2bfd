//! Which participants a transaction enlists.
//!
//! Owns the coordinator's enlistment rule: by default every participant
//! takes part in every transaction; in the shop, the order service always
//! does and the stock is sharded by product id (1–500 on inventory-1,
//! 501–1000 on inventory-2, the source text's ranges), so each order enlists
//! the inventory participant that owns its product — and only that one, so
//! a crashed inventory-2 blocks or aborts only the orders it takes part in.
//! A set of participants is a bit mask over the coordinator's list (bit i =
//! participant i). Never sends anything: the coordinator does.

/// A range of product ids owned by one participant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProductShard {
    pub lo: u32,
    pub hi: u32,
    /// Index in the coordinator's participant list.
    pub participant: usize,
}

/// The enlistment rule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Enlist {
    /// Every participant in every transaction.
    #[default]
    All,
    /// `always` in every transaction, plus the owner of the product's shard
    /// (a product in no shard enlists every shard's owner).
    ByProduct { always: Vec<usize>, shards: Vec<ProductShard> },
}

impl Enlist {
    /// The participants (bit mask) a transaction on `product` enlists, out of `count`.
    pub fn members(&self, product: u32, count: usize) -> u32 {
        let all = if count >= 32 { u32::MAX } else { (1u32 << count) - 1 };
        match self {
            Self::All => all,
            Self::ByProduct { always, shards } => {
                let owner = shards.iter().find(|s| (s.lo..=s.hi).contains(&product));
                let stock = match owner {
                    Some(s) => bit(s.participant),
                    None => shards.iter().fold(0, |m, s| m | bit(s.participant)),
                };
                (always.iter().fold(0, |m, &i| m | bit(i)) | stock) & all
            }
        }
    }
}

const fn bit(index: usize) -> u32 {
    if index < 32 { 1 << index } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_enlist_the_owner_of_their_shard() {
        let shards =
            vec![ProductShard { lo: 1, hi: 500, participant: 1 }, ProductShard { lo: 501, hi: 1000, participant: 2 }];
        let rule = Enlist::ByProduct { always: vec![0], shards };
        // (product, members)
        for (product, members) in [(1, 0b011), (500, 0b011), (501, 0b101), (1000, 0b101), (1001, 0b111)] {
            assert_eq!(rule.members(product, 3), members, "product {product}");
        }
        assert_eq!(Enlist::All.members(7, 3), 0b111);
    }
}
