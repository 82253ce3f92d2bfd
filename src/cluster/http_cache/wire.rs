//! HTTP on the wire between browsers, caches and the origin: `HttpCacheMsg`.
//!
//! Owns the message type, the reasons a fetch fails, the in-memory `Response`
//! a cache works with, and the conversion between the two. Header times travel
//! in whole seconds, as HTTP-date and delta-seconds do (RFC 9110 §5.6.7,
//! RFC 9111 §1.2.2), and the ETag travels as the version it names. Holds no
//! state and decides nothing: the caching rules are in `http_cache`.

use crate::cluster::http_cache::{Headers, ResourceId};
use crate::sim::{Message, SEC, TimeUs};

/// Marks an absent header on the wire.
const ABSENT: u32 = u32::MAX;

/// Whole seconds: HTTP-date and delta-seconds have one-second resolution
/// (RFC 9110 §5.6.7, RFC 9111 §1.2.2).
pub fn to_secs(t_us: TimeUs) -> u32 {
    (t_us / SEC).min(u64::from(ABSENT - 1)) as u32
}

fn opt_secs(t_us: Option<TimeUs>) -> u32 {
    t_us.map_or(ABSENT, to_secs)
}

fn from_secs(s: u32) -> Option<TimeUs> {
    (s != ABSENT).then(|| u64::from(s) * SEC)
}

/// The header times as they travel, in whole seconds (`u32::MAX` = absent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WireTimes {
    pub date_s: u32,
    pub max_age_s: u32,
    pub s_maxage_s: u32,
    pub expires_s: u32,
    pub last_modified_s: u32,
}

/// The header flags as they travel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct WireFlags(pub u8);

impl WireFlags {
    pub const NO_CACHE: u8 = 1;
    pub const NO_STORE: u8 = 2;
    pub const PRIVATE: u8 = 4;
    /// An `ETag` is present; its value is the message's `version`.
    pub const ETAG: u8 = 8;
    /// `X-Cache: Hit`: a CDN edge answered from its own store, without the
    /// origin (CloudFront's "Hit from cloudfront"). Not a caching header:
    /// caches ignore it; clients count it.
    pub const EDGE_HIT: u8 = 16;

    pub const fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// 200 with a body, or 304 confirming the stored one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResponseStatus {
    Ok,
    NotModified,
}

/// A response as a cache sees it. For a 304, `version` is what the ETag names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Response {
    pub status: ResponseStatus,
    pub version: u32,
    pub headers: Headers,
}

impl Response {
    /// The message carrying this response on connection `conn` (times
    /// truncated to whole seconds).
    pub fn to_msg(&self, resource: ResourceId, conn: u16) -> HttpCacheMsg {
        let h = &self.headers;
        let times = WireTimes {
            date_s: to_secs(h.date_us),
            max_age_s: opt_secs(h.max_age_us),
            s_maxage_s: opt_secs(h.s_maxage_us),
            expires_s: opt_secs(h.expires_us),
            last_modified_s: opt_secs(h.last_modified_us),
        };
        let bit = |on: bool, b: u8| if on { b } else { 0 };
        let flags = WireFlags(
            bit(h.no_cache, WireFlags::NO_CACHE)
                | bit(h.no_store, WireFlags::NO_STORE)
                | bit(h.private, WireFlags::PRIVATE)
                | bit(h.etag.is_some(), WireFlags::ETAG),
        );
        // The ETag is the version's strong validator: one field carries both.
        let version = h.etag.unwrap_or(self.version);
        match self.status {
            ResponseStatus::Ok => HttpCacheMsg::Ok { resource, version, flags, times, conn },
            ResponseStatus::NotModified => HttpCacheMsg::NotModified { resource, version, flags, times, conn },
        }
    }

    /// The response a 200 or 304 message carries, if it is one.
    pub fn from_msg(msg: HttpCacheMsg) -> Option<(ResourceId, Response)> {
        let (status, resource, version, flags, t) = match msg {
            HttpCacheMsg::Ok { resource, version, flags, times, .. } => {
                (ResponseStatus::Ok, resource, version, flags, times)
            }
            HttpCacheMsg::NotModified { resource, version, flags, times, .. } => {
                (ResponseStatus::NotModified, resource, version, flags, times)
            }
            _ => return None,
        };
        let headers = Headers {
            date_us: u64::from(t.date_s) * SEC,
            max_age_us: from_secs(t.max_age_s),
            s_maxage_us: from_secs(t.s_maxage_s),
            expires_us: from_secs(t.expires_s),
            no_cache: flags.has(WireFlags::NO_CACHE),
            no_store: flags.has(WireFlags::NO_STORE),
            private: flags.has(WireFlags::PRIVATE),
            etag: flags.has(WireFlags::ETAG).then_some(version),
            last_modified_us: from_secs(t.last_modified_s),
        };
        Some((resource, Response { status, version, headers }))
    }
}

