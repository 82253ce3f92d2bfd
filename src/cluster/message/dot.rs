//! How a message looks as a dot on the diagram: what it is and how it went.
//!
//! Owns `DotClass` (requests by kind; answers by outcome: ok, cache hit,
//! 304, rejected, error; the cluster's own protocol traffic) and the mapping
//! from each message to its class. Never draws anything: the UI picks the
//! colours.

use super::{HttpCacheMsg, Msg, Page, Status};

/// How a message should look as a dot: what it is and how it went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DotClass {
    Browse,
    Cart,
    Order,
    Pay,
    Login,
    Ok,
    /// An answer from a cache's store (a CDN edge hit: `X-Cache: Hit`).
    CacheHit,
    /// 304 Not Modified: the asker's copy confirmed, no body sent.
    NotModified,
    Rejected,
    Error,
    /// Heartbeats, replication, elections: the cluster talking to itself.
    Control,
}

impl Msg {
    pub fn dot_class(&self) -> DotClass {
        match self {
            Msg::Request(r) => match r.page {
                Page::Home | Page::Search | Page::Detail => DotClass::Browse,
                Page::AddToCart => DotClass::Cart,
                Page::Order => DotClass::Order,
                Page::Pay => DotClass::Pay,
                Page::Login => DotClass::Login,
            },
            Msg::Response(r) => match r.status {
                Status::Ok => DotClass::Ok,
                Status::LoginRedirect => DotClass::Rejected,
                _ => DotClass::Error,
            },
            // Static assets: requests browse; answers by how they were served.
            Msg::HttpCache(m) => match m {
                _ if m.is_edge_hit() => DotClass::CacheHit,
                HttpCacheMsg::Get { .. } => DotClass::Browse,
                HttpCacheMsg::Ok { .. } => DotClass::Ok,
                HttpCacheMsg::NotModified { .. } => DotClass::NotModified,
                HttpCacheMsg::Failed { .. } => DotClass::Error,
            },
            // Protocol traffic between servers (heartbeats, replication, …).
            _ => DotClass::Control,
        }
    }

    /// The shopper a message belongs to, as (pool-local index).
    pub fn request_page(&self) -> Option<Page> {
        match self {
            Msg::Request(r) => Some(r.page),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::http_cache::{FetchFailure, Headers, ResourceId, Response, ResponseStatus};

    #[test]
    fn asset_answers_are_coloured_by_how_they_were_served() {
        let answer = |status| Response { status, version: 1, headers: Headers::default() }.to_msg(ResourceId(1), 0);
        let get =
            HttpCacheMsg::Get { resource: ResourceId(1), if_none_match: Some(1), if_modified_since_s: None, conn: 0 };
        let failed = HttpCacheMsg::Failed { resource: ResourceId(1), reason: FetchFailure::BadGateway, conn: 0 };
        let cases = [
            (get, DotClass::Browse),
            (answer(ResponseStatus::Ok), DotClass::Ok),
            (answer(ResponseStatus::Ok).edge_hit(), DotClass::CacheHit),
            (answer(ResponseStatus::NotModified), DotClass::NotModified),
            (answer(ResponseStatus::NotModified).edge_hit(), DotClass::CacheHit),
            (failed, DotClass::Error),
        ];
        for (msg, class) in cases {
            assert_eq!(Msg::HttpCache(msg).dot_class(), class, "{msg:?}");
        }
    }
}
