//! The wire of a test world: one message enum over the mechanisms the world runs.
//!
//! `test_wire!(Zk(ZkMsg), Mq(MqMsg))` declares `enum Wire` with a variant per
//! protocol, `From` for each (so the mechanisms' handlers, generic over
//! `M: From<XMsg>`, run in the world) and `Message` (labels from the
//! protocols). Shared by the mechanism tests and the sweeps, so a world is
//! declared once. Never carries behaviour.

macro_rules! test_wire {
    ($($variant:ident($ty:ty)),+ $(,)?) => {
        /// Every message the test world carries.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        enum Wire {
            $($variant($ty),)+
        }

        $(impl From<$ty> for Wire {
            fn from(m: $ty) -> Self {
                Self::$variant(m)
            }
        })+

        impl clusterlab::sim::Message for Wire {
            fn label(&self) -> &'static str {
                #[allow(unused_imports)]
                use clusterlab::sim::Message as _;
                match self {
                    $(Self::$variant(m) => m.label(),)+
                }
            }
        }
    };
}
