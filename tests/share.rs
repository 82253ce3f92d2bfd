//! Sharing a run: a link or a file reproduces the sharer's run to the same
//! trace hash; every kind of bad input gets a clear message and no panic.
//!
//! Round trips through the link and the file form of runs played by hand (a
//! free play of the whole shop with 30 recorded actions among them, whose link
//! length is printed), plain scenario files and the built-in list, a table of
//! bad links and files with the fragment each message must contain, and
//! property tests feeding random and mutated links and files to the decoders.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::cluster::command::{Command, NodeAction, XiaomingAction};
use clusterlab::scenario::{self, Recording};
use clusterlab::share::{self, LessonPlace, SharedRun, builtin};
use clusterlab::sim::{MS, SEC, TimeUs};
use clusterlab::ui::playground::{Playground, Topology};
use proptest::prelude::*;

fn node(node: &str, action: NodeAction) -> Command {
    Command::Node { node: node.into(), action }
}

fn switch(switch: &str, value: &str) -> Command {
    Command::SetSwitch { switch: switch.into(), value: value.into() }
}

/// What the share button makes of a playground.
fn shared(pg: &Playground) -> SharedRun {
    SharedRun {
        scenario: pg.recording.scenario_so_far(),
        at_ms: share::at_ms_of(pg.cluster.sim.now_us()),
        speed: pg.speed,
        lesson: None,
    }
}

/// The loader's run: rebuilt from the scenario and run to the sharer's time.
fn replayed_hash(run: &SharedRun) -> u64 {
    let (mut rec, mut cluster) = Recording::start(run.scenario.clone());
    while !rec.run_until(&mut cluster, run.at_us(), 50_000).reached {}
    assert_eq!(cluster.sim.now_us(), run.at_us());
    cluster.sim.trace_hash()
}

/// A free play of the slice by hand: odd instants, steps, a crash, a switch.
fn slice_by_hand() -> Playground {
    let mut pg = Playground::with_topology(7, Topology::Slice, None);
    pg.run_for(3 * SEC + 417);
    for _ in 0..25 {
        pg.step();
    }
    pg.command(Command::Xiaoming { action: XiaomingAction::Manual }).unwrap();
    pg.run_for(4 * SEC + 3 * MS + 9);
    pg.command(switch("lb-algorithm", "least-conn")).unwrap();
    pg.command(node("app-2", NodeAction::Crash)).unwrap();
    pg.run_for(5 * SEC + 1);
    pg.set_speed(3.0);
    pg
}

/// The whole shop with 30 recorded actions, about one a second.
fn whole_shop_with_30_actions() -> Playground {
    let mut pg = Playground::with_topology(42, Topology::Full, None);
    let actions = [
        node("app-1", NodeAction::Crash),
        switch("lock", "off"),
        node("app-1", NodeAction::Restart),
        Command::SetShoppers { shoppers: 600 },
        node("inventory-2", NodeAction::Slow),
        switch("lb-algorithm", "least-conn"),
        node("inventory-2", NodeAction::Resume),
        Command::FlashSale { product: 7, units: 30 },
        node("redis", NodeAction::Pause),
        node("redis", NodeAction::Resume),
    ];
    for i in 0..30u64 {
        pg.run_for(SEC + i * 37 * MS + 11);
        pg.command(actions[i as usize % actions.len()].clone()).unwrap();
    }
    pg.run_for(2 * SEC);
    pg
}

#[test]
fn a_link_reproduces_a_run_played_by_hand() {
    let mut longest = 0;
    for pg in [slice_by_hand(), whole_shop_with_30_actions()] {
        let run = shared(&pg);
        let link = share::encode_link(&run);
        longest = longest.max(link.len());
        assert!(link.starts_with("#run=1."), "{link}");
        assert!(link.len() <= share::MAX_LINK_BYTES, "{} bytes", link.len());
        let back = share::decode_link(&link).expect("the link decodes");
        assert_eq!(back, run, "the link carries the run exactly");
        let page_url = format!("http://127.0.0.1:8080/?seed=1{link}");
        assert_eq!(share::decode_link(&page_url).unwrap(), run, "a whole URL decodes too");
        assert_eq!(replayed_hash(&back), pg.cluster.sim.trace_hash(), "the loaded run is the sharer's");
    }
    println!("longest link: {longest} bytes (a free play of the whole shop with 30 recorded actions)");
}

#[test]
fn a_run_file_reproduces_a_run_and_carries_the_lesson_place() {
    let pg = slice_by_hand();
    let mut run = shared(&pg);
    run.lesson = Some(LessonPlace { id: "sessions-1".into(), step: 3 });
    let text = share::to_file(&run);
    assert!(text.contains("\"clusterlab\": \"run\"") && text.contains("\"version\": 1"), "{text}");
    let back = share::from_file(&text).expect("the file loads");
    assert_eq!(back, run);
    assert_eq!(replayed_hash(&back), pg.cluster.sim.trace_hash());
    assert_eq!(share::decode_link(&share::encode_link(&run)).unwrap().lesson, run.lesson);
}

