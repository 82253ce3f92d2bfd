//! The RPC vocabulary: methods, calls, replies, failures.
//!
//! Owns what consumers and providers say to each other (`RpcMsg`), the shop's
//! remote methods with their service and idempotence, and the closed list of
//! ways an attempt can fail. Never holds behaviour beyond classifying them.

use crate::cluster::message::FailCause;
use crate::cluster::registry::ServiceKind;
use crate::sim::{Message, NodeId};

/// The remote methods of the shop's services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    GetProduct,
    SearchProducts,
    GetStock,
    DecrementStock,
    CreateOrder,
    Pay,
    Notify,
    Login,
}

impl Method {
    pub const fn service(self) -> ServiceKind {
        match self {
            Self::GetProduct | Self::SearchProducts => ServiceKind::Product,
            Self::GetStock | Self::DecrementStock => ServiceKind::Inventory,
            Self::CreateOrder => ServiceKind::Order,
            Self::Pay => ServiceKind::Payment,
            Self::Notify => ServiceKind::Notification,
            Self::Login => ServiceKind::User,
        }
    }

    /// Reads may run twice harmlessly; writes may not.
    pub const fn is_idempotent(self) -> bool {
        matches!(self, Self::GetProduct | Self::SearchProducts | Self::GetStock)
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::GetProduct => "getProduct",
            Self::SearchProducts => "searchProducts",
            Self::GetStock => "getStock",
            Self::DecrementStock => "decrementStock",
            Self::CreateOrder => "createOrder",
            Self::Pay => "pay",
            Self::Notify => "notify",
            Self::Login => "login",
        }
    }
}

/// A business exception thrown by the provider's code (never retried).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BizError {
    InsufficientStock,
    NotFound,
    PaymentDeclined,
    /// The provider's own downstream (cache, database, lock, transaction)
    /// failed at node `at`, for `cause`: passed back so the shopper sees it.
    Downstream {
        at: NodeId,
        cause: FailCause,
    },
}

/// Why an attempt or a call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RpcFailure {
    /// No answer within `timeout`: the outcome is unknown.
    Timeout,
    /// The provider's host refused the connection: nothing ran.
    Refused,
    /// The provider's thread pool was exhausted: rejected before running.
    Overloaded,
    /// The consumer's list for the service is empty ("No provider available").
    NoProvider,
    Biz(BizError),
}

impl RpcFailure {
    /// Dubbo's failover retries everything except business exceptions.
    pub const fn is_retriable(self) -> bool {
        !matches!(self, Self::Biz(_) | Self::NoProvider)
    }
}

/// A provider's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RpcResult {
    Ok(u32),
    Err(RpcFailure),
}

/// What consumers and providers say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RpcMsg {
    Call { call_id: u32, method: Method, idempotent: bool, attempt: u8, arg: u32 },
    Reply { call_id: u32, attempt: u8, result: RpcResult },
}

impl RpcMsg {
    /// The reply to `call` (for providers); `None` if `call` is not a call.
    pub const fn reply_to(call: RpcMsg, result: RpcResult) -> Option<RpcMsg> {
        match call {
            RpcMsg::Call { call_id, attempt, .. } => Some(RpcMsg::Reply { call_id, attempt, result }),
            RpcMsg::Reply { .. } => None,
        }
    }
}

impl Message for RpcMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Call { method, .. } => method.as_str(),
            Self::Reply { result: RpcResult::Ok(_), .. } => "rpc-ok",
            Self::Reply { result: RpcResult::Err(_), .. } => "rpc-error",
        }
    }
}
