//! Product binding at the command line: `--product` / `--any-product`, another product's
//! key refused with its slot released, and a stored activation of a product no longer
//! accepted.

use keyseat_emulator::{Emulator, Endpoint, KeySpec};

use crate::support::{KEY, Setup, checked, parse, spec, stderr};

const OTHER_KEY: &str = "OTHER-PRODUCT-KEY-7e6d5c4b3a291807";
const OTHER_PRODUCT: &str = "pdt_someone_elses_app";

fn setup() -> Setup {
    let mut other = KeySpec::new(OTHER_KEY).with_limit(1);
    other.product_id = OTHER_PRODUCT.into();
    Setup::with(Emulator::start(vec![spec(Some(1)), other]).unwrap())
}

#[test]
fn activate_status_and_watch_need_a_product_binding() {
    let s = setup();
    for args in [
        &["activate", KEY][..],
        &["status"],
        &["status", "--offline"],
        &["watch", "--interval", "1s"],
    ] {
        let out = checked(s.cmd_without_product(args));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("--product ID") && err.contains("--any-product"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(s.emu.request_count(Endpoint::Activate), 0);
    // fingerprint and deactivate need neither.
    let out = checked(s.cmd_without_product(&["fingerprint"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = checked(s.cmd_without_product(&["deactivate"]));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    // --product and --any-product together are a usage error too.
    let out = checked(s.cmd(&["--any-product", "status"]));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn another_products_key_is_refused_and_its_slot_released() {
    let s = setup();
    let out = s.run(&["activate", OTHER_KEY]);
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(OTHER_PRODUCT) && err.contains("different product"),
        "{err}"
    );
    assert!(!err.contains(OTHER_KEY), "{err}");
    assert!(
        s.emu.instances_of(OTHER_KEY).is_empty(),
        "slot not released"
    );
    assert_eq!(s.emu.request_count(Endpoint::Deactivate), 1);
    let (code, v) = s.json(&["status", "--offline"]);
    assert_eq!((code, v["state"].as_str()), (3, Some("not_activated")));
    // The JSON error names the product too.
    let (code, v) = s.json(&["activate", OTHER_KEY]);
    assert_eq!(code, 8);
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains(OTHER_PRODUCT), "{v}");
    assert!(!message.contains(OTHER_KEY));
}

#[test]
fn several_products_or_any_product() {
    let s = setup();
    let out = s.run(&["--product", "pdt_another_edition", "activate", KEY]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let any = setup();
    let out = checked(any.cmd_without_product(&["--any-product", "activate", OTHER_KEY]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(any.emu.instances_of(OTHER_KEY).len(), 1);
}

#[test]
fn a_stored_activation_of_a_product_no_longer_accepted_is_never_licensed() {
    let s = setup();
    assert_eq!(s.run(&["activate", KEY]).status.code(), Some(0));
    let validations = s.emu.request_count(Endpoint::Validate);
    for args in [&["status"][..], &["status", "--offline"]] {
        let mut narrowed = s.cmd_without_product(&["--product", "pdt_new_edition", "--json"]);
        narrowed.args(args);
        let (code, v) = parse(&checked(narrowed));
        assert_eq!(code, 8, "{v}");
        assert_eq!(v["state"], "wrong_product");
        assert_eq!(v["licensed"], false);
        assert_eq!(v["network_used"], false);
    }
    let out = checked(s.cmd_without_product(&["--product", "pdt_new_edition", "status"]));
    assert!(
        crate::support::stdout(&out).contains("different product"),
        "the advice says what is wrong"
    );
    assert_eq!(s.emu.request_count(Endpoint::Validate), validations);
}