#[test]
fn scenario_files_load_from_their_start_and_the_built_in_list_is_the_folder() {
    let mut files: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
        .unwrap()
        .filter_map(|e| Some(e.ok()?.path().file_stem()?.to_string_lossy().into_owned()))
        .collect();
    files.sort();
    assert_eq!(builtin::ids().collect::<Vec<_>>(), files, "builtin::BUILT_IN lists scenarios/");
    for (id, text) in builtin::BUILT_IN {
        let run = share::from_file(text).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!((run.at_ms, run.speed, &run.lesson), (0.0, share::DEFAULT_SPEED, &None), "{id}");
        assert_eq!(run.scenario, scenario::parse(text).unwrap(), "{id}");
        assert_eq!(builtin::load(id).unwrap().unwrap(), run, "{id}");
        // Shared from a teacher's scenario: the link carries it exactly.
        assert_eq!(share::decode_link(&share::encode_link(&run)).unwrap(), run, "{id}");
    }
    assert!(builtin::load("nope").is_none());
}

/// A link whose payload is `json`.
fn link_of(json: &str) -> String {
    format!("#run=1.{}", share::base64url::encode(json.as_bytes()))
}

fn valid_run() -> SharedRun {
    share::from_file(builtin::BUILT_IN[2].1).unwrap()
}