/// Why a fetch failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FetchFailure {
    /// 404 from the origin.
    NotFound,
    /// 502 from a cache: the origin refused the connection.
    BadGateway,
    /// 504 from a cache: the origin did not answer in time.
    GatewayTimeout,
    /// The upstream's own host refused this client's connection.
    Refused,
    /// No answer before this client's own timeout.
    TimedOut,
}

/// HTTP between browsers, caches and the origin. `conn` names the client's
/// connection: a server answers on the connection the request came in on,
/// so the answer echoes it (a node with many users, like a pool of
/// shoppers, tells its users' answers apart by it; a lone browser uses 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HttpCacheMsg {
    /// GET, conditional when it carries validators.
    Get {
        resource: ResourceId,
        if_none_match: Option<u32>,
        if_modified_since_s: Option<u32>,
        conn: u16,
    },
    Ok {
        resource: ResourceId,
        version: u32,
        flags: WireFlags,
        times: WireTimes,
        conn: u16,
    },
    NotModified {
        resource: ResourceId,
        version: u32,
        flags: WireFlags,
        times: WireTimes,
        conn: u16,
    },
    Failed {
        resource: ResourceId,
        reason: FetchFailure,
        conn: u16,
    },
}

impl HttpCacheMsg {
    /// The connection the message travels on.
    pub const fn conn(&self) -> u16 {
        match *self {
            Self::Get { conn, .. }
            | Self::Ok { conn, .. }
            | Self::NotModified { conn, .. }
            | Self::Failed { conn, .. } => conn,
        }
    }

    /// The resource it is about.
    pub const fn resource(&self) -> ResourceId {
        match *self {
            Self::Get { resource, .. }
            | Self::Ok { resource, .. }
            | Self::NotModified { resource, .. }
            | Self::Failed { resource, .. } => resource,
        }
    }

    /// A 200 or 304 answered from a CDN edge's store (`X-Cache: Hit`).
    pub const fn is_edge_hit(&self) -> bool {
        match *self {
            Self::Ok { flags, .. } | Self::NotModified { flags, .. } => flags.has(WireFlags::EDGE_HIT),
            _ => false,
        }
    }

    /// The same answer marked `X-Cache: Hit`.
    pub const fn edge_hit(self) -> Self {
        match self {
            Self::Ok { resource, version, flags, times, conn } => {
                Self::Ok { resource, version, flags: WireFlags(flags.0 | WireFlags::EDGE_HIT), times, conn }
            }
            Self::NotModified { resource, version, flags, times, conn } => {
                Self::NotModified { resource, version, flags: WireFlags(flags.0 | WireFlags::EDGE_HIT), times, conn }
            }
            other => other,
        }
    }
}

impl Message for HttpCacheMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Get { if_none_match: None, if_modified_since_s: None, .. } => "GET",
            Self::Get { .. } => "GET-conditional",
            Self::Ok { .. } => "200",
            Self::NotModified { .. } => "304",
            Self::Failed { reason: FetchFailure::NotFound, .. } => "404",
            Self::Failed { reason: FetchFailure::GatewayTimeout, .. } => "504",
            Self::Failed { .. } => "502",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response_conn(headers: Headers) -> u16 {
        let msg = Response { status: ResponseStatus::NotModified, version: 3, headers }.to_msg(ResourceId(9), 7);
        assert!(!msg.is_edge_hit() && msg.edge_hit().is_edge_hit());
        msg.edge_hit().conn()
    }

    #[test]
    fn whole_second_headers_survive_the_wire_and_messages_stay_small() {
        let headers = Headers {
            date_us: 1_000 * SEC,
            max_age_us: Some(60 * SEC),
            s_maxage_us: None,
            expires_us: Some(4_600 * SEC),
            no_cache: true,
            no_store: false,
            private: true,
            etag: Some(3),
            last_modified_us: Some(0),
        };
        for status in [ResponseStatus::Ok, ResponseStatus::NotModified] {
            let response = Response { status, version: 3, headers };
            assert_eq!(Response::from_msg(response.to_msg(ResourceId(9), 7)), Some((ResourceId(9), response)));
        }
        // Sub-second parts are cut, as an HTTP-date would cut them.
        let odd =
            Response { status: ResponseStatus::Ok, version: 3, headers: Headers { date_us: 1_500_000, ..headers } };
        assert_eq!(Response::from_msg(odd.to_msg(ResourceId(9), 0)).unwrap().1.headers.date_us, SEC);
        assert_eq!(response_conn(headers), 7);
        assert_eq!(size_of::<HttpCacheMsg>(), 32);
    }
}
