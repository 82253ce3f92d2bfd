//! What the autoscaler says to the machines and balancers, and how they answer.
//!
//! Owns `AutoscaleMsg` (load query and report, power on and off, booted,
//! rotation changes), a Tomcat machine's `Power` state with its boot timer
//! and its cumulative busy core-time report, and a balancer's rotation change
//! (a reload with the server marked `down` or back in). Never decides when to
//! scale: `decide` does.

use crate::cluster::app_server::AppServer;
use crate::cluster::balancer::Balancer;
use crate::cluster::timer_tag::{self, AUTOSCALER};
use crate::sim::{Ctx, NodeId, TimeUs, TimerKey};

/// The autoscaler's protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AutoscaleMsg {
    /// How busy have you been? (metrics-server scraping a machine)
    LoadQuery,
    /// CPU time spent on requests since boot, and the cores there are.
    LoadReport { busy_core_us: u64, cores: u32 },
    /// Start the machine (a cloud API call); it is ready after `boot_us`.
    PowerOn { boot_us: TimeUs },
    /// Stop the machine: everything in its memory is gone.
    PowerOff,
    /// The machine finished booting and its Tomcat is up.
    Booted,
    /// To a balancer: put `server` in or out of the rotation.
    Rotation { server: NodeId, on: bool },
}

impl AutoscaleMsg {
    pub const fn label(&self) -> &'static str {
        match self {
            Self::LoadQuery => "load?",
            Self::LoadReport { .. } => "load",
            Self::PowerOn { .. } => "power-on",
            Self::PowerOff => "power-off",
            Self::Booted => "booted",
            Self::Rotation { on: true, .. } => "rotation-in",
            Self::Rotation { on: false, .. } => "rotation-out",
        }
    }
}

/// Whether a Tomcat's machine is running. A machine that is off answers
/// nothing: no process listens on its address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Power {
    #[default]
    On,
    Off,
    Booting {
        autoscaler: NodeId,
    },
}

const BOOTED: TimerKey = timer_tag::key(AUTOSCALER, 1);

impl AppServer {
    /// The machine's side of the autoscaler's protocol.
    pub fn on_autoscale<M: From<AutoscaleMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: AutoscaleMsg) {
        match (msg, self.power) {
            (AutoscaleMsg::LoadQuery, Power::On) => {
                let report = AutoscaleMsg::LoadReport { busy_core_us: self.busy_core_us, cores: self.config.cpu_cores };
                ctx.send(from, report.into());
            }
            (AutoscaleMsg::PowerOn { boot_us }, Power::Off) => {
                self.power = Power::Booting { autoscaler: from };
                ctx.set_timer(BOOTED, boot_us);
            }
            (AutoscaleMsg::PowerOff, _) => {
                self.on_crash();
                self.power = Power::Off;
            }
            _ => {}
        }
    }

    /// The boot finished: a fresh Tomcat process, ready to serve.
    pub fn on_power_timer<M: From<AutoscaleMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        if let Power::Booting { autoscaler } = self.power {
            self.boots += 1;
            self.power = Power::On;
            ctx.send(autoscaler, AutoscaleMsg::Booted.into());
        }
    }
}

impl Balancer {
    /// Put an upstream in or out of rotation (nginx's `down` and a reload):
    /// a server out of rotation gets no new requests, sticky or not.
    pub fn set_in_rotation(&mut self, server: NodeId, on: bool) {
        let Some(i) = self.upstreams.iter().position(|&u| u == server) else { return };
        self.peers[i].weight = if on { self.config.weight_of(i) } else { 0 };
        self.set_algorithm(self.config.algorithm);
    }
}