/// The valid run's link payload with `at` replaced by `by`.
fn link_with(replace: &str, by: &str) -> String {
    let json = format!(r#"{{"scenario":{{"version":1,"seed":4,"duration_ms":60000}},"at_ms":5000,"speed":2{}}}"#, "");
    assert!(json.contains(replace), "{json} lacks {replace}");
    link_of(&json.replacen(replace, by, 1))
}

fn faults(n: usize) -> String {
    let one = r#"{"at_ms":1,"action":"crash","node":"app-1"}"#;
    format!(r#"{{"version":1,"seed":1,"duration_ms":1000,"faults":[{}]}}"#, vec![one; n].join(","))
}

#[test]
fn bad_links_say_what_is_wrong() {
    let good = share::encode_link(&valid_run());
    let cases: Vec<(&str, String, &str)> = vec![
        ("empty", String::new(), "The link is empty"),
        ("only a hash", "#".into(), "The link is empty"),
        ("not base64", "#run=1.@@@@".into(), "cannot hold at position 1"),
        ("non-ASCII payload", "#run=1.Zm9v日本".into(), "cannot hold at position 5"),
        ("non-ASCII version", "#run=日本.Zm9v".into(), "version \"日本\""),
        ("non-ASCII fragment", "#ünïcödé".into(), "should start with #run="),
        ("javascript", "javascript:alert(document.cookie)".into(), "should start with #run="),
        ("html", "#<script>alert(1)</script>".into(), "should start with #run="),
        ("wrong version", "#run=9.eyJ9".into(), "version \"9\", but this ClusterLab reads version 1"),
        ("future version", "#run=7.x".into(), "version \"7\""),
        ("no version", "#run=.eyJ9".into(), "version \"\""),
        ("no payload", "#run=1".into(), "cut short"),
        ("short payload", "#run=1.AAAA".into(), "does not hold a ClusterLab run"),
        ("truncated base64", good[..good.len() - 1].to_string(), "cut short"),
        ("truncated JSON", good[..good.len() / 2 / 4 * 4].to_string(), "cut short"),
        ("not text", "#run=1.__79".into(), "not text"),
        ("wrong shape", link_of(r#"{"hello":"world"}"#), "unknown field `hello`"),
        ("an array", link_of("[1,2,3]"), "does not hold a ClusterLab run"),
        ("deep nesting", link_of(&"[".repeat(5000)), "does not hold a ClusterLab run"),
        ("oversized", format!("#run=1.{}", "A".repeat(20_000)), "the limit is 16384 bytes"),
        ("a million faults", link_of(&faults(1_000_000)), "the limit is 16384 bytes"),
        ("huge seed string", link_with("\"seed\":4", &format!("\"seed\":\"{}\"", "9".repeat(400))), "invalid type"),
        ("huge seed number", link_with("\"seed\":4", &format!("\"seed\":{}", "9".repeat(40))), "does not hold"),
        ("NaN speed", link_with("\"speed\":2", "\"speed\":NaN"), "does not hold a ClusterLab run"),
        ("null speed", link_with("\"speed\":2", "\"speed\":null"), "invalid type: null"),
        ("speed too high", link_with("\"speed\":2", "\"speed\":5000"), "`speed` is 5000"),
        ("speed zero", link_with("\"speed\":2", "\"speed\":0"), "it must be from 0.1 to 1000"),
        ("time after the end", link_with("\"at_ms\":5000", "\"at_ms\":70000"), "`at_ms` is 70000 ms"),
        ("negative time", link_with("\"at_ms\":5000", "\"at_ms\":-1"), "`at_ms` is -1 ms"),
        (
            "bad scenario",
            link_with("\"seed\":4", "\"seed\":4,\"faults\":[{\"at_ms\":1,\"action\":\"crash\",\"node\":\"db\"}]"),
            "names node `db`",
        ),
        ("scenario version", link_with("\"version\":1", "\"version\":3"), "says version 3"),
        (
            "bad lesson",
            link_with("\"speed\":2", "\"speed\":2,\"lesson\":{\"id\":\"<b>\",\"step\":1}"),
            "is not a lesson id",
        ),
    ];
    for (what, text, expected) in cases {
        let err = share::decode_link(&text).expect_err(what).to_string();
        assert!(err.contains(expected), "{what}: got `{err}`, expected it to mention `{expected}`");
        assert!(err.len() < 700, "{what}: a message of {} bytes", err.len());
    }
}

#[test]
fn bad_files_say_what_is_wrong() {
    let good = share::to_file(&valid_run());
    let cases: Vec<(&str, String, &str)> = vec![
        ("empty", "  \n".into(), "The file is empty"),
        ("not JSON", "<html>hello</html>".into(), "does not hold a ClusterLab run"),
        ("truncated", good[..good.len() / 2].to_string(), "cut short"),
        ("another kind", good.replacen("\"run\"", "\"lesson\"", 1), "a ClusterLab \"lesson\" file, not a run"),
        ("another version", good.replacen("\"version\": 1", "\"version\": 2", 1), "version 2, but"),
        ("no version", good.replacen("\"version\": 1,", "", 1), "version (none given)"),
        ("unknown field", good.replacen("\"speed\"", "\"sped\"", 1), "unknown field `sped`"),
        ("speed", good.replacen("\"speed\": 0.2", "\"speed\": 1e9", 1), "`speed` is 1000000000"),
        ("oversized", format!("{{\"name\": \"{}\"}}", "x".repeat(300_000)), "the limit is 262144 bytes"),
        ("a million faults", faults(1_000_000), "the limit is 262144 bytes"),
        ("a thousand and one faults", faults(1001), "may hold at most 1000"),
        ("bad scenario file", faults(1).replace("app-1", "app-9"), "names node `app-9`"),
        ("scenario of the future", r#"{"version": 4, "seed": 1}"#.into(), "says version 4"),
        ("deep nesting", "[".repeat(100_000), "does not hold a ClusterLab run"),
    ];
    for (what, text, expected) in cases {
        let err = share::from_file(&text).expect_err(what).to_string();
        assert!(err.contains(expected), "{what}: got `{err}`, expected it to mention `{expected}`");
    }
}

fn mutate(text: &str, cut: usize, at: usize, byte: u8) -> Option<String> {
    let mut bytes = text.as_bytes()[..cut.clamp(1, text.len())].to_vec();
    let at = at % bytes.len();
    bytes[at] = byte;
    String::from_utf8(bytes).ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics_the_decoders(text in ".{0,300}") {
        let _ = share::decode_link(&text);
        let _ = share::decode_link(&format!("#run=1.{text}"));
        let _ = share::from_file(&text);
    }

    #[test]
    fn random_payloads_never_panic(payload in "[A-Za-z0-9_-]{0,400}") {
        let _ = share::decode_link(&format!("#run=1.{payload}"));
    }

    #[test]
    fn mutated_links_never_panic(cut in 0usize..4000, at in 0usize..4000, byte in any::<u8>()) {
        let link = share::encode_link(&valid_run());
        if let Some(text) = mutate(&link, cut, at, byte) {
            let _ = share::decode_link(&text);
        }
    }

    #[test]
    fn mutated_payloads_never_panic(cut in 0usize..600, at in 0usize..600, byte in any::<u8>()) {
        let json = format!(r#"{{"scenario":{},"at_ms":5000,"speed":2,"lesson":{{"id":"a","step":1}}}}"#,
            share::link::compact_scenario(&valid_run().scenario));
        if let Some(text) = mutate(&json, cut, at, byte) {
            let _ = share::decode_link(&link_of(&text));
        }
    }

    #[test]
    fn mutated_files_never_panic(cut in 0usize..2000, at in 0usize..2000, byte in any::<u8>()) {
        let file = share::to_file(&valid_run());
        if let Some(text) = mutate(&file, cut, at, byte) {
            let _ = share::from_file(&text);
        }
    }
}

#[test]
fn the_loader_lands_exactly_on_a_sub_millisecond_instant() {
    let pg = slice_by_hand();
    let now_us: TimeUs = pg.cluster.sim.now_us();
    assert_ne!(now_us % MS, 0, "the run stops between two milliseconds");
    assert_eq!(shared(&pg).at_us(), now_us);
}

#[test]
fn the_readmes_run_file_loads() {
    let readme = include_str!("../README.md");
    let start = readme.find("```json\n{\n  \"clusterlab\": \"run\"").expect("README has a run file example") + 8;
    let end = start + readme[start..].find("```").unwrap();
    let run = share::from_file(&readme[start..end]).unwrap_or_else(|e| panic!("README's run file: {e}"));
    assert_eq!((run.scenario.seed, run.at_us(), run.scenario.commands.len()), (42, 10 * SEC, 1));
}
